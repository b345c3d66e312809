// The one way the bindings borrow BLAS from SciPy: function pointers from scipy.linalg.cython_blas, looked
// up once per routine (with the GIL held) and cached for the life of the process.  Importing SciPy costs
// ~0.15 s, so a routine is looked up the first time a code path that can use it runs, not at import.
#pragma once

#include <pybind11/pybind11.h>

#include <type_traits>

#include "convexify/blas.hpp"

namespace convexify::bindings {

// The routine `name` ("dgemm", "sgemm", ...) of scipy.linalg.cython_blas, or null when SciPy or the routine
// is unavailable (the caller then falls back to Eigen).  Needs the GIL.
void* scipy_blas_routine(const char* name);

template <typename T>
BlasGemm<T> scipy_gemm() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  return reinterpret_cast<BlasGemm<T>>(scipy_blas_routine(std::is_same_v<T, float> ? "sgemm" : "dgemm"));
}

}  // namespace convexify::bindings
