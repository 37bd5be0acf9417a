// Test helpers shared by the SQLite and PostgreSQL source tests: a small shop
// whose orders come from a database, its catalog from a CSV file and its
// clickstream from JSON lines, and ways to look at the lake it produces.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "recmart/catalog/catalog.h"
#include "recmart/config/project.h"
#include "recmart/lake/duckdb.h"
#include "recmart/lake/lake.h"

namespace recmart::etl::testlib {

// 4 products, 6 clicks.
inline void WriteCatalogAndClicks(const std::string& dir) {
  std::filesystem::create_directories(dir + "/data");
  std::ofstream(dir + "/data/products.csv") << "sku,name,category,price\n"
                                               "p1,Red mug,kitchen,9.5\n"
                                               "p2,Blue mug,kitchen,9.5\n"
                                               "p3,Teapot,kitchen,25\n"
                                               "p4,Apron,textiles,14\n";
  std::ofstream(dir + "/data/clicks.jsonl")
      << "{\"user\":\"c1\",\"item\":\"p1\",\"ts\":\"2024-03-01T09:00:00Z\",\"event\":\"view\"}\n"
         "{\"user\":\"c1\",\"item\":\"p2\",\"ts\":\"2024-03-01T09:01:00Z\",\"event\":\"view\"}\n"
         "{\"user\":\"c2\",\"item\":\"p3\",\"ts\":\"2024-03-01T09:02:00Z\",\"event\":\"view\"}\n"
         "{\"user\":\"c2\",\"item\":\"p3\",\"ts\":\"2024-03-01T09:03:00Z\",\"event\":\"cart\"}\n"
         "{\"user\":\"c3\",\"item\":\"p4\",\"ts\":\"2024-03-02T11:00:00Z\",\"event\":\"view\"}\n"
         "{\"user\":\"c3\",\"item\":\"p1\",\"ts\":\"2024-03-02T11:05:00Z\",\"event\":\"view\"}\n";
}

// The project: `orders_block` is the [[sources]] block of the database source
// (everything after `name = "orders"`), e.g. type, connection, table.
inline std::string ProjectText(const std::string& orders_block) {
  return "[project]\nname = \"mixed\"\nlake = \"lake\"\n"
         "[[sources]]\nname = \"products\"\nkind = \"items\"\npath = \"data/products.csv\"\n"
         "format = \"csv\"\n[sources.columns]\nITEM_ID = \"sku\"\nTITLE = \"name\"\n"
         "CATEGORY_L1 = \"category\"\nPRICE = \"price\"\n"
         "[[sources]]\nname = \"clicks\"\nkind = \"events\"\npath = \"data/clicks.jsonl\"\n"
         "format = \"jsonl\"\n[sources.columns]\nUSER_ID = \"user\"\nITEM_ID = \"item\"\n"
         "TIMESTAMP = \"ts\"\nEVENT_TYPE = \"event\"\n[sources.event_types]\ncart = "
         "\"add_to_cart\"\n"
         "[[sources]]\nname = \"orders\"\nkind = \"transactions\"\n" +
         orders_block +
         "\n[sources.columns]\nUSER_ID = \"customer_id\"\nITEM_ID = \"product_id\"\n"
         "TIMESTAMP = \"ordered_at\"\nORDER_ID = \"order_id\"\nQUANTITY = \"quantity\"\n"
         "UNIT_PRICE = \"unit_price\"\n";
}

inline config::Project ParseOrDie(const std::string& dir, const std::string& text) {
  auto p = config::ParseProject(text, dir + "/recmart.toml", dir);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : config::Project{};
}

// Rows of a query over the lake's views, cells joined by '|'.
inline std::vector<std::string> Rows(const config::Project& p, const std::string& sql) {
  auto cat = catalog::Catalog::Open(p.catalog_path);
  EXPECT_TRUE(cat.ok()) << cat.status();
  auto lk = lake::Lake::Open(p.lake_root, cat->get());
  auto db = lake::Database::Open("");
  auto conn = (*db)->Connect();
  EXPECT_TRUE((*lk)->CreateViews(*conn).ok());
  auto r = conn->Query(sql);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (size_t i = 0; i < r->row_count(); ++i) {
    std::string line;
    for (size_t c = 0; c < r->column_count(); ++c)
      line += (c ? "|" : "") + r->GetString(c, i).value_or("NULL");
    out.push_back(line);
  }
  return out;
}

// Every file of the lake outside its internal directory, with its size: equal
// before and after a failed run means the lake kept its last good state.
inline std::map<std::string, uintmax_t> LakeFiles(const config::Project& p) {
  std::map<std::string, uintmax_t> out;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(p.lake_root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), p.lake_root).string();
    if (rel.starts_with("_recmart")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out[rel] = it->file_size();
  }
  return out;
}

}  // namespace recmart::etl::testlib
