#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "recmart/common/testing.h"
#include "recmart/matching/id_rules.h"
#include "recmart/matching/title_matcher.h"

namespace recmart::matching {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

TEST(IdRulesTest, AppliesInOrder) {
  auto rules = ParseIdRules({"trim", "strip_prefix:SKU-", "strip_leading_zeros"});
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(NormalizeItemId("  sku-007 ", *rules), "7");
  // Zeros first, then the prefix: the zeros are not leading yet.
  auto other = ParseIdRules({"strip_leading_zeros", "strip_prefix:SKU-"});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(NormalizeItemId("SKU-007", *other), "007");
  EXPECT_EQ(NormalizeItemId(" x ", {}), " x ");
}

TEST(IdRulesTest, RejectsUnknownRules) {
  EXPECT_THAT(ParseIdRule("strip_prefix:"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("needs an argument")));
  EXPECT_THAT(ParseIdRule("trimm"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("strip_leading_zeros")));
}

TEST(TitleSimilarityTest, Properties) {
  EXPECT_DOUBLE_EQ(TitleSimilarity("Red Mug", "red   MUG!"), 1.0);
  EXPECT_DOUBLE_EQ(TitleSimilarity("red mug", "mug red"), TitleSimilarity("mug red", "red mug"));
  EXPECT_EQ(TitleSimilarity("", "red mug"), 0.0);
  // The digit guard: identical words, another size.
  EXPECT_LT(TitleSimilarity("mug 12oz", "mug 16oz"), 0.5);
  EXPECT_GT(TitleSimilarity("holder", "holders"), TitleSimilarity("holder", "folder"));
}

TEST(TitleMatcherTest, TiesBetweenIdsAreAmbiguousNotArbitrary) {
  TitleMatcher m;
  m.AddReference("b", "blue cup");
  m.AddReference("a", "blue cup");
  TitleMatch r = m.Match("blue cup");
  EXPECT_EQ(r.outcome, MatchOutcome::kAmbiguous);
  EXPECT_EQ(r.item_id, "a");
  EXPECT_EQ(r.runner_up, "b");
  // The same id twice is not ambiguous.
  TitleMatcher one;
  one.AddReference("a", "blue cup");
  one.AddReference("a", "Blue Cup");
  EXPECT_EQ(one.Match("blue cup").outcome, MatchOutcome::kMatched);
}

TEST(TitleMatcherTest, AnotherColourIsNotTheSameProduct) {
  // Only the white holder is in the catalog: the red one must not map to it.
  TitleMatcher m;
  m.AddReference("85123A", "WHITE HANGING HEART T-LIGHT HOLDER");
  TitleMatch r = m.Match("RED HANGING HEART T-LIGHT HOLDER");
  EXPECT_EQ(r.outcome, MatchOutcome::kBelowThreshold) << r.score;
  EXPECT_EQ(m.Match("White Hanging-Heart T Light Holders").outcome, MatchOutcome::kMatched);
}

// ---- golden cases: tests/golden/matching/*.test (see its README.md) ----

const std::string kGoldenDir = std::string(RECMART_SOURCE_DIR) + "/tests/golden/matching";

// Splits a line into words; "quoted strings" are one word with \" and \\ escapes.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    std::string w;
    if (line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        w += line[i];
      }
      ++i;
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') w += line[i++];
    }
    out.push_back(w);
  }
  return out;
}

std::vector<std::pair<int, std::string>> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::pair<int, std::string>> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    out.emplace_back(n, line);
  }
  return out;
}

TEST(GoldenTest, Ids) {
  const std::string path = kGoldenDir + "/ids.test";
  auto lines = Lines(path);
  ASSERT_GT(lines.size(), 10u) << path;
  std::vector<IdRule> rules;
  int checks = 0;
  for (const auto& [n, line] : lines) {
    SCOPED_TRACE(path + ":" + std::to_string(n) + ": " + line);
    std::vector<std::string> w = Words(line);
    if (w[0] == "rules") {
      auto parsed = ParseIdRules(std::vector<std::string>(w.begin() + 1, w.end()));
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
      rules = *parsed;
    } else if (w[0] == "normalize") {
      ASSERT_EQ(w.size(), 4u);
      EXPECT_EQ(NormalizeItemId(w[1], rules), w[3]);
    } else if (w[0] == "same") {
      for (size_t i = 2; i < w.size(); ++i)
        EXPECT_EQ(NormalizeItemId(w[1], rules), NormalizeItemId(w[i], rules)) << w[i];
    } else if (w[0] == "differ") {
      ASSERT_EQ(w.size(), 3u);
      EXPECT_NE(NormalizeItemId(w[1], rules), NormalizeItemId(w[2], rules));
    } else if (w[0] == "error") {
      ASSERT_EQ(w.size(), 4u);
      EXPECT_THAT(ParseIdRule(w[1]), StatusIs(StatusCode::kInvalidArgument, HasSubstr(w[3])));
    } else {
      FAIL() << "unknown command " << w[0];
    }
    ++checks;
  }
  EXPECT_GT(checks, 10);
}

TEST(GoldenTest, Titles) {
  std::vector<std::pair<std::string, std::string>> reference;
  {
    std::ifstream in(kGoldenDir + "/reference.tsv");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      size_t tab = line.find('\t');
      ASSERT_NE(tab, std::string::npos) << line;
      reference.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
  }
  ASSERT_GE(reference.size(), 10u);
  TitleMatchOptions options;
  auto build = [&] {
    TitleMatcher m(options);
    for (const auto& [id, title] : reference) m.AddReference(id, title);
    return m;
  };
  TitleMatcher matcher = build();
  const std::string path = kGoldenDir + "/titles.test";
  int matched = 0, refused = 0;
  for (const auto& [n, line] : Lines(path)) {
    SCOPED_TRACE(path + ":" + std::to_string(n) + ": " + line);
    std::vector<std::string> w = Words(line);
    if (w[0] == "options") {
      for (size_t i = 1; i < w.size(); ++i) {
        size_t eq = w[i].find('=');
        ASSERT_NE(eq, std::string::npos);
        double v = std::stod(w[i].substr(eq + 1));
        if (w[i].substr(0, eq) == "threshold")
          options.threshold = v;
        else if (w[i].substr(0, eq) == "margin")
          options.margin = v;
        else
          FAIL() << "unknown option " << w[i];
      }
      matcher = build();
    } else if (w[0] == "match") {
      ASSERT_EQ(w.size(), 4u);
      TitleMatch m = matcher.Match(w[1]);
      EXPECT_EQ(MatchOutcomeName(m.outcome), "matched")
          << "best " << m.item_id << " " << m.score << ", runner-up " << m.runner_up << " "
          << m.runner_up_score;
      EXPECT_EQ(m.item_id, w[3]) << m.score;
      ++matched;
    } else if (w[0] == "nomatch") {
      ASSERT_EQ(w.size(), 3u);
      TitleMatch m = matcher.Match(w[2]);
      EXPECT_EQ(MatchOutcomeName(m.outcome), w[1])
          << "best " << m.item_id << " " << m.score << ", runner-up " << m.runner_up << " "
          << m.runner_up_score;
      ++refused;
    } else {
      FAIL() << "unknown command " << w[0];
    }
  }
  EXPECT_GE(matched, 10);
  EXPECT_GE(refused, 8);
}

}  // namespace
}  // namespace recmart::matching
