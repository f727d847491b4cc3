#pragma once
// The float64 reference is the slowest part of `verify` and of the GPU tests; its (batch, head) units
// (forward) and (batch, K/V head) units (backward: dK and dV sum over a group) are independent and each
// is computed in the serial order, so the results are bit-identical for any thread count.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace fa::ref {

// Threads the reference uses: FA_REFERENCE_THREADS when set (a positive integer; 1 = serial), else the
// hardware's. A bad value throws std::invalid_argument naming the variable and what it accepts.
unsigned reference_threads();

// fn(task) for every task in [0, n), on up to reference_threads() threads; the first exception a task
// throws is rethrown here once every thread has stopped.
template <class Fn>
void parallel_for(std::int64_t n, Fn&& fn) {
  const std::int64_t threads = std::min<std::int64_t>(reference_threads(), n);
  if (threads <= 1) {
    for (std::int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      for (std::int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(n);  // the others stop at their next task
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads - 1));
  for (std::int64_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace fa::ref
