// Writes the model the API benchmark serves (issue 4): 1,000,000 users x
// 100,000 items, ALS with 64 factors, each user with 20 interactions of which
// a quarter are purchases (so an exclude-purchased filter has work to do).
// Usage: recmart_serve_model PROJECT_DIR [users] [items]
// The bundle goes to PROJECT_DIR/models (a registry) and becomes live.
#include <chrono>
#include <cstdio>
#include <string>

#include "recmart/engine/bundle.h"
#include "recmart/engine/registry.h"

int main(int argc, char** argv) {
  using namespace recmart;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROJECT_DIR [users] [items]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const uint32_t users = argc > 2 ? static_cast<uint32_t>(std::stoul(argv[2])) : 1000000;
  const uint32_t items = argc > 3 ? static_cast<uint32_t>(std::stoul(argv[3])) : 100000;
  auto t0 = std::chrono::steady_clock::now();
  models::DatasetBuilder b;
  for (uint32_t i = 0; i < items; ++i) b.AddItem("i" + std::to_string(i));
  uint64_t x = 42;
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
  if (!reg->Promote(*v, "benchmark").ok()) return 1;
  std::fprintf(stderr, "saved %s in %.1f s\n", v->c_str(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count());
  return 0;
}
