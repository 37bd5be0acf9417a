// A synthetic shop: clickstream, catalog, customers and orders with known
// structure (planted bundles, bots, cold items), for tests, demos and
// benchmarks that must not depend on a real shop's data.
//
// Layout written under GeneratorOptions::out_dir:
//   events/events-YYYY-MM-DD.jsonl[.gz|.zst]  one clickstream file per day, JSON lines:
//       {"event_time":"2024-01-01T08:15:02Z","event_type":"view","user_id":"u000123",
//        "product_id":"p00456","session_id":"s000-000123","price":12.50,
//        "category":"home.kitchen.knives","brand":"acme"}
//     event_type is view, add_to_cart, remove_from_cart or purchase, and rarely
//     an alias (addToCart, cart, removeFromCart). Every good line's time lies
//     inside its file's day (UTC); lines are roughly, not strictly, in time order
//     (sessions overlap). On purchases, price is the unit price paid.
//   catalog/products.csv     product_id,title,category_path,brand,price,available,created_at
//   customers/customers.csv  customer_id,segment,country,created_at (bots are not customers)
//   orders/orders.csv        order_id,customer_id,product_id,quantity,unit_price,ordered_at
//                            one line per clickstream purchase event, same user,
//                            item and second (ordered_at is "YYYY-MM-DD HH:MM:SS")
//   truth/bundles.csv        bundle_id,item_id — items planted to be bought together
//   truth/bots.csv           user_id — users that are bots (many fast views, never buy)
//   truth/cold_items.csv     item_id — catalog items no event ever touches
//   truth/README.txt         what each truth file means
//   recmart.toml             a project file mapping the four sources (if write_project)
//
// Determinism: the same options give byte-identical files, whatever the thread
// count (each day has its own random stream; all distributions are computed
// here, not by <random>). Memory does not grow with `events`: lines stream to
// disk through fixed buffers; only per-item tables (O(items)) and the bot list
// are held.
#pragma once

#include <cstdint>
#include <string>

#include "recmart/common/status.h"

namespace recmart::gen {

struct GeneratorOptions {
  // Directory to write into (created if missing). Files with the names above
  // are replaced; any other file in out_dir/events makes Generate fail, since
  // the project's glob would pick it up.
  std::string out_dir;
  // Good clickstream events to write in total (exactly; malformed lines come on top).
  uint64_t events = 100000;
  // Seed of every random choice.
  uint64_t seed = 42;
  // Distinct user ids, bots included; 0 = max(10, events / 20).
  int users = 0;
  // Catalog size; 0 = max(200, events / 200).
  int items = 0;
  // Days covered, one clickstream file each (1..3660).
  int days = 30;
  // First day, YYYY-MM-DD (UTC).
  std::string start_date = "2024-01-01";
  // Share of clickstream lines that are malformed, in [0, 0.9): truncated JSON,
  // wrong types, bad or out-of-range timestamps, missing ids, invalid UTF-8, a
  // NUL byte, a 200 KB field (at most one per file), a JSON array, a blank line.
  double malformed_share = 0.0;
  // Share of users that are bots, in [0, 0.5]; bots make about 5x their share of events.
  double bot_share = 0.01;
  // Compression of the clickstream files: none | gzip | zstd.
  std::string compression = "none";
  // Also write out_dir/recmart.toml mapping all four sources into lake "lake".
  bool write_project = true;
  // Worker threads (one day-file at a time each); 0 = one per core. Output does not depend on it.
  int threads = 0;
};

struct GeneratorStats {
  uint64_t events_written = 0;     // good clickstream events (== options.events)
  uint64_t malformed_written = 0;  // malformed clickstream lines, blank lines included
  uint64_t bytes_written = 0;      // size on disk of the clickstream files (compressed if so)
  uint64_t items = 0;              // rows of catalog/products.csv
  uint64_t users = 0;              // distinct user ids, bots included
  uint64_t orders = 0;             // distinct order ids in orders/orders.csv
  uint64_t order_lines = 0;        // rows of orders/orders.csv (== purchase events)
  int files = 0;                   // clickstream files (one per day)
};

// Writes the synthetic shop described above. On success fills `*stats` (may be
// null). InvalidArgument for bad options (naming the field), FailedPrecondition
// when out_dir/events holds foreign files, IOError when a write fails; on error
// the output directory may hold partial files.
Status Generate(const GeneratorOptions& options, GeneratorStats* stats);

}  // namespace recmart::gen
