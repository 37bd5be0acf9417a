#include "recmart/gen/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "recmart/common/fs.h"
#include "recmart/common/testing.h"

namespace recmart::gen {
namespace {
namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("recmart_gen_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  GeneratorOptions Small(const std::string& name) const {
    GeneratorOptions o;
    o.out_dir = (root_ / name).string();
    o.events = 10000;
    o.days = 5;
    o.seed = 7;
    return o;
  }

  fs::path root_;
};

std::string Read(const fs::path& p) {
  StatusOr<std::string> s = ReadFileToString(p.string());
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') lines.push_back(text.substr(start, i - start)), start = i + 1;
  }
  EXPECT_EQ(start, text.size()) << "file does not end with a newline";
  return lines;
}

std::vector<std::vector<std::string>> ReadCsv(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : SplitLines(Read(p))) {
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ',')
        fields.push_back(line.substr(start, i - start)), start = i + 1;
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

std::vector<fs::path> EventFiles(const std::string& out_dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(out_dir) / "events"))
    files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Every file under `dir`, relative path → contents.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = Read(e.path());
  }
  return files;
}

struct GoodEvent {
  std::string time, type, user, item, session;
  double price = 0;
};

// A good line is a JSON object with exactly the eight keys, the right types, a
// time on `date`, ids of the expected shape and sane lengths. Anything else is
// malformed.
bool ParseGood(const std::string& line, const std::string& date, GoodEvent* out) {
  if (line.size() > 1000) return false;
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.size() != 8) return false;
  for (const char* key :
       {"event_time", "event_type", "user_id", "product_id", "session_id", "category", "brand"}) {
    if (!j.contains(key) || !j[key].is_string()) return false;
  }
  if (!j.contains("price") || !j["price"].is_number()) return false;
  out->time = j["event_time"];
  out->type = j["event_type"];
  out->user = j["user_id"];
  out->item = j["product_id"];
  out->session = j["session_id"];
  out->price = j["price"];
  const std::string& t = out->time;
  return t.size() == 20 && t.compare(0, 10, date) == 0 && t[10] == 'T' && t[19] == 'Z' &&
         t.substr(11, 2) < "24" && out->user.size() >= 7 && out->user[0] == 'u' &&
         out->user.find('\0') == std::string::npos && out->item[0] == 'p' && out->price > 0;
}

struct Clickstream {
  std::vector<GoodEvent> good;
  uint64_t malformed = 0;
  std::vector<std::string> dates;  // of the files, in order
};

Clickstream ReadClickstream(const std::string& out_dir) {
  Clickstream c;
  for (const fs::path& f : EventFiles(out_dir)) {
    const std::string name = f.filename().string();  // events-YYYY-MM-DD.jsonl
    const std::string date = name.substr(7, 10);
    c.dates.push_back(date);
    for (const std::string& line : SplitLines(Read(f))) {
      GoodEvent e;
      if (ParseGood(line, date, &e)) {
        c.good.push_back(std::move(e));
      } else {
        ++c.malformed;
      }
    }
  }
  return c;
}

TEST_F(GeneratorTest, SameOptionsGiveIdenticalBytesWhateverTheThreadCount) {
  GeneratorOptions a = Small("a"), b = Small("b"), c = Small("c");
  a.malformed_share = b.malformed_share = c.malformed_share = 0.02;
  a.threads = 1;
  b.threads = 3;
  c.seed = 8;
  ASSERT_OK(Generate(a, nullptr));
  ASSERT_OK(Generate(b, nullptr));
  ASSERT_OK(Generate(c, nullptr));
  const auto files_a = Snapshot(a.out_dir);
  const auto files_b = Snapshot(b.out_dir);
  ASSERT_EQ(files_a.size(), files_b.size());
  for (const auto& [name, contents] : files_a) {
    if (name == "recmart.toml") continue;
    EXPECT_TRUE(files_b.at(name) == contents) << name << " differs between runs";
  }
  EXPECT_FALSE(Snapshot(c.out_dir).at("orders/orders.csv") == files_a.at("orders/orders.csv"))
      << "another seed gives other data";
}

TEST_F(GeneratorTest, CountsMatchStatsAndFiles) {
  GeneratorOptions o = Small("out");
  GeneratorStats stats;
  ASSERT_OK(Generate(o, &stats));
  EXPECT_EQ(stats.events_written, o.events);
  EXPECT_EQ(stats.malformed_written, 0u);
  EXPECT_EQ(stats.files, o.days);
  EXPECT_EQ(stats.items, 200u);  // max(200, events / 200)
  EXPECT_EQ(stats.users, 500u);  // events / 20

  const Clickstream c = ReadClickstream(o.out_dir);
  EXPECT_EQ(c.good.size(), o.events);
  EXPECT_EQ(c.malformed, 0u);
  uint64_t bytes = 0;
  for (const fs::path& f : EventFiles(o.out_dir)) bytes += fs::file_size(f);
  EXPECT_EQ(stats.bytes_written, bytes);
  EXPECT_NEAR(static_cast<double>(bytes) / o.events, 175, 35) << "lines should be ~150-200 bytes";

  const auto products = ReadCsv(fs::path(o.out_dir) / "catalog/products.csv");
  ASSERT_FALSE(products.empty());
  EXPECT_THAT(products[0], ::testing::ElementsAre("product_id", "title", "category_path", "brand",
                                                  "price", "available", "created_at"));
  EXPECT_EQ(products.size() - 1, stats.items);
  const auto customers = ReadCsv(fs::path(o.out_dir) / "customers/customers.csv");
  const auto bots = ReadCsv(fs::path(o.out_dir) / "truth/bots.csv");
  EXPECT_EQ(customers.size() - 1 + bots.size() - 1, stats.users);
  EXPECT_GT(bots.size() - 1, 0u);
  std::set<std::string> segments;
  for (size_t i = 1; i < customers.size(); ++i) segments.insert(customers[i][1]);
  EXPECT_THAT(segments, ::testing::ElementsAre("b2b", "consumer", "vip"));

  // orders.csv has one line per purchase event: same user, item, second and price.
  const auto orders = ReadCsv(fs::path(o.out_dir) / "orders/orders.csv");
  EXPECT_THAT(orders[0], ::testing::ElementsAre("order_id", "customer_id", "product_id", "quantity",
                                                "unit_price", "ordered_at"));
  EXPECT_EQ(orders.size() - 1, stats.order_lines);
  std::set<std::string> order_ids;
  std::multiset<std::string> from_orders, from_events;
  for (size_t i = 1; i < orders.size(); ++i) {
    order_ids.insert(orders[i][0]);
    std::string time = orders[i][5];
    time[10] = 'T';
    from_orders.insert(orders[i][1] + "|" + orders[i][2] + "|" + time + "Z|" + orders[i][4]);
    EXPECT_GE(std::stoi(orders[i][3]), 1);
  }
  EXPECT_EQ(order_ids.size(), stats.orders);
  char price[32];
  for (const GoodEvent& e : c.good) {
    if (e.type != "purchase") continue;
    std::snprintf(price, sizeof price, "%.2f", e.price);
    from_events.insert(e.user + "|" + e.item + "|" + e.time + "|" + price);
  }
  EXPECT_TRUE(from_orders == from_events);
  EXPECT_GT(stats.orders, 0u);
}

TEST_F(GeneratorTest, FilesSplitByDayAndFunnelLooksLikeAShop) {
  GeneratorOptions o = Small("out");
  o.start_date = "2024-02-27";  // across a leap day
  ASSERT_OK(Generate(o, nullptr));
  const Clickstream c = ReadClickstream(o.out_dir);
  EXPECT_THAT(c.dates, ::testing::ElementsAre("2024-02-27", "2024-02-28", "2024-02-29",
                                              "2024-03-01", "2024-03-02"));
  EXPECT_EQ(c.malformed, 0u) << "every line is on its file's day";

  std::map<std::string, uint64_t> types;
  std::set<std::string> sessions, users, items, distinct;
  int evening = 0, night = 0;
  for (const GoodEvent& e : c.good) {
    ++types[e.type];
    distinct.insert(e.time + e.type + e.user + e.item + e.session);
    sessions.insert(e.session);
    users.insert(e.user);
    items.insert(e.item);
    const int hour = std::stoi(e.time.substr(11, 2));
    evening += hour >= 18 && hour < 22;
    night += hour >= 2 && hour < 6;
  }
  EXPECT_EQ(distinct.size(), c.good.size()) << "no accidental exact duplicates";
  for (const auto& [type, n] : types) {
    EXPECT_THAT(type, ::testing::AnyOf("view", "add_to_cart", "remove_from_cart", "purchase",
                                       "addToCart", "cart", "removeFromCart"));
  }
  const double views = types["view"];
  const double carts = types["add_to_cart"] + types["addToCart"] + types["cart"];
  EXPECT_GT(carts / views, 0.03);
  EXPECT_LT(carts / views, 0.10);
  EXPECT_GT(types["purchase"] / carts, 0.25);
  EXPECT_LT(types["purchase"] / carts, 0.6);
  EXPECT_GT(types["remove_from_cart"] + types["removeFromCart"], 0u);
  EXPECT_GT(evening, 3 * night) << "more traffic in the evening than at night";
  EXPECT_GT(sessions.size(), o.events / 20);
  EXPECT_GT(users.size(), 300u);

  // Cold items never appear; popularity is skewed (top 10% of items > 50% of views).
  const auto cold = ReadCsv(fs::path(o.out_dir) / "truth/cold_items.csv");
  EXPECT_GT(cold.size(), 1u);
  for (size_t i = 1; i < cold.size(); ++i) EXPECT_EQ(items.count(cold[i][0]), 0u) << cold[i][0];
  std::map<std::string, uint64_t> item_views;
  for (const GoodEvent& e : c.good) item_views[e.item] += e.type == "view";
  std::vector<uint64_t> counts;
  for (const auto& [item, n] : item_views) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  uint64_t top = 0;
  for (size_t i = 0; i < 20 && i < counts.size(); ++i) top += counts[i];
  EXPECT_GT(top / views, 0.5);
}

TEST_F(GeneratorTest, BotsViewManyAndNeverBuy) {
  GeneratorOptions o = Small("out");
  o.bot_share = 0.02;
  ASSERT_OK(Generate(o, nullptr));
  std::set<std::string> bots;
  for (const auto& row : ReadCsv(fs::path(o.out_dir) / "truth/bots.csv")) bots.insert(row[0]);
  uint64_t bot_events = 0;
  for (const GoodEvent& e : ReadClickstream(o.out_dir).good) {
    if (bots.count(e.user) == 0) continue;
    ++bot_events;
    EXPECT_EQ(e.type, "view");
  }
  EXPECT_GT(bot_events, o.events / 40);
  EXPECT_LT(bot_events, o.events / 4);
}

TEST_F(GeneratorTest, MalformedLinesOfEveryKindAtTheRequestedShare) {
  GeneratorOptions clean = Small("clean"), dirty = Small("dirty");
  dirty.malformed_share = 0.05;
  GeneratorStats stats;
  ASSERT_OK(Generate(clean, nullptr));
  ASSERT_OK(Generate(dirty, &stats));
  EXPECT_EQ(stats.events_written, dirty.events);
  const Clickstream c = ReadClickstream(dirty.out_dir);
  EXPECT_EQ(c.good.size(), stats.events_written);
  EXPECT_EQ(c.malformed, stats.malformed_written);
  const double share =
      static_cast<double>(c.malformed) / static_cast<double>(c.malformed + c.good.size());
  EXPECT_NEAR(share, 0.05, 0.01);

  // The good lines are the clean run's lines, in order.
  const Clickstream reference = ReadClickstream(clean.out_dir);
  ASSERT_EQ(reference.good.size(), c.good.size());
  for (size_t i = 0; i < c.good.size(); ++i) {
    ASSERT_EQ(c.good[i].time + c.good[i].session + c.good[i].item,
              reference.good[i].time + reference.good[i].session + reference.good[i].item);
  }

  // Spot each kind in the raw bytes.
  std::string all;
  for (const fs::path& f : EventFiles(dirty.out_dir)) all += Read(f);
  EXPECT_THAT(all, HasSubstr("\"price\":\"abc\""));
  EXPECT_THAT(all, HasSubstr("\"event_time\":\"not a time\""));
  EXPECT_THAT(all, HasSubstr("\"event_time\":\"2999-"));
  EXPECT_THAT(all, HasSubstr(std::string("\"user_id\":\"u\0", 13)));
  EXPECT_THAT(all, HasSubstr("\xff\xfe"));
  EXPECT_THAT(all, HasSubstr(std::string(200 * 1024, 'x')));
  EXPECT_THAT(all, HasSubstr("\n[\""));
  EXPECT_THAT(all, HasSubstr("\n\n"));
  int missing_user = 0, missing_item = 0, truncated = 0;
  for (const std::string& line : SplitLines(all)) {
    if (line.empty() || line[0] != '{') continue;
    missing_user += line.find("\"user_id\"") == std::string::npos;
    missing_item += line.find("\"product_id\"") == std::string::npos;
    truncated += line.back() != '}';
  }
  EXPECT_GT(missing_user, 0);
  EXPECT_GT(missing_item, 0);
  EXPECT_GT(truncated, 0);
}

TEST_F(GeneratorTest, BundlesAreBoughtTogetherFarAboveChance) {
  GeneratorOptions o = Small("out");
  o.events = 50000;
  ASSERT_OK(Generate(o, nullptr));
  std::map<std::string, std::vector<std::string>> bundles;
  for (const auto& row : ReadCsv(fs::path(o.out_dir) / "truth/bundles.csv")) {
    if (row[0] != "bundle_id") bundles[row[0]].push_back(row[1]);
  }
  ASSERT_GE(bundles.size(), 2u);
  for (const auto& [id, items] : bundles) EXPECT_THAT(items.size(), ::testing::AnyOf(2u, 3u));

  std::map<std::string, std::set<std::string>> orders;  // order → items
  for (const auto& row : ReadCsv(fs::path(o.out_dir) / "orders/orders.csv")) {
    if (row[0] != "order_id") orders[row[0]].insert(row[2]);
  }
  std::map<std::string, double> item_orders;
  for (const auto& [order, items] : orders) {
    for (const std::string& i : items) ++item_orders[i];
  }
  // Over all bundle pairs: orders holding both vs. what independence predicts.
  double observed = 0, expected = 0;
  const double n = static_cast<double>(orders.size());
  for (const auto& [id, items] : bundles) {
    for (size_t a = 0; a < items.size(); ++a) {
      for (size_t b = a + 1; b < items.size(); ++b) {
        for (const auto& [order, in] : orders) observed += in.count(items[a]) && in.count(items[b]);
        expected += item_orders[items[a]] * item_orders[items[b]] / n;
      }
    }
  }
  EXPECT_GT(observed, 20);
  EXPECT_GT(observed, 10 * expected);
}

TEST_F(GeneratorTest, CompressedFilesHoldTheSameLines) {
  GeneratorOptions none = Small("none"), gz = Small("gz"), zst = Small("zst");
  none.events = gz.events = zst.events = 5000;
  gz.compression = "gzip";
  zst.compression = "zstd";
  GeneratorStats gz_stats;
  ASSERT_OK(Generate(none, nullptr));
  ASSERT_OK(Generate(gz, &gz_stats));
  ASSERT_OK(Generate(zst, nullptr));
  const std::vector<fs::path> plain = EventFiles(none.out_dir);
  const std::vector<fs::path> gz_files = EventFiles(gz.out_dir);
  const std::vector<fs::path> zst_files = EventFiles(zst.out_dir);
  ASSERT_EQ(gz_files.size(), plain.size());
  ASSERT_EQ(zst_files.size(), plain.size());
  uint64_t gz_bytes = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(gz_files[i].filename().string(), plain[i].filename().string() + ".gz");
    EXPECT_EQ(zst_files[i].filename().string(), plain[i].filename().string() + ".zst");
    const std::string expected = Read(plain[i]);
    gz_bytes += fs::file_size(gz_files[i]);

    gzFile in = gzopen(gz_files[i].c_str(), "rb");
    ASSERT_NE(in, nullptr);
    std::string inflated(expected.size() + 1, '\0');
    const int n = gzread(in, inflated.data(), static_cast<unsigned>(inflated.size()));
    gzclose(in);
    inflated.resize(n < 0 ? 0 : n);
    EXPECT_TRUE(inflated == expected) << gz_files[i];

    const std::string packed = Read(zst_files[i]);
    std::string unpacked(expected.size() + 1, '\0');
    const size_t m =
        ZSTD_decompress(unpacked.data(), unpacked.size(), packed.data(), packed.size());
    ASSERT_FALSE(ZSTD_isError(m)) << ZSTD_getErrorName(m);
    unpacked.resize(m);
    EXPECT_TRUE(unpacked == expected) << zst_files[i];
  }
  EXPECT_EQ(gz_stats.bytes_written, gz_bytes);
  EXPECT_LT(gz_bytes * 3, fs::file_size(plain[0]) * plain.size());
  EXPECT_THAT(Read(fs::path(gz.out_dir) / "recmart.toml"),
              HasSubstr("path = \"events/*.jsonl.gz\""));
}

TEST_F(GeneratorTest, ProjectFileMapsAllFourSources) {
  GeneratorOptions o = Small("out");
  o.events = 1000;
  ASSERT_OK(Generate(o, nullptr));
  const std::string toml = Read(fs::path(o.out_dir) / "recmart.toml");
  EXPECT_THAT(toml, HasSubstr("lake = \"lake\""));
  for (const char* s :
       {"name = \"clickstream\"\nkind = \"events\"", "path = \"events/*.jsonl\"",
        "format = \"jsonl\"", "CATEGORY_PATH = \"category\"", "BRAND = \"brand\"",
        "PRICE = \"price\"", "kind = \"items\"", "path = \"catalog/products.csv\"",
        "kind = \"users\"", "path = \"customers/customers.csv\"", "kind = \"transactions\"",
        "path = \"orders/orders.csv\"", "ORDER_ID = \"order_id\"", "QUANTITY = \"quantity\"",
        "UNIT_PRICE = \"unit_price\""}) {
    EXPECT_THAT(toml, HasSubstr(s));
  }
  EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "truth/README.txt"));

  o.write_project = false;
  o.out_dir = (root_ / "no_project").string();
  ASSERT_OK(Generate(o, nullptr));
  EXPECT_FALSE(fs::exists(fs::path(o.out_dir) / "recmart.toml"));
}

TEST_F(GeneratorTest, RejectsBadOptionsAndForeignEventFiles) {
  GeneratorOptions o = Small("out");
  o.compression = "lz4";
  EXPECT_THAT(Generate(o, nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("compression")));
  o = Small("out");
  o.days = 0;
  EXPECT_THAT(Generate(o, nullptr), StatusIs(StatusCode::kInvalidArgument, HasSubstr("days")));
  o = Small("out");
  o.start_date = "2024-13-01";
  EXPECT_THAT(Generate(o, nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("start_date")));
  o = Small("out");
  o.malformed_share = 1.0;
  EXPECT_THAT(Generate(o, nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed_share")));
  o = Small("out");
  o.out_dir = "";
  EXPECT_THAT(Generate(o, nullptr), StatusIs(StatusCode::kInvalidArgument, HasSubstr("out_dir")));

  // A re-run over its own output is fine; a file it would not write is not.
  o = Small("out");
  o.events = 1000;
  ASSERT_OK(Generate(o, nullptr));
  ASSERT_OK(Generate(o, nullptr));
  o.days = 3;
  EXPECT_THAT(
      Generate(o, nullptr),
      StatusIs(StatusCode::kFailedPrecondition,
               HasSubstr("2 file(s) this run would not write (first: events-2024-01-04.jsonl)")));
}

TEST_F(GeneratorTest, ZeroEventsWritesEmptyDayFiles) {
  GeneratorOptions o = Small("out");
  o.events = 0;
  GeneratorStats stats;
  ASSERT_OK(Generate(o, &stats));
  EXPECT_EQ(stats.events_written, 0u);
  EXPECT_EQ(stats.order_lines, 0u);
  EXPECT_EQ(EventFiles(o.out_dir).size(), 5u);
  EXPECT_EQ(Read(fs::path(o.out_dir) / "orders/orders.csv"),
            "order_id,customer_id,product_id,quantity,unit_price,ordered_at\n");
}

}  // namespace
}  // namespace recmart::gen
