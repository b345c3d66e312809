// Generic fixed-length vectors (GCC/Clang vector extensions) and the small primitives written on them: loads,
// stores, broadcasts, lane sums, widening and narrowing between float and float64, transposed row sums and
// lane shuffles.  Nothing here knows about any algorithm; relu_blocks.hpp writes the ReLU kernel's per-block
// loops on these, and relu_kernel_cpu.cpp instantiates them once per SIMD level, so every function is
// forced inline into its caller and compiled for that caller's target.
//
// Template parameters: S and T are the lane type (float or double); N and L the number of lanes of a vector;
// V a vector type Vec<S, N>; Q the number of rows (vectors) reduced together; P a lane parity (0 or 1).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__GNUC__)
#define CONVEXIFY_VEC_INLINE inline __attribute__((always_inline))
#else
#define CONVEXIFY_VEC_INLINE inline
#endif

namespace convexify::vec {

using Index = std::ptrdiff_t;

// ---- vector type, memory, broadcast, lane sums, conversions, finiteness -----------------------------------

template <typename S, int N>
struct VecT {
  typedef S type __attribute__((vector_size(sizeof(S) * N)));
};
template <typename S, int N>
using Vec = typename VecT<S, N>::type;

template <typename V, typename S>
CONVEXIFY_VEC_INLINE V load(const S* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V, typename S>
CONVEXIFY_VEC_INLINE void store(S* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

// x in every lane.  (Measured: GCC lowers this form to broadcasts best; lane-wise initialisers and
// shuffles of a one-lane vector were 2-10x slower in the tiles of relu_blocks.hpp.)
template <typename V, typename S>
CONVEXIFY_VEC_INLINE V splat(S x) {
  return V{} + x;
}

// Sum of the lanes by halving (a fixed order).
template <typename S, int N>
CONVEXIFY_VEC_INLINE S lane_sum(const Vec<S, N>& a) {
  if constexpr (N == 2) {
    return a[0] + a[1];
  } else {
    Vec<S, N / 2> lo, hi;
    std::memcpy(&lo, &a, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&a) + sizeof lo, sizeof hi);
    return lane_sum<S, N / 2>(lo + hi);
  }
}

// Lanes of a float vector folded to half as many float64 lanes: (lo + hi) in float, then widened.
template <int L>
CONVEXIFY_VEC_INLINE Vec<double, L / 2> fold_widen(const Vec<float, L>& a) {
  Vec<float, L / 2> lo, hi;
  std::memcpy(&lo, &a, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&a) + sizeof lo, sizeof hi);
  return __builtin_convertvector(lo + hi, Vec<double, L / 2>);
}

// Conversions between a vector of L lanes in T and L doubles in memory, in halves of at most 8 lanes (a
// 16-double vector has no register of its size; its compares and blends would be split lane by lane).
template <typename T, int L>
CONVEXIFY_VEC_INLINE Vec<T, L> narrow_load(const double* p) {
  if constexpr (L <= 8) {
    return __builtin_convertvector(load<Vec<double, L>>(p), Vec<T, L>);
  } else {
    Vec<T, L> v;
    const Vec<T, L / 2> lo = narrow_load<T, L / 2>(p), hi = narrow_load<T, L / 2>(p + L / 2);
    std::memcpy(&v, &lo, sizeof lo);
    std::memcpy(reinterpret_cast<char*>(&v) + sizeof lo, &hi, sizeof hi);
    return v;
  }
}
// out[0..L) = (first ? 0 : out[0..L)) + a, in float64.
template <typename T, int L>
CONVEXIFY_VEC_INLINE void widen_add(double* out, const Vec<T, L>& a, bool first) {
  if constexpr (L <= 8) {
    const Vec<double, L> w = __builtin_convertvector(a, Vec<double, L>);
    if (first)  // (a run-time choice between whole vectors is written as branches: see residual)
      store<Vec<double, L>>(out, w);
    else
      store<Vec<double, L>>(out, load<Vec<double, L>>(out) + w);
  } else {
    Vec<T, L / 2> lo, hi;
    std::memcpy(&lo, &a, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&a) + sizeof lo, sizeof hi);
    widen_add<T, L / 2>(out, lo, first);
    widen_add<T, L / 2>(out + L / 2, hi, first);
  }
}

// Row sums of N vectors of N lanes as one vector: r[q] = sum_j a[q][j] (N = 4 or 8), by a transposed
// pairwise reduction (N - 1 vector adds instead of N horizontal sums).
CONVEXIFY_VEC_INLINE Vec<double, 4> transpose_sum(const Vec<double, 4>* a) {
  const Vec<double, 4> t0 =
      __builtin_shufflevector(a[0], a[1], 0, 4, 2, 6) + __builtin_shufflevector(a[0], a[1], 1, 5, 3, 7);
  const Vec<double, 4> t1 =
      __builtin_shufflevector(a[2], a[3], 0, 4, 2, 6) + __builtin_shufflevector(a[2], a[3], 1, 5, 3, 7);
  return __builtin_shufflevector(t0, t1, 0, 1, 4, 5) + __builtin_shufflevector(t0, t1, 2, 3, 6, 7);
}
CONVEXIFY_VEC_INLINE Vec<double, 8> transpose_sum(const Vec<double, 8>* a) {
  using V = Vec<double, 8>;
  V t[4], u[2];
  for (int i = 0; i < 4; ++i)
    t[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 8, 2, 10, 4, 12, 6, 14) +
           __builtin_shufflevector(a[2 * i], a[2 * i + 1], 1, 9, 3, 11, 5, 13, 7, 15);
  for (int i = 0; i < 2; ++i)
    u[i] = __builtin_shufflevector(t[2 * i], t[2 * i + 1], 0, 1, 8, 9, 4, 5, 12, 13) +
           __builtin_shufflevector(t[2 * i], t[2 * i + 1], 2, 3, 10, 11, 6, 7, 14, 15);
  return __builtin_shufflevector(u[0], u[1], 0, 1, 2, 3, 8, 9, 10, 11) +
         __builtin_shufflevector(u[0], u[1], 4, 5, 6, 7, 12, 13, 14, 15);
}

// Row sums of Q float vectors of L lanes as Q float64 values, (L, Q) = (16, 8) or (8, 4): a transposed
// reduction in float (pairs of lanes of two rows, then of four, ...) that ends with row q in lane q, then
// one widening.  In-lane unpacks first, so few cross-lane shuffles.
template <int L, int Q>
CONVEXIFY_VEC_INLINE Vec<double, Q> transpose_sum_widen(const Vec<float, L>* a) {
  using V = Vec<float, L>;
  static_assert((L == 16 && Q == 8) || (L == 8 && Q == 4), "transpose_sum_widen: unsupported shape");
  // Level 1: rows 2i, 2i+1 -> lane % 2 (unpack of 32-bit lanes within 128-bit blocks).
  auto c1 = [](const V& x, const V& y) -> V {
    if constexpr (L == 16)
      return __builtin_shufflevector(x, y, 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29) +
             __builtin_shufflevector(x, y, 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31);
    else
      return __builtin_shufflevector(x, y, 0, 8, 1, 9, 4, 12, 5, 13) +
             __builtin_shufflevector(x, y, 2, 10, 3, 11, 6, 14, 7, 15);
  };
  // Level 2: rows (0, 1), (2, 3) -> lane % 4 (unpack of 64-bit pairs within 128-bit blocks).
  auto c2 = [](const V& x, const V& y) -> V {
    if constexpr (L == 16)
      return __builtin_shufflevector(x, y, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29) +
             __builtin_shufflevector(x, y, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    else
      return __builtin_shufflevector(x, y, 0, 1, 8, 9, 4, 5, 12, 13) +
             __builtin_shufflevector(x, y, 2, 3, 10, 11, 6, 7, 14, 15);
  };
  Vec<float, Q> r;
  if constexpr (L == 16) {
    const V u0 = c2(c1(a[0], a[1]), c1(a[2], a[3])), u1 = c2(c1(a[4], a[5]), c1(a[6], a[7]));
    // Level 3: 256-bit halves; block 0, 1 hold rows 0-3, blocks 2, 3 rows 4-7.
    const V v = __builtin_shufflevector(u0, u1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
                __builtin_shufflevector(u0, u1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    r = __builtin_shufflevector(v, v, 0, 1, 2, 3, 8, 9, 10, 11) +
        __builtin_shufflevector(v, v, 4, 5, 6, 7, 12, 13, 14, 15);
  } else {
    const V u = c2(c1(a[0], a[1]), c1(a[2], a[3]));
    r = __builtin_shufflevector(u, u, 0, 1, 2, 3) + __builtin_shufflevector(u, u, 4, 5, 6, 7);
  }
  return __builtin_convertvector(r, Vec<double, Q>);
}

// True when no entry of a[0..size) is NaN or Inf: x * 0 is +-0 for finite x and NaN otherwise, and sums of
// +-0 stay 0 (four independent L-lane sums).
template <typename T, int L>
CONVEXIFY_VEC_INLINE bool all_finite(const T* a, Index size) {
  using V = Vec<T, L>;
  V acc[4] = {};
  Index i = 0;
  for (; i + 4 * L <= size; i += 4 * L)
    for (int u = 0; u < 4; ++u) acc[u] += load<V>(a + i + u * L) * T(0);
  T s = lane_sum<T, L>((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (; i < size; ++i) s += a[i] * T(0);
  return s == T(0);
}

// ---- tree and row sums, concatenation ---------------------------------------------------------------------

// Pairwise sum of p[0..N): a balanced tree, so the FMA chains stay short.
template <typename V, int N>
CONVEXIFY_VEC_INLINE V tree_sum(const V* p) {
  if constexpr (N == 1)
    return p[0];
  else
    return tree_sum<V, N / 2>(p) + tree_sum<V, N - N / 2>(p + N / 2);
}

// Q row sums of Q vectors of L lanes, row q in lane q: float (L = 2Q) and float64 (L = Q) tiles.
template <typename T, int L, int Q>
CONVEXIFY_VEC_INLINE Vec<double, Q> row_sums(const Vec<T, L>* a) {
  if constexpr (std::is_same_v<T, float>)
    return transpose_sum_widen<L, Q>(a);
  else
    return transpose_sum(a);
}

// Q row sums of a vector whose lane h Q + q holds a partial sum of row q (L = Q or 2 Q), as Q float64 lanes.
template <typename T, int L, int Q>
CONVEXIFY_VEC_INLINE Vec<double, Q> fold_rows(const Vec<T, L>& a) {
  if constexpr (L == Q) {
    return __builtin_convertvector(a, Vec<double, Q>);
  } else {
    Vec<T, Q> lo, hi;
    std::memcpy(&lo, &a, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&a) + sizeof lo, sizeof hi);
    return __builtin_convertvector(lo + hi, Vec<double, Q>);
  }
}

// a in lanes [0, Q), b in lanes [Q, 2 Q).
template <typename T, int Q>
CONVEXIFY_VEC_INLINE Vec<T, 2 * Q> concat(const Vec<T, Q>& a, const Vec<T, Q>& b) {
  static_assert(Q == 2 || Q == 4 || Q == 8, "concat: unsupported width");
  if constexpr (Q == 8)
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  else if constexpr (Q == 4)
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);
  else
    return __builtin_shufflevector(a, b, 0, 1, 2, 3);
}

// Pair-lane shuffles of float vectors (L lanes), for layouts that interleave two consecutive k per pair of
// lanes.
template <int L>
CONVEXIFY_VEC_INLINE Vec<float, L> pair_splat(const float* p) {  // (p[0], p[1]) in every pair of lanes
  double t;
  std::memcpy(&t, p, sizeof t);
  const Vec<double, L / 2> v = splat<Vec<double, L / 2>>(t);
  Vec<float, L> r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}

template <int L, int P, std::size_t... I>
CONVEXIFY_VEC_INLINE Vec<float, L / 2> pair_lanes_impl(const Vec<float, L>& a, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, a, (2 * I + P)...);
}
template <int L, int P>  // lanes 2j + P -> lane j
CONVEXIFY_VEC_INLINE Vec<float, L / 2> pair_lanes(const Vec<float, L>& a) {
  return pair_lanes_impl<L, P>(a, std::make_index_sequence<L / 2>{});
}
template <int L>  // lanes 2j + 2j+1 -> lane j
CONVEXIFY_VEC_INLINE Vec<float, L / 2> pair_sum(const Vec<float, L>& a) {
  return pair_lanes<L, 0>(a) + pair_lanes<L, 1>(a);
}
template <int L, std::size_t... I>
CONVEXIFY_VEC_INLINE Vec<float, L> pair_dup_impl(const Vec<float, L / 2>& a, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, a, (I / 2)...);
}
template <int L>  // lane j -> lanes 2j and 2j+1
CONVEXIFY_VEC_INLINE Vec<float, L> pair_dup(const Vec<float, L / 2>& a) {
  return pair_dup_impl<L>(a, std::make_index_sequence<L>{});
}

}  // namespace convexify::vec
