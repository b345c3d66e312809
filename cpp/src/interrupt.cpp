#include "convexify/interrupt.hpp"

#include <atomic>
#include <chrono>

#ifdef CONVEXIFY_HAVE_OPENMP
#include <omp.h>
#endif

namespace convexify {

namespace {

std::atomic<InterruptCheck> g_check{nullptr};
// Per calling thread: several host threads may run core calls at once, each with its own flag.
thread_local bool t_interrupted = false;
thread_local std::chrono::steady_clock::time_point t_last_poll{};

constexpr auto kPollEvery = std::chrono::milliseconds(20);

bool on_calling_thread() {
#ifdef CONVEXIFY_HAVE_OPENMP
  return omp_get_thread_num() == 0;
#else
  return true;
#endif
}

}  // namespace

void set_interrupt_check(InterruptCheck check) {
  g_check.store(check);
}

bool interrupted() {
  if (t_interrupted) return true;
  if (!on_calling_thread()) return false;
  const InterruptCheck check = g_check.load(std::memory_order_relaxed);
  if (check == nullptr) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - t_last_poll < kPollEvery) return false;
  t_last_poll = now;
  t_interrupted = check();
  return t_interrupted;
}

void throw_if_interrupted() {
  if (interrupted()) {
    t_interrupted = false;
    throw Interrupted();
  }
}

}  // namespace convexify
