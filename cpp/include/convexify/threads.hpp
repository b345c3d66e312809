// Thread control (docs/conventions.md#threads).  Parallelism is over independent work items with single-threaded kernels
// inside and a fixed reduction order; OMP_NUM_THREADS and set_num_threads(n) are honoured.
#pragma once

namespace convexify {

// Number of threads the parallel loops may use (>= 1).
int num_threads();
// Set it (n >= 1).  Without OpenMP the value is stored but every loop runs on one thread.
void set_num_threads(int n);
// Whether the core was built with OpenMP.
bool have_openmp();
// Threads to use for `work` units of roughly equal cost, given that parallelism only pays above
// `min_work_per_thread` units per thread (small problems stay on one thread).
int threads_for(long long work, long long min_work_per_thread);

}  // namespace convexify
