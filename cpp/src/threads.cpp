#include "convexify/threads.hpp"

#include <algorithm>

#include "convexify/checks.hpp"

#ifdef CONVEXIFY_HAVE_OPENMP
#include <omp.h>
#endif

namespace convexify {

namespace {
int g_threads = 0;  // 0: not set -> OpenMP default (honours OMP_NUM_THREADS)
}

int num_threads() {
  if (g_threads > 0) return g_threads;
#ifdef CONVEXIFY_HAVE_OPENMP
  return std::max(1, omp_get_max_threads());
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  require(n >= 1, "n (number of threads) must be >= 1");
  g_threads = n;
#ifdef CONVEXIFY_HAVE_OPENMP
  omp_set_num_threads(n);
#endif
}

bool have_openmp() {
#ifdef CONVEXIFY_HAVE_OPENMP
  return true;
#else
  return false;
#endif
}

int threads_for(long long work, long long min_work_per_thread) {
  const long long limit = std::max<long long>(1, work / std::max<long long>(1, min_work_per_thread));
  return static_cast<int>(std::max<long long>(1, std::min<long long>(num_threads(), limit)));
}

}  // namespace convexify
