// The inner products K^(0)_ij = <z_i, z_j> of lens 3, in one summation order per entry (docs/gram.md#tiles).
// An entry's order depends only on d: four interleaved partial sums s_l = sum_{k = l mod 4, k < 4 floor(d/4)}
// z_ik z_jk, combined by vec::lane_sum, then the tail k >= 4 floor(d/4) added in order.  dot_block computes
// a register block of entries at a time, but each entry goes through exactly the operations of dot_fixed, so any
// tiling of K^(0) (and the dense matrix) has the same bits.  The products commute, so <z_i, z_j> and
// <z_j, z_i> agree as well.
#pragma once

#include <cstdint>

#include "simd_vector.hpp"

namespace convexify::gram::detail {

using V4 = vec::Vec<double, 4>;

CONVEXIFY_VEC_INLINE double dot_finish(const V4& acc, const double* x, const double* y, std::int64_t k0,
                                       std::int64_t d) {
  double s = vec::lane_sum<double, 4>(acc);
  for (std::int64_t k = k0; k < d; ++k) s += x[k] * y[k];
  return s;
}

CONVEXIFY_VEC_INLINE double dot_fixed(const double* x, const double* y, std::int64_t d) {
  const std::int64_t d4 = d & ~std::int64_t{3};
  V4 acc{};
  for (std::int64_t k = 0; k < d4; k += 4) acc += vec::load<V4>(x + k) * vec::load<V4>(y + k);
  return dot_finish(acc, x, y, d4, d);
}

// R rows of A against C rows of B over the first d4 features: the accumulators of <A_r, B_c> advance by exactly
// the operations of dot_fixed's loop (the block only shares the loads).
template <int R, int C>
CONVEXIFY_VEC_INLINE void dot_rxc(const double* A, const double* B, std::int64_t d, std::int64_t d4,
                                  double* out, std::int64_t ldo) {
  V4 c[R][C] = {};
  for (std::int64_t k = 0; k < d4; k += 4) {
    V4 v[C];
    for (int j = 0; j < C; ++j) v[j] = vec::load<V4>(B + j * d + k);
    for (int i = 0; i < R; ++i) {
      const V4 u = vec::load<V4>(A + i * d + k);
      for (int j = 0; j < C; ++j) c[i][j] += u * v[j];
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j) out[i * ldo + j] = dot_finish(c[i][j], A + i * d, B + j * d, d4, d);
}

// The register block: as many accumulators as the level's vector registers hold without spilling (32 with
// AVX-512, 16 with AVX2; SSE2 splits a V4 in two).  Measured at n = 4000, d = 784, one thread: 4 x 2 0.70 s,
// 4 x 3 0.55 s (AVX2 and AVX-512), 4 x 4 0.50 s with AVX-512 but 0.74 s with AVX2; SSE2: 4 x 2 1.72 s, 2 x 2
// 1.78 s.  Any block gives each entry the same bits.
#if defined(__AVX512F__)
constexpr std::int64_t kBlockRows = 4, kBlockCols = 4;
#elif defined(__AVX2__)
constexpr std::int64_t kBlockRows = 4, kBlockCols = 3;
#else
constexpr std::int64_t kBlockRows = 4, kBlockCols = 2;
#endif

// out[a * ldo + b] = <A_a, B_b> for a < na, b < nb; the rows of A and B are contiguous with stride d.
inline void dot_block(const double* A, std::int64_t na, const double* B, std::int64_t nb, std::int64_t d,
                      double* out, std::int64_t ldo) {
  using Index = std::int64_t;
  const Index d4 = d & ~Index{3};
  const Index naR = na - na % kBlockRows, nbC = nb - nb % kBlockCols;
  for (Index a = 0; a < naR; a += kBlockRows) {
    for (Index b = 0; b < nbC; b += kBlockCols)
      dot_rxc<kBlockRows, kBlockCols>(A + a * d, B + b * d, d, d4, out + a * ldo + b, ldo);
    for (Index b = nbC; b < nb; ++b)
      for (Index r = 0; r < kBlockRows; ++r) out[(a + r) * ldo + b] = dot_fixed(A + (a + r) * d, B + b * d, d);
  }
  for (Index a = naR; a < na; ++a)
    for (Index b = 0; b < nb; ++b) out[a * ldo + b] = dot_fixed(A + a * d, B + b * d, d);
}

}  // namespace convexify::gram::detail
