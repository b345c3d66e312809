// BLAS routines the core can borrow from its host (Fortran calling convention, 32-bit integers, as in the
// reference BLAS and SciPy's OpenBLAS).  The core knows nothing of where they come from: the bindings look
// them up once (cpp/bindings/scipy_blas.hpp) and pass them in; a null pointer means "use Eigen instead".
#pragma once

namespace convexify {

// C := alpha op(A) op(B) + beta C (column-major).
template <typename T>
using BlasGemm = void (*)(char* transa, char* transb, int* m, int* n, int* k, T* alpha, T* a, int* lda, T* b,
                          int* ldb, T* beta, T* c, int* ldc);

}  // namespace convexify
