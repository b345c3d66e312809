// Lens 2 (shallow ReLU, see docs/relu.md): the gradient-kernel seam.
//
// Every algorithm of the lens (losses, gradients, batched gradient descent) evaluates, for a batch of weights
// W (B x d) on shared data X (n x d) and labels Y (n x 1 broadcast, or n x B),
//
//     z_ib = x_i . w_b,   r_ib = relu(z_ib) - y_ib,
//     L_b  = sum_i r_ib^2,   Lr_b = sum_i [ z_ib >= 0 ? (z_ib - y_ib)^2 : y_ib^2 - 2 z_ib y_ib ],
//     G_b  = sum_i m_ib r_ib x_i    (half-gradient; m = 1 (relaxed) or 1[z >= 0] / 1[z > 0] (vanilla))
//
// (see docs/relu.md#losses), through the small interface below.  The CPU implementations live in
// relu_kernel_cpu.cpp; a CUDA implementation only has to implement GradientKernel<T> and be returned by a
// factory like make_cpu_kernel.
#pragma once

#include <cstddef>
#include <memory>
#include "convexify/blas.hpp"

namespace convexify::relu {

using Index = std::ptrdiff_t;

enum class Objective { vanilla, relaxed };

// A BLAS GEMM with the Fortran (column-major) signature of sgemm/dgemm (convexify/blas.hpp).
using convexify::BlasGemm;

// Borrowed views of the data (row-major: sample i is X[i*d .. i*d+d)).  Y has y_cols = 1 (one label
// vector broadcast to every row of W) or y_cols = B (column b belongs to weight row b).
template <typename T>
struct Problem {
  const T* X = nullptr;
  Index n = 0;
  Index d = 0;
  const T* Y = nullptr;
  Index y_cols = 1;
  BlasGemm<T> gemm = nullptr;  // optional: used by the gemm kernel (null: Eigen's GEMM)
  // When set, a kernel checks X for NaN/Inf block by block during its first evaluation (while each block is
  // in cache anyway) and throws std::invalid_argument("<check_name> contains NaN or Inf"): one pass over X
  // instead of a separate check pass.  Null: the caller has checked X.
  const char* check_name = nullptr;
  // When set, every whole group of packed_layout<T>(d).group samples is stored packed (relu_blocks.hpp,
  // short_block): gd's copy of X for one weight row.  Only the fused kernel with B = 1 reads it.
  bool packed = false;
};

// Caller-allocated outputs; any pointer may be null (not computed).  All sums accumulate in double.
struct Evaluation {
  double* G = nullptr;             // B x d row-major: sum_i m_ib r_ib x_i  (the gradient is 2 G)
  double* loss = nullptr;          // B: L(w_b)
  double* relaxed_loss = nullptr;  // B: L_r(w_b)
};

template <typename T>
class GradientKernel {
 public:
  virtual ~GradientKernel() = default;
  // W: B x d row-major (double; the master copy of the weights).  Results are bitwise independent of the
  // number of threads (fixed sample chunks, reduced in a fixed order).
  virtual void evaluate(const double* W, Objective objective, bool strict, const Evaluation& out) = 0;
  virtual Index batch() const = 0;
  virtual const char* name() const = 0;
};

enum class KernelChoice {
  automatic,  // by size, see make_cpu_kernel
  fused,      // one pass per cache-sized sample block: z_b = X_b W^T, mask, residual, G += r_b^T X_b
  gemm        // two GEMMs per sample chunk (Problem::gemm where given, else Eigen's)
};

// True when no entry of a[0..size) is NaN or Inf (one vectorised pass: the sum of a_i * 0 stays 0 exactly).
template <typename T>
bool all_finite(const T* a, Index size);

// The packed layout of X for one weight row at the current SIMD level: groups of `group` samples, rows
// of length `d` (the data's d plus zero columns).  group = 0: none for this d (plain rows are used).
struct PackedLayout {
  Index group = 0;
  Index lanes = 0;  // vector length of the level, in T
  Index d = 0;
};
template <typename T>
PackedLayout packed_layout(Index d);

// Whether make_cpu_kernel(problem, B, choice) can return the GEMM kernel at the current SIMD level (callers
// look up a BLAS GEMM for Problem::gemm only then).
template <typename T>
bool may_choose_gemm(Index B, KernelChoice choice);

// The data must outlive the kernel.  B = rows of W the kernel will be called with.
template <typename T>
std::unique_ptr<GradientKernel<T>> make_cpu_kernel(const Problem<T>& problem, Index B, KernelChoice choice);

}  // namespace convexify::relu
