// The inner products K^(0)_ij = <z_i, z_j> of lens 3, in one summation order per entry (docs/gram.md#tiles).
// An entry's order depends only on d: four interleaved partial sums s_l = sum_{k = l mod 4, k < 4 floor(d/4)}
// z_ik z_jk, combined by vec::lane_sum, then the tail k >= 4 floor(d/4) added in order.  dot_block computes
// 4 x 2 entries at a time in registers, but each entry goes through exactly the operations of dot_fixed, so any
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

// Four rows of A against two rows of B over k in [k0, k1): the eight accumulators c[r * 2 + s] of
// <A_{a+r}, B_{b+s}> advance by exactly the operations of dot_fixed's loop.
CONVEXIFY_VEC_INLINE void dot_4x2(const double* x0, std::int64_t d, const double* y0, std::int64_t k0,
                                  std::int64_t k1, V4* c) {
  const double* x1 = x0 + d;
  const double* x2 = x1 + d;
  const double* x3 = x2 + d;
  const double* y1 = y0 + d;
  V4 c00 = c[0], c01 = c[1], c10 = c[2], c11 = c[3], c20 = c[4], c21 = c[5], c30 = c[6], c31 = c[7];
  for (std::int64_t k = k0; k < k1; k += 4) {
    const V4 v0 = vec::load<V4>(y0 + k), v1 = vec::load<V4>(y1 + k);
    V4 u = vec::load<V4>(x0 + k);
    c00 += u * v0;
    c01 += u * v1;
    u = vec::load<V4>(x1 + k);
    c10 += u * v0;
    c11 += u * v1;
    u = vec::load<V4>(x2 + k);
    c20 += u * v0;
    c21 += u * v1;
    u = vec::load<V4>(x3 + k);
    c30 += u * v0;
    c31 += u * v1;
  }
  c[0] = c00, c[1] = c01, c[2] = c10, c[3] = c11, c[4] = c20, c[5] = c21, c[6] = c30, c[7] = c31;
}

// out[a * ldo + b] = <A_a, B_b> for a < na, b < nb; the rows of A and B are contiguous with stride d.
inline void dot_block(const double* A, std::int64_t na, const double* B, std::int64_t nb, std::int64_t d,
                      double* out, std::int64_t ldo) {
  using Index = std::int64_t;
  const Index d4 = d & ~Index{3};
  const Index na4 = na & ~Index{3}, nb2 = nb & ~Index{1};
  for (Index a = 0; a < na4; a += 4) {
    for (Index b = 0; b < nb2; b += 2) {
      V4 c[8] = {};
      dot_4x2(A + a * d, d, B + b * d, 0, d4, c);
      for (Index r = 0; r < 4; ++r)
        for (Index s = 0; s < 2; ++s)
          out[(a + r) * ldo + b + s] = dot_finish(c[r * 2 + s], A + (a + r) * d, B + (b + s) * d, d4, d);
    }
    for (Index b = nb2; b < nb; ++b)
      for (Index r = 0; r < 4; ++r) out[(a + r) * ldo + b] = dot_fixed(A + (a + r) * d, B + b * d, d);
  }
  for (Index a = na4; a < na; ++a)
    for (Index b = 0; b < nb; ++b) out[a * ldo + b] = dot_fixed(A + a * d, B + b * d, d);
}

}  // namespace convexify::gram::detail
