// RunEtl behaviours beyond the golden cases: every input format and
// compression end to end, the writer lock, and runs with nothing new.
#include "recmart/etl/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "recmart/common/fs.h"
#include "recmart/common/testing.h"
#include "recmart/lake/lake.h"

namespace recmart::etl {
namespace {
namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/pipeline-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/data");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& bytes) {
    std::ofstream(dir_ + "/" + rel, std::ios::binary) << bytes;
  }
  config::Project Project(const std::string& source_block) {
    std::string text = "[project]\nlake = \"lake\"\n[[sources]]\nname = \"s\"\n" + source_block;
    auto p = config::ParseProject(text, dir_ + "/recmart.toml", dir_);
    EXPECT_TRUE(p.ok()) << p.status();
    return *p;
  }
  std::vector<std::string> Rows(const config::Project& p, const std::string& sql) {
    auto cat = catalog::Catalog::Open(p.catalog_path);
    auto lk = lake::Lake::Open(p.lake_root, cat->get());
    auto db = lake::Database::Open("");
    auto conn = (*db)->Connect();
    EXPECT_TRUE((*lk)->CreateViews(*conn).ok());
    auto r = conn->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    for (size_t i = 0; i < r->row_count(); ++i) {
      std::string line;
      for (size_t c = 0; c < r->column_count(); ++c)
        line += (c ? "|" : "") + r->GetString(c, i).value_or("NULL");
      out.push_back(line);
    }
    return out;
  }
  std::string dir_;
};

constexpr char kJsonl[] =
    "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
    "{\"u\":\"a\",\"i\":\"y\",\"t\":\"2024-01-01T00:01:00Z\",\"e\":\"purchase\",\"v\":5}\n";
constexpr char kJsonlSource[] =
    "kind = \"events\"\npath = \"data/*\"\nformat = \"jsonl\"\n"
    "[sources.columns]\nUSER_ID = \"u\"\nITEM_ID = \"i\"\nTIMESTAMP = \"t\"\nEVENT_TYPE = "
    "\"e\"\nEVENT_VALUE = \"v\"\n";

TEST_F(PipelineTest, GzipAndZstdInputsAreDetected) {
  // Two copies of the same events, compressed two ways, under names that do
  // not say how: detection by magic bytes. The second copy is all duplicates.
  {
    gzFile gz = gzopen((dir_ + "/data/a.bin").c_str(), "wb");
    gzwrite(gz, kJsonl, sizeof(kJsonl) - 1);
    gzclose(gz);
  }
  std::string z(ZSTD_compressBound(sizeof(kJsonl)), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), kJsonl, sizeof(kJsonl) - 1, 3));
  Write("data/b.bin", z);
  auto p = Project(kJsonlSource);
  auto r = RunEtl(p, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->raw_rows, 4u);
  EXPECT_EQ(r->accepted, 2u);
  EXPECT_EQ(r->duplicates, 2u);
  EXPECT_THAT(Rows(p,
                   "SELECT USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE, SOURCE_FILE FROM "
                   "interactions ORDER BY ITEM_ID"),
              ::testing::ElementsAre("a|x|view|NULL|data/a.bin", "a|y|purchase|5.0|data/a.bin"));
}

TEST_F(PipelineTest, ParquetSource) {
  {
    auto db = lake::Database::Open("");
    auto conn = (*db)->Connect();
    ASSERT_OK(conn->Execute(
        "COPY (SELECT 'u' || i AS uid, 'p' || (i % 3) AS pid, TIMESTAMP '2024-02-01 00:00:00' + "
        "INTERVAL (i) MINUTE AS at FROM range(10) t(i)) TO '" +
        dir_ + "/data/e.parquet' (FORMAT parquet)"));
  }
  auto p = Project(
      "kind = \"events\"\npath = \"data/e.parquet\"\nformat = \"parquet\"\n"
      "event_type_constant = \"view\"\n"
      "[sources.columns]\nUSER_ID = \"uid\"\nITEM_ID = \"pid\"\nTIMESTAMP = \"at\"\n");
  auto r = RunEtl(p, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 10u);
  EXPECT_THAT(Rows(p,
                   "SELECT min(\"TIMESTAMP\"), max(\"TIMESTAMP\"), count(DISTINCT ITEM_ID) FROM "
                   "interactions"),
              ::testing::ElementsAre("1706745600|1706746140|3"));
}

TEST_F(PipelineTest, TsvWithoutHeader) {
  Write("data/e.tsv", "7\t42\t1700000000\n8\t42\t1700000060\n");
  auto p = Project(
      "kind = \"events\"\npath = \"data/e.tsv\"\nformat = \"tsv\"\nevent_type_constant = "
      "\"purchase\"\n"
      "[sources.columns]\nUSER_ID = \"column1\"\nITEM_ID = \"column2\"\nTIMESTAMP = \"column3\"\n"
      "[sources.timestamp]\nformat = \"epoch_s\"\n[sources.csv]\nheader = false\n");
  auto r = RunEtl(p, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Rows(p, "SELECT USER_ID, PURCHASES FROM interaction_matrix ORDER BY 1"),
              ::testing::ElementsAre("7|1", "8|1"));
}

TEST_F(PipelineTest, NothingNewWritesNothing) {
  Write("data/a.jsonl", kJsonl);
  auto p = Project(kJsonlSource);
  ASSERT_TRUE(RunEtl(p, {}).ok());
  auto before = fs::last_write_time(p.catalog_path);
  auto r = RunEtl(p, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->nothing_new);
  EXPECT_EQ(r->run_id, 0);
  EXPECT_EQ(fs::last_write_time(p.catalog_path), before);
}

// A run read in batches (one file each here) lands exactly what one batch
// lands: duplicates across batches are dropped, sessions derived, the
// all-time tables built once, one run committed.
TEST_F(PipelineTest, BatchedRunEqualsOneBatch) {
  const std::string day1 =
      "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
      "{\"u\":\"a\",\"i\":\"y\",\"t\":\"2024-01-01T00:01:00Z\",\"e\":\"purchase\",\"v\":5}\n"
      "{\"u\":\"b\",\"i\":\"x\",\"t\":\"2024-01-01T09:00:00Z\",\"e\":\"view\"}\n"
      "{\"u\":\"b\",\"i\":\"x\",\"t\":\"2024-01-01T09:00:00Z\",\"e\":\"view\"}\n";
  const std::string day2 =
      "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-02T00:00:00Z\",\"e\":\"purchase\",\"v\":7}\n"
      "{\"u\":\"c\",\"i\":\"z\",\"t\":\"bad\",\"e\":\"view\"}\n";
  // Day 1 again (delivered twice) with one new event.
  const std::string again =
      day1 + "{\"u\":\"c\",\"i\":\"y\",\"t\":\"2024-01-01T12:00:00Z\",\"e\":\"view\"}\n";
  std::vector<std::string> tables = {"SELECT * EXCLUDE (SOURCE_FILE, SOURCE_ROW) FROM interactions",
                                     "SELECT * FROM interaction_matrix",
                                     "SELECT * FROM daily_item_stats",
                                     "SELECT * EXCLUDE (RUN_ID) FROM user_item_daily",
                                     "SELECT * FROM items",
                                     "SELECT * FROM users",
                                     "SELECT * EXCLUDE (RUN_ID, SOURCE_FILE) FROM quarantine"};
  std::map<std::string, std::vector<std::string>> seen[2];
  EtlResult results[2];
  for (int batched = 0; batched < 2; ++batched) {
    std::string sub = dir_ + "/" + (batched ? "batched" : "whole");
    fs::create_directories(sub + "/data");
    std::ofstream(sub + "/data/1-day1.jsonl") << day1;
    std::ofstream(sub + "/data/2-day2.jsonl") << day2;
    std::ofstream(sub + "/data/3-again.jsonl") << again;
    auto p = config::ParseProject(
        "[project]\nlake = \"lake\"\n[[sources]]\nname = \"s\"\n" + std::string(kJsonlSource),
        sub + "/recmart.toml", sub);
    ASSERT_TRUE(p.ok()) << p.status();
    EtlRunOptions o;
    o.batch_bytes = batched ? 1 : 0;
    auto r = RunEtl(*p, o);
    ASSERT_TRUE(r.ok()) << r.status();
    results[batched] = *r;
    for (const auto& t : tables) {
      auto rows = Rows(*p, t + " ORDER BY ALL");
      seen[batched][t] = rows;
    }
    auto runs = Rows(*p, "SELECT count(*) FROM interactions");
    ASSERT_EQ(runs.size(), 1u);
  }
  for (const auto& t : tables) {
    EXPECT_FALSE(seen[0][t].empty()) << t;
    EXPECT_EQ(seen[0][t], seen[1][t]) << t;
  }
  EXPECT_EQ(seen[0][tables[0]].size(), 5u);  // a×3, b×1, c×1: the repeats dropped
  EXPECT_EQ(results[1].raw_rows, results[0].raw_rows);
  EXPECT_EQ(results[1].accepted, results[0].accepted);
  EXPECT_EQ(results[1].duplicates, results[0].duplicates);
  EXPECT_EQ(results[1].duplicates, 5u);  // b's repeat, and day 1's four rows again
  EXPECT_EQ(results[1].quarantined, 1u);
  EXPECT_EQ(results[1].run_id, results[0].run_id);  // one run each
}

// item_history in several passes (hash ranges of item ids) is the one-pass
// history; so are the items, on metadata carried by events whose values
// change and change back.
TEST_F(PipelineTest, ItemHistoryInPassesEqualsOnePass) {
  const std::string day1 =
      "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"p\":5}\n"
      "{\"u\":\"b\",\"i\":\"x\",\"t\":\"2024-01-01T01:00:00Z\",\"p\":4.5}\n"
      "{\"u\":\"c\",\"i\":\"x\",\"t\":\"2024-01-01T02:00:00Z\",\"p\":5}\n"
      "{\"u\":\"a\",\"i\":\"y\",\"t\":\"2024-01-01T03:00:00Z\",\"p\":9}\n"
      "{\"u\":\"b\",\"i\":\"z\",\"t\":\"2024-01-01T04:00:00Z\",\"p\":1}\n"
      "{\"u\":\"c\",\"i\":\"z\",\"t\":\"2024-01-01T05:00:00Z\",\"p\":1}\n";
  const std::string day2 =
      "{\"u\":\"a\",\"i\":\"y\",\"t\":\"2024-01-02T00:00:00Z\",\"p\":8}\n"
      "{\"u\":\"b\",\"i\":\"z\",\"t\":\"2024-01-02T01:00:00Z\",\"p\":1}\n"
      "{\"u\":\"c\",\"i\":\"w\",\"t\":\"2024-01-02T02:00:00Z\",\"p\":3}\n";
  const char* kSource = R"(kind = "events"
path = "data/*.jsonl"
format = "jsonl"
event_type_constant = "view"
[sources.columns]
USER_ID = "u"
ITEM_ID = "i"
TIMESTAMP = "t"
[sources.timestamp]
format = "iso8601"
[sources.item_columns]
PRICE = "p"
)";
  std::vector<std::string> tables = {"SELECT * FROM item_history", "SELECT * FROM items"};
  std::map<std::string, std::vector<std::string>> seen[2];
  for (int passes = 0; passes < 2; ++passes) {
    std::string sub = dir_ + "/" + (passes ? "passes" : "one");
    fs::create_directories(sub + "/data");
    auto p = config::ParseProject(
        "[project]\nlake = \"lake\"\n[[sources]]\nname = \"s\"\n" + std::string(kSource),
        sub + "/recmart.toml", sub);
    ASSERT_TRUE(p.ok()) << p.status();
    EtlRunOptions o;
    o.history_records_per_pass = passes ? 1 : 0;
    // Two runs: the second compares with the history the first committed.
    std::ofstream(sub + "/data/1.jsonl") << day1;
    ASSERT_OK(RunEtl(*p, o).status());
    std::ofstream(sub + "/data/2.jsonl") << day2;
    ASSERT_OK(RunEtl(*p, o).status());
    for (const auto& t : tables) seen[passes][t] = Rows(*p, t + " ORDER BY ALL");
  }
  for (const auto& t : tables) EXPECT_EQ(seen[0][t], seen[1][t]) << t;
  // x: 5, 4.5, 5 (three records); y: 9 then 8; z: 1 once; w: 3 once.
  EXPECT_EQ(seen[1][tables[0]].size(), 7u);
}

TEST_F(PipelineTest, SecondWriterIsRefused) {
  Write("data/a.jsonl", kJsonl);
  auto p = Project(kJsonlSource);
  auto cat = catalog::Catalog::Open(p.catalog_path);
  ASSERT_OK(cat.status());
  auto lk = lake::Lake::Open(p.lake_root, cat->get());
  auto held = (*lk)->LockForWrite();
  ASSERT_OK(held.status());
  EXPECT_THAT(RunEtl(p, {}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("another recmart process")));
}

TEST_F(PipelineTest, MissingColumnInHeaderFailsTheRunWithItsName) {
  Write("data/e.csv", "user,item\na,b\n");
  auto p = Project(
      "kind = \"events\"\npath = \"data/e.csv\"\nformat = \"csv\"\nevent_type_constant = \"view\"\n"
      "[sources.columns]\nUSER_ID = \"user\"\nITEM_ID = \"item\"\nTIMESTAMP = \"when\"\n");
  auto r = RunEtl(p, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, HasSubstr("when")));
  // Nothing was committed: the lake has no interactions.
  EXPECT_THAT(Rows(p, "SELECT count(*) FROM interactions"), ::testing::ElementsAre("0"));
}

TEST_F(PipelineTest, ReconciliationFailureCommitsNothing) {
  Write("data/a.jsonl", kJsonl);
  auto p = Project(kJsonlSource);
  ::setenv("RECMART_FAULT", "drop_staged_event", 1);
  auto r = RunEtl(p, {});
  ::unsetenv("RECMART_FAULT");
  EXPECT_THAT(
      r, StatusIs(StatusCode::kDataLoss, HasSubstr("reconciliation failed, nothing committed")));
  EXPECT_THAT(Rows(p, "SELECT count(*) FROM interactions"), ::testing::ElementsAre("0"));
  EXPECT_FALSE(fs::exists(p.lake_root + "/interactions"));
  auto cat = catalog::Catalog::Open(p.catalog_path);
  auto runs = (*cat)->ListRuns(5);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].state, "failed");
  EXPECT_THAT((*runs)[0].error, HasSubstr("staged 1 events, readers produced 2"));
  // The bookmark did not move: the next run reads the file again and succeeds.
  auto again = RunEtl(p, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->accepted, 2u);
}

// Events equal in every field but one are distinct events, whatever their
// de-duplication keys: with every key forced equal, only the exact repeats
// go, and the earliest line of each is the one kept.
TEST_F(PipelineTest, DuplicatesAreDecidedByFieldsNotKeys) {
  Write("data/a.jsonl",
        "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
        "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\",\"v\":0}\n"
        "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\",\"v\":-0.0}\n"
        "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:01Z\",\"e\":\"view\"}\n"
        "{\"u\":\"b\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
        "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
        "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"cart\"}\n");
  Write("data/b.jsonl",
        "{\"u\":\"b\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
        "{\"u\":\"a\",\"i\":\"y\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n");
  const std::string lineage =
      "SELECT USER_ID, ITEM_ID, \"TIMESTAMP\", EVENT_TYPE, EVENT_VALUE, SOURCE_FILE, SOURCE_ROW "
      "FROM interactions ORDER BY ALL";
  std::vector<std::vector<std::string>> lakes;
  for (bool collide : {false, true}) {
    fs::remove_all(dir_ + "/lake");
    auto p = Project(kJsonlSource);
    if (collide) ::setenv("RECMART_FAULT", "event_keys_collide", 1);
    auto r = RunEtl(p, {});
    ::unsetenv("RECMART_FAULT");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->raw_rows, 9u) << collide;
    // Line 6 repeats line 1, line 3 (-0.0) repeats line 2 (0), and b's
    // first line repeats a's line 5.
    EXPECT_EQ(r->duplicates, 3u) << collide;
    EXPECT_EQ(r->accepted, 6u) << collide;
    lakes.push_back(Rows(p, lineage));
  }
  EXPECT_THAT(lakes[1], ::testing::ElementsAreArray(lakes[0]));
  EXPECT_THAT(lakes[0], ::testing::ElementsAre("a|x|1704067200|cart|NULL|data/a.jsonl|7",
                                               "a|x|1704067200|view|0.0|data/a.jsonl|2",
                                               "a|x|1704067200|view|NULL|data/a.jsonl|1",
                                               "a|x|1704067201|view|NULL|data/a.jsonl|4",
                                               "a|y|1704067200|view|NULL|data/b.jsonl|2",
                                               "b|x|1704067200|view|NULL|data/a.jsonl|5"));
}

TEST_F(PipelineTest, ProgressReachesTheTotal) {
  Write("data/a.jsonl", kJsonl);
  auto p = Project(kJsonlSource);
  uint64_t last_done = 0, last_total = 0;
  EtlRunOptions opts;
  opts.progress = [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
  };
  ASSERT_TRUE(RunEtl(p, opts).ok());
  EXPECT_GT(last_total, 0u);
  EXPECT_EQ(last_done, last_total);
}

TEST_F(PipelineTest, ItemIdRulesAndTitleMatchingGiveOneItemId) {
  // The catalog writes SKUs zero-padded with a prefix; the shop's events use
  // bare ids; a partner feed names products only by title.
  Write("catalog.csv",
        "sku,name\nSKU-000123,WHITE HANGING HEART T-LIGHT HOLDER\n"
        "SKU-000124,RED HANGING HEART T-LIGHT HOLDER\nSKU-000200,JUMBO BAG RED RETROSPOT\n");
  Write("data/shop.csv", "u,i,t\na,123,2024-01-01T00:00:00Z\nb,  200 ,2024-01-01T00:00:00Z\n");
  Write("partner.csv",
        "u,title,t\nc,White Hanging Heart T Light Holder,2024-01-02T00:00:00Z\n"
        "d,Hanging Heart T-Light Holder,2024-01-02T00:00:00Z\n"
        "e,Garden Hose,2024-01-02T00:00:00Z\n");
  const std::string text = R"([project]
lake = "lake"
[[sources]]
name = "catalog"
kind = "items"
path = "catalog.csv"
format = "csv"
item_id_rules = ["upper", "strip_prefix:SKU-", "strip_leading_zeros"]
[sources.columns]
ITEM_ID = "sku"
TITLE = "name"
[[sources]]
name = "shop"
kind = "events"
path = "data/shop.csv"
format = "csv"
event_type_constant = "view"
item_id_rules = ["trim", "strip_leading_zeros"]
[sources.columns]
USER_ID = "u"
ITEM_ID = "i"
TIMESTAMP = "t"
[[sources]]
name = "partner"
kind = "events"
path = "partner.csv"
format = "csv"
event_type_constant = "view"
[sources.columns]
USER_ID = "u"
ITEM_ID = "title"
TIMESTAMP = "t"
[sources.item_columns]
TITLE = "title"
[matching]
reference_source = "catalog"
title_sources = ["partner"]
)";
  auto p = config::ParseProject(text, dir_ + "/recmart.toml", dir_);
  ASSERT_TRUE(p.ok()) << p.status();
  auto r = RunEtl(*p, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Rows(*p, "SELECT USER_ID, ITEM_ID FROM interactions ORDER BY USER_ID"),
              ::testing::ElementsAre("a|123", "b|200", "c|123", "d|Hanging Heart T-Light Holder",
                                     "e|Garden Hose"));
  // The report of the run: every decision with its score.
  auto report = ReadFileToString(p->lake_root + "/_recmart/matching/run-" +
                                 std::to_string(r->run_id) + ".json");
  ASSERT_TRUE(report.ok()) << report.status();
  auto j = nlohmann::json::parse(*report);
  EXPECT_EQ(j["matched"], 1);
  EXPECT_EQ(j["unmatched"], 2);
  EXPECT_EQ(j["reference_items"], 3);
  std::map<std::string, std::string> outcome;
  for (const auto& m : j["matches"]) outcome[m["source_item_id"]] = m["outcome"];
  EXPECT_EQ(outcome["White Hanging Heart T Light Holder"], "matched");
  EXPECT_EQ(outcome["Hanging Heart T-Light Holder"], "ambiguous");
  EXPECT_EQ(outcome["Garden Hose"], "no_candidate");
}

}  // namespace
}  // namespace recmart::etl
