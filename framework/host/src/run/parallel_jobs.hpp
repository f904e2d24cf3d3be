#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <type_traits>
#include <vector>

namespace recrl {

// Runs job(0..count-1) on `jobs` threads and returns the results in job order, so the outcome
// does not depend on the number of threads. After a failure no new job starts; the first
// failure (in job order) is rethrown once the running jobs end.
template <typename Job>
auto execute_in_parallel(std::size_t count, int jobs, Job job) {
  std::vector<std::invoke_result_t<Job, std::size_t>> results(count);
  std::vector<std::exception_ptr> failures(count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  const auto worker = [&] {
    for (std::size_t i; !failed && (i = next++) < count;) {
      try {
        results[i] = job(i);
      } catch (...) {
        failures[i] = std::current_exception();
        failed = true;
      }
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(std::max(jobs, 1), std::max<std::size_t>(count, 1));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  return results;
}

}  // namespace recrl
