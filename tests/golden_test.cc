// Golden ETL tests. Each folder under tests/golden/etl/ is one case: a
// recmart.toml, its input files, and `steps.test`, a script in the spirit of
// DuckDB's sqllogictest:
//
//   # comment
//   etl                          run the ETL; expect this summary
//   ----
//   files=1 raw=10 accepted=6 quarantined=3 duplicates=1
//
//   etl error                    run the ETL; expect it to fail with this text
//   ----
//   column 'coupon' added
//
//   query                        SQL over the lake's tables; expected rows,
//   SELECT ... ORDER BY ...      tab-separated, NULL for null
//   ----
//   1	view
//
//   copy from/path to/path       file operations relative to the case copy
//   append from/path to/path     (appends bytes: a file that grew)
//   remove path
//   schemas SOURCE               the source's schema history in the catalog:
//   ----                         "version state col:type,col:type"
//   1	current	a:BIGINT,b:VARCHAR
//   snapshot NAME                remember every lake file's path+size+mtime
//   unchanged NAME               fail if any lake file differs from snapshot NAME
//
// The case folder is copied to a temp dir first, so steps may change files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "recmart/catalog/catalog.h"
#include "recmart/common/fs.h"
#include "recmart/config/project.h"
#include "recmart/etl/pipeline.h"
#include "recmart/lake/lake.h"

namespace recmart {
namespace {
namespace fs = std::filesystem;

struct Step {
  std::string command;                // first line
  std::string body;                   // lines before ----
  std::vector<std::string> expected;  // lines after ----
  int line = 0;
};

std::vector<Step> ParseSteps(const std::string& text) {
  std::vector<Step> steps;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  Step cur;
  enum { kNone, kBody, kExpected } state = kNone;
  auto flush = [&] {
    if (!cur.command.empty()) steps.push_back(cur);
    cur = Step();
    state = kNone;
  };
  while (std::getline(in, line)) {
    ++n;
    if (state == kNone) {
      if (line.empty() || line[0] == '#') continue;
      cur.command = line;
      cur.line = n;
      state = kBody;
      // File operations are one line: the next line starts a new step.
      for (const char* verb : {"copy ", "append ", "remove ", "snapshot ", "unchanged "}) {
        if (line.rfind(verb, 0) == 0) flush();
      }
      continue;
    }
    if (line.empty()) {
      flush();
      continue;
    }
    if (state == kBody && line == "----") {
      state = kExpected;
      continue;
    }
    if (state == kBody)
      cur.body += (cur.body.empty() ? "" : "\n") + line;
    else
      cur.expected.push_back(line);
  }
  flush();
  return steps;
}

std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string p = it->path().string();
    if (p.find("/_recmart/") != std::string::npos) continue;  // locks and catalog
    auto st = StatFile(p);
    out[p] = std::to_string(st->size) + ":" + std::to_string(st->mtime_ns);
  }
  return out;
}

std::vector<std::string> RunQuery(const config::Project& project, const std::string& sql) {
  auto cat = catalog::Catalog::Open(project.catalog_path);
  EXPECT_TRUE(cat.ok()) << cat.status();
  auto lk = lake::Lake::Open(project.lake_root, cat->get());
  EXPECT_TRUE(lk.ok()) << lk.status();
  auto db = lake::Database::Open("");
  auto conn = (*db)->Connect();
  EXPECT_TRUE((*lk)->CreateViews(*conn).ok());
  auto r = conn->Query(sql);
  if (!r.ok()) return {"ERROR: " + r.status().message()};
  std::vector<std::string> rows;
  for (size_t i = 0; i < r->row_count(); ++i) {
    std::string line;
    for (size_t c = 0; c < r->column_count(); ++c) {
      if (c) line += "\t";
      line += r->GetString(c, i).value_or("NULL");
    }
    rows.push_back(line);
  }
  return rows;
}

std::string Summary(const etl::EtlResult& r) {
  if (r.nothing_new) return "nothing new";
  return "files=" + std::to_string(r.files) + " raw=" + std::to_string(r.raw_rows) +
         " accepted=" + std::to_string(r.accepted) +
         " quarantined=" + std::to_string(r.quarantined) +
         " duplicates=" + std::to_string(r.duplicates);
}

class GoldenEtl : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenEtl, Case) {
  const std::string src = std::string(RECMART_SOURCE_DIR) + "/tests/golden/etl/" + GetParam();
  const std::string dir =
      ::testing::TempDir() + "/golden-" + GetParam() + "-" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::copy(src, dir, fs::copy_options::recursive);
  auto text = ReadFileToString(dir + "/steps.test");
  ASSERT_TRUE(text.ok()) << text.status();
  auto project = config::LoadProject(dir + "/recmart.toml");
  ASSERT_TRUE(project.ok()) << project.status();
  std::map<std::string, std::map<std::string, std::string>> snapshots;

  for (const Step& step : ParseSteps(*text)) {
    SCOPED_TRACE(GetParam() + "/steps.test:" + std::to_string(step.line) + ": " + step.command);
    std::istringstream words(step.command);
    std::string verb, a, b;
    words >> verb >> a >> b;
    if (verb == "etl") {
      auto r = etl::RunEtl(*project, {});
      if (a == "error") {
        ASSERT_FALSE(r.ok()) << "expected the run to fail";
        for (const auto& e : step.expected)
          EXPECT_THAT(r.status().message(), ::testing::HasSubstr(e));
      } else {
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_EQ(step.expected.size(), 1u);
        EXPECT_EQ(Summary(*r), step.expected[0]);
      }
    } else if (verb == "query") {
      EXPECT_EQ(RunQuery(*project, step.body), step.expected) << step.body;
    } else if (verb == "copy") {
      fs::create_directories(fs::path(dir + "/" + b).parent_path());
      fs::copy_file(dir + "/" + a, dir + "/" + b, fs::copy_options::overwrite_existing);
    } else if (verb == "append") {
      auto add = ReadFileToString(dir + "/" + a);
      ASSERT_TRUE(add.ok());
      std::ofstream(dir + "/" + b, std::ios::app | std::ios::binary) << *add;
    } else if (verb == "remove") {
      fs::remove(dir + "/" + a);
    } else if (verb == "schemas") {
      auto cat = catalog::Catalog::Open(project->catalog_path);
      ASSERT_TRUE(cat.ok()) << cat.status();
      auto hist = (*cat)->SchemaHistory(a);
      ASSERT_TRUE(hist.ok()) << hist.status();
      std::vector<std::string> got;
      for (const auto& v : *hist) {
        std::string cols;
        for (const auto& c : v.columns) cols += (cols.empty() ? "" : ",") + c.name + ":" + c.type;
        got.push_back(std::to_string(v.version) + "\t" + v.state + "\t" + cols);
      }
      EXPECT_EQ(got, step.expected);
    } else if (verb == "snapshot") {
      snapshots[a] = Snapshot(project->lake_root);
    } else if (verb == "unchanged") {
      EXPECT_EQ(Snapshot(project->lake_root), snapshots[a]);
    } else {
      FAIL() << "unknown step '" << verb << "'";
    }
  }
  fs::remove_all(dir);
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  for (const auto& e :
       fs::directory_iterator(std::string(RECMART_SOURCE_DIR) + "/tests/golden/etl")) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Etl, GoldenEtl, ::testing::ValuesIn(Cases()), [](const auto& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
});

}  // namespace
}  // namespace recmart
