// Writes the model the API benchmark serves (issue 4): 1,000,000 users x
// 100,000 items, ALS with 64 factors, each user with 20 interactions of which
// a quarter are purchases (so an exclude-purchased filter has work to do).
// Usage: recmart_serve_model PROJECT_DIR [users] [items] [seed] [--no-promote]
// The bundle goes to PROJECT_DIR/models (a registry) and becomes live unless
// --no-promote. Another seed gives other tastes, so another model of the same
// shape: bench/serve_load.sh promotes versions in turn under load.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "recmart/engine/bundle.h"
#include "recmart/engine/registry.h"

int main(int argc, char** argv) {
  using namespace recmart;
  std::vector<std::string> args;
  bool promote = true;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-promote") {
      promote = false;
    } else {
      args.emplace_back(argv[i]);
    }
  }
  if (args.empty() || args.size() > 4) {
    std::fprintf(stderr, "usage: %s PROJECT_DIR [users] [items] [seed] [--no-promote]\n", argv[0]);
    return 2;
  }
  const std::string dir = args[0];
  const uint32_t users = args.size() > 1 ? static_cast<uint32_t>(std::stoul(args[1])) : 1000000;
  const uint32_t items = args.size() > 2 ? static_cast<uint32_t>(std::stoul(args[2])) : 100000;
  const uint64_t seed = args.size() > 3 ? std::stoull(args[3]) : 42;
  auto t0 = std::chrono::steady_clock::now();
  models::DatasetBuilder b;
  for (uint32_t i = 0; i < items; ++i) b.AddItem("i" + std::to_string(i));
  uint64_t x = seed;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(x >> 33);
  };
  for (uint32_t u = 0; u < users; ++u) {
    const std::string user = "u" + std::to_string(u);
    const uint32_t taste = next() % 1000;  // 1000 clusters of 100 items
    for (int k = 0; k < 20; ++k) {
      const uint32_t item =
          (next() % 4 == 0) ? next() % items : (taste * 100 + next() % 100) % items;
      const std::string id = "i" + std::to_string(item);
      const bool purchase = k % 4 == 0;
      b.AddPair(user, id, purchase ? 10.0f : 1.0f, 1000 + k, 1000 + k);
      b.AddEvent(user, id, 1000 + k,
                 purchase ? models::EventKind::kPurchase : models::EventKind::kView);
    }
  }
  models::Dataset d = std::move(b).Build();
  auto t1 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "data: %u users, %u items, %zu pairs in %.1f s\n", users, items,
               d.matrix.nnz(), std::chrono::duration<double>(t1 - t0).count());
  models::TrainContext ctx;
  ctx.threads = 2;
  auto bundle = engine::ModelBundle::Train(d, "als", {{"factors", 64}, {"iterations", 2}}, ctx);
  if (!bundle.ok()) {
    std::fprintf(stderr, "train: %s\n", bundle.status().ToString().c_str());
    return 1;
  }
  auto t2 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "train: %.1f s\n", std::chrono::duration<double>(t2 - t1).count());
  auto reg = engine::ModelRegistry::Open(dir + "/models");
  if (!reg.ok()) return 1;
  auto v = reg->Add(*bundle);
  if (!v.ok()) {
    std::fprintf(stderr, "save: %s\n", v.status().ToString().c_str());
    return 1;
  }
  if (promote && !reg->Promote(*v, "benchmark").ok()) return 1;
  std::fprintf(stderr, "saved %s%s in %.1f s\n", v->c_str(), promote ? " (live)" : "",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count());
  return 0;
}
