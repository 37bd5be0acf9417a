// recmart_model_speed: training and scoring speed of the factor recipes on a
// fixed synthetic matrix (see bench/README.md).
//
//   recmart_model_speed [--threads N] [--users N] [--items N] [--nnz N]
//                       [--als-iterations N] [--bpr-epochs N] [--topk-users N]
//                       [--batch N] [--only als|bpr]
//
// Data: a fixed-seed users x items matrix (default 100,000 x 20,000 with
// about 2.6M non-zeros): per user a log-normal number of interactions, items
// drawn from a Zipf(0.8) popularity over a shuffled item order, values 1 to 3.
//
// Phases, each in a fresh child process forked from the one that generated
// the data (so a phase's memory is its own and TBB starts clean):
//   als fit     15 iterations, 64 factors;   then the model is saved
//   bpr fit     100 epochs, 64 factors;      then the model is saved
//   als top-10  load the saved model (memory-mapped), top 10 unseen items
//               for 10,000 users (every 10th): Model::ScoreUsers in batches
//               of --batch users + models::TopK, over the threads
//   bpr top-10  the same for the bpr model
// Default params otherwise (so scoring uses bfloat16 products where the CPU
// has AVX512-BF16, see AlsOptions::score_precision). Per phase: wall seconds
// of the timed work (not the load or save), CPU seconds of the child, and
// its peak RSS (VmHWM) next to its RSS when it started (the inherited data),
// so the difference is what the phase itself added. Exit status 0 when the
// three targets (als fit <= 8 s, bpr fit <= 27 s, als top-10 <= 0.3 s) are
// met, 1 otherwise, 2 on a usage or setup error.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/models/als/als.h"
#include "recmart/models/array_file.h"
#include "recmart/models/bpr/bpr.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"
#include "recmart/models/topk.h"

namespace {

using recmart::Status;
using recmart::StatusOr;
using namespace recmart::models;

struct Config {
  int threads = 2;
  uint32_t users = 100'000;
  uint32_t items = 20'000;
  size_t nnz = 2'600'000;
  int als_iterations = 15;
  int bpr_epochs = 100;
  uint32_t topk_users = 10'000;
  // Users per ScoreUsers call: 16 x 20,000 scores (1.3 MB) stay in L2 for
  // TopK; 64 is about 15% slower.
  size_t batch = 16;
  std::string only;
};

// Uniform in [0, 1) from 53 bits (the standard distributions' output is
// not fixed across libraries; this is).
double Unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

Dataset Generate(const Config& c) {
  std::mt19937_64 rng(20240607);
  // Zipf(0.8) over popularity ranks; rank r is item perm[r].
  std::vector<double> cdf(c.items);
  double total = 0.0;
  for (uint32_t r = 0; r < c.items; ++r) cdf[r] = total += std::pow(r + 1.0, -0.8);
  for (double& x : cdf) x /= total;
  std::vector<uint32_t> perm(c.items);
  for (uint32_t i = 0; i < c.items; ++i) perm[i] = i;
  for (uint32_t i = c.items; i > 1; --i) std::swap(perm[i - 1], perm[rng() % i]);

  // Per user: lognormal count with the mean that gives about c.nnz entries
  // after duplicates are merged (the 1.06 makes up for them).
  const double mean = 1.06 * static_cast<double>(c.nnz) / c.users, sigma = 0.9;
  const double mu = std::log(mean) - sigma * sigma / 2;
  std::vector<int64_t> indptr(size_t{c.users} + 1, 0);
  std::vector<uint32_t> indices;
  std::vector<float> values;
  indices.reserve(c.nnz * 11 / 10);
  values.reserve(c.nnz * 11 / 10);
  std::vector<uint32_t> row;
  for (uint32_t u = 0; u < c.users; ++u) {
    const double g = std::sqrt(-2.0 * std::log(1.0 - Unit(rng))) * std::cos(2 * M_PI * Unit(rng));
    const auto n = std::clamp<long>(std::lround(std::exp(mu + sigma * g)), 1, c.items / 4);
    row.clear();
    for (long k = 0; k < n; ++k) {
      const double x = Unit(rng);
      row.push_back(perm[std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin()]);
    }
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    for (uint32_t i : row) {
      indices.push_back(i);
      values.push_back(1.0f + static_cast<float>(rng() % 8 == 0 ? 1 + rng() % 2 : 0));
    }
    indptr[u + 1] = static_cast<int64_t>(indices.size());
  }
  Dataset d;
  std::vector<std::string> names(c.users);
  for (uint32_t u = 0; u < c.users; ++u) names[u] = "u" + std::to_string(u);
  d.users = IdIndex(std::move(names));
  names.assign(c.items, "");
  for (uint32_t i = 0; i < c.items; ++i) names[i] = "i" + std::to_string(i);
  d.items = IdIndex(std::move(names));
  d.matrix.rows = c.users;
  d.matrix.cols = c.items;
  d.matrix.indptr = Array<int64_t>(std::move(indptr));
  d.matrix.indices = Array<uint32_t>(std::move(indices));
  d.matrix.values = Array<float>(std::move(values));
  // first_ts / last_ts / events stay empty: the factor recipes read only the
  // matrix, and they would only add to every phase's inherited RSS.
  d.attributes.Resize(c.items);
  return d;
}

long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0) return std::atol(line.c_str() + n + 1);
  }
  return -1;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct PhaseResult {
  double seconds = -1;
  double cpu_seconds = 0;  // user + system of the whole child, all threads
  long start_kb = 0, peak_kb = 0;
};

double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Runs `fn` (which returns the timed seconds, or < 0 on failure) in a forked
// child and returns its figures.
PhaseResult RunPhase(const std::function<double()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    PhaseResult r;
    r.start_kb = StatusKb("VmRSS:");
    const double cpu0 = CpuSeconds();
    r.seconds = fn();
    r.cpu_seconds = CpuSeconds() - cpu0;
    r.peak_kb = StatusKb("VmHWM:");
    ssize_t w = ::write(fds[1], &r, sizeof r);
    ::_exit(w == sizeof r ? 0 : 1);
  }
  ::close(fds[1]);
  PhaseResult r;
  if (pid < 0 || ::read(fds[0], &r, sizeof r) != sizeof r) r = {};
  ::close(fds[0]);
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  return r;
}

using Factory = StatusOr<std::unique_ptr<Model>> (*)(const nlohmann::json&);

bool Check(const Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "recmart_model_speed: %s: %s\n", what, s.ToString().c_str());
  return false;
}

// Trains, saves arrays + index into dir, returns the fit seconds.
double FitPhase(const Dataset& d, Factory make, const nlohmann::json& params, int threads,
                const std::string& dir) {
  StatusOr<std::unique_ptr<Model>> m = make(params);
  if (!Check(m.status(), "params")) return -1;
  TrainContext ctx;
  ctx.threads = threads;
  ctx.seed = 42;
  auto t0 = std::chrono::steady_clock::now();
  if (!Check((*m)->Fit(d, ctx), "fit")) return -1;
  const double s = Seconds(t0);
  ArrayWriter w;
  if (!Check((*m)->Save(w), "save")) return -1;
  StatusOr<nlohmann::json> index = w.WriteFile(dir + "/arrays.bin");
  if (!Check(index.status(), "write")) return -1;
  std::ofstream(dir + "/index.json") << index->dump();
  return s;
}

// Loads the model saved in dir and times top-10 for `n` users spread over
// the data; prints a checksum of the answers so that runs can be compared.
double TopKPhase(const Dataset& d, Factory make, const nlohmann::json& params, int threads,
                 uint32_t n, size_t batch, const std::string& dir) {
  StatusOr<std::unique_ptr<Model>> m = make(params);
  if (!Check(m.status(), "params")) return -1;
  std::ifstream in(dir + "/index.json");
  const nlohmann::json index = nlohmann::json::parse(in, nullptr, false);
  StatusOr<ArrayReader> r = ArrayReader::Open(dir + "/arrays.bin", index);
  if (!Check(r.status(), "open") || !Check((*m)->Load(*r), "load")) return -1;
  const Model& model = **m;
  const CsrMatrix& h = d.matrix;
  const uint32_t items = model.num_items();
  n = std::min(n, h.rows);
  const uint32_t stride = h.rows / n;
  std::vector<std::vector<ScoredItem>> answers(n);

  auto t0 = std::chrono::steady_clock::now();
  ParallelFor(threads, n, batch, [&](size_t begin, size_t end) {
    thread_local std::vector<float> scores;
    thread_local std::vector<UserQuery> queries;
    scores.resize(batch * items);
    queries.clear();
    for (size_t q = begin; q < end; ++q) {
      const auto u = static_cast<UserIndex>(q * stride);
      queries.push_back({u, h.RowIndices(u), h.RowValues(u), true});
    }
    model.ScoreUsers(queries, std::span<float>(scores).first(queries.size() * items));
    for (size_t q = begin; q < end; ++q) {
      TopKOptions o;
      o.k = 10;
      o.exclude = queries[q - begin].items;
      answers[q] = TopK(std::span<const float>(scores).subspan((q - begin) * items, items), o);
    }
  });
  const double s = Seconds(t0);
  uint64_t checksum = 0;
  for (const auto& a : answers) {
    for (const ScoredItem& x : a) checksum = checksum * 1000003 + x.item;
  }
  std::printf("    (answers checksum %016llx)\n", static_cast<unsigned long long>(checksum));
  std::fflush(stdout);
  return s;
}

int Usage(const char* problem) {
  std::fprintf(stderr,
               "recmart_model_speed: %s\nusage: recmart_model_speed [--threads N] [--users N] "
               "[--items N] [--nnz N] [--als-iterations N] [--bpr-epochs N] [--topk-users N] "
               "[--batch N] [--only als|bpr]\n",
               problem);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int a = 1; a < argc; ++a) {
    std::string_view arg = argv[a];
    if (a + 1 >= argc) return Usage("every option takes a value");
    const char* v = argv[++a];
    if (arg == "--threads") {
      c.threads = std::atoi(v);
    } else if (arg == "--users") {
      c.users = static_cast<uint32_t>(std::atol(v));
    } else if (arg == "--items") {
      c.items = static_cast<uint32_t>(std::atol(v));
    } else if (arg == "--nnz") {
      c.nnz = static_cast<size_t>(std::atoll(v));
    } else if (arg == "--als-iterations") {
      c.als_iterations = std::atoi(v);
    } else if (arg == "--bpr-epochs") {
      c.bpr_epochs = std::atoi(v);
    } else if (arg == "--topk-users") {
      c.topk_users = static_cast<uint32_t>(std::atol(v));
    } else if (arg == "--batch") {
      c.batch = static_cast<size_t>(std::atol(v));
    } else if (arg == "--only") {
      c.only = v;
    } else {
      return Usage("unknown option");
    }
  }
  if (c.threads < 1 || c.users < 1 || c.items < 8 || c.nnz < 1 || c.batch < 1) {
    return Usage("bad value");
  }

  auto t0 = std::chrono::steady_clock::now();
  const Dataset d = Generate(c);
  std::printf("data: %u users x %u items, %zu non-zeros (generated in %.2f s); %d threads\n",
              c.users, c.items, d.matrix.nnz(), Seconds(t0), c.threads);
  std::printf(
      "each phase runs in a forked child; RSS = that child's VmRSS at start "
      "(inherited data) -> VmHWM at end\n\n");
  std::fflush(stdout);

  char tmpl[] = "/tmp/recmart_model_speed_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Usage("cannot create a temporary directory");
  const std::string tmp = tmpl;
  std::filesystem::create_directories(tmp + "/als");
  std::filesystem::create_directories(tmp + "/bpr");

  bool ok = true;
  auto report = [&](const char* name, const PhaseResult& r, double limit) {
    const bool met = r.seconds >= 0 && (limit <= 0 || r.seconds <= limit);
    std::printf("%-12s %8.3f s (cpu %7.2f s)   RSS %4.0f MB -> peak %4.0f MB (+%.0f MB)", name,
                r.seconds, r.cpu_seconds, r.start_kb / 1024.0, r.peak_kb / 1024.0,
                (r.peak_kb - r.start_kb) / 1024.0);
    if (limit > 0) std::printf("   target <= %.1f s: %s", limit, met ? "PASS" : "FAIL");
    std::printf("\n");
    std::fflush(stdout);
    if (limit > 0 || r.seconds < 0) ok &= met;
  };

  const nlohmann::json als = {{"factors", 64}, {"iterations", c.als_iterations}};
  const nlohmann::json bpr = {{"factors", 64}, {"epochs", c.bpr_epochs}};
  const bool run_als = c.only.empty() || c.only == "als";
  const bool run_bpr = c.only.empty() || c.only == "bpr";
  if (run_als) {
    report("als fit",
           RunPhase([&] { return FitPhase(d, NewAlsModel, als, c.threads, tmp + "/als"); }), 8.0);
    report("als top-10", RunPhase([&] {
             return TopKPhase(d, NewAlsModel, als, c.threads, c.topk_users, c.batch, tmp + "/als");
           }),
           0.3);
  }
  if (run_bpr) {
    report("bpr fit",
           RunPhase([&] { return FitPhase(d, NewBprModel, bpr, c.threads, tmp + "/bpr"); }), 27.0);
    report("bpr top-10", RunPhase([&] {
             return TopKPhase(d, NewBprModel, bpr, c.threads, c.topk_users, c.batch, tmp + "/bpr");
           }),
           0.0);
  }
  std::filesystem::remove_all(tmp);
  std::printf("\n%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
