#pragma once
// Runs a job per item on a pool of threads and hands the results back on the calling thread in
// item order, whatever the number of threads: what makes `vigil hash -j N` print the same bytes
// for every N. Workers run at most `window` items ahead of the oldest result not yet handed back,
// so memory stays bounded on huge batches even when one item is slow.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace vigil::cli {

struct OrderedParallelOptions {
  unsigned threads = 1;
  std::size_t window = 0;  // 0: 1024 per thread
  // Called on the calling thread about every `tick_every`, with the number of results handed
  // back so far (for a progress display).
  std::function<void(std::size_t done)> tick;
  std::chrono::milliseconds tick_every{200};
};

// `work(i)` runs on a worker thread and must not throw (catch per item and return the failure as
// part of R). `emit(i, r)` runs on the calling thread, for i = 0, 1, ..., count - 1 in order.
template <class R>
void run_ordered_parallel(std::size_t count, const std::function<R(std::size_t)>& work,
                          const std::function<void(std::size_t, R&)>& emit, const OrderedParallelOptions& options) {
  const unsigned threads = std::max(1u, options.threads);
  const std::size_t window = options.window ? options.window : 1024 * static_cast<std::size_t>(threads);
  std::vector<std::optional<R>> slots(std::min(count, window));
  std::mutex mutex;
  std::condition_variable result_ready;  // a worker stored a result
  std::condition_variable room;          // the caller handed a result back
  std::size_t next_item = 0;             // next index a worker takes (under mutex)
  std::size_t emitted = 0;               // results handed back so far (under mutex)
  std::exception_ptr failure;            // a worker's unexpected exception (work must not throw)

  auto worker = [&] {
    for (;;) {
      std::size_t i;
      {
        std::unique_lock lock(mutex);
        room.wait(lock, [&] { return next_item >= count || next_item < emitted + slots.size() || failure; });
        if (next_item >= count || failure) return;
        i = next_item++;
      }
      std::optional<R> result;
      try {
        result.emplace(work(i));
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        result_ready.notify_all();
        room.notify_all();
        return;
      }
      std::lock_guard lock(mutex);
      slots[i % slots.size()] = std::move(result);
      result_ready.notify_all();
    }
  };

  std::vector<std::thread> pool;
  if (count > 0) {
    const unsigned started = static_cast<unsigned>(std::min<std::size_t>(threads, count));
    pool.reserve(started);
    for (unsigned t = 0; t < started; ++t) pool.emplace_back(worker);
  }
  std::exception_ptr emit_failure;
  auto last_tick = std::chrono::steady_clock::now();
  auto maybe_tick = [&](std::size_t done) {
    if (!options.tick) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick < options.tick_every) return;
    last_tick = now;
    options.tick(done);
  };
  try {
    while (emitted < count) {
      std::optional<R> result;
      {
        std::unique_lock lock(mutex);
        auto& slot = slots[emitted % slots.size()];
        while (!slot && !failure) {
          if (options.tick) {
            if (!result_ready.wait_until(lock, last_tick + options.tick_every, [&] { return slot || failure; })) {
              const std::size_t done = emitted;
              lock.unlock();
              maybe_tick(done);
              lock.lock();
            }
          } else {
            result_ready.wait(lock, [&] { return slot || failure; });
          }
        }
        if (failure) break;
        result = std::move(slot);
        slot.reset();
      }
      emit(emitted, *result);
      std::size_t done;
      {
        std::lock_guard lock(mutex);
        done = ++emitted;
      }
      room.notify_all();
      maybe_tick(done);
    }
  } catch (...) {
    emit_failure = std::current_exception();
    std::lock_guard lock(mutex);
    if (!failure) failure = emit_failure;
  }
  room.notify_all();
  for (auto& t : pool) t.join();
  if (emit_failure) std::rethrow_exception(emit_failure);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace vigil::cli
