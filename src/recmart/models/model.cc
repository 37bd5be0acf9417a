#include "recmart/models/model.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>

namespace recmart::models {

void Model::ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const {
  const size_t n = num_items();
  for (size_t q = 0; q < queries.size(); ++q) ScoreUser(queries[q], out.subspan(q * n, n));
}

void ParallelFor(int threads, size_t n, size_t grain,
                 const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  if (threads <= 1 || n <= grain) {
    for (size_t b = 0; b < n; b += grain) fn(b, std::min(n, b + grain));
    return;
  }
  // simple_partitioner with a fixed grain splits the range the same way on
  // every run; only which thread runs a chunk varies.
  const size_t chunks = (n + grain - 1) / grain;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, chunks, 1),
        [&](const tbb::blocked_range<size_t>& r) {
          for (size_t c = r.begin(); c != r.end(); ++c) {
            fn(c * grain, std::min(n, (c + 1) * grain));
          }
        },
        tbb::simple_partitioner());
  });
}

}  // namespace recmart::models
