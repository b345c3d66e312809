// Per-block loops of the fused ReLU gradient kernel, written once with GCC/Clang vector extensions (see
// docs/relu.md#gd and docs/relu.md#performance).  relu_kernel_cpu.cpp instantiates them once per SIMD level
// (generic SSE2, AVX2+FMA, AVX-512) with vector lengths of one register of that level.  (GCC compiles
// compares and blends of wider generic vectors, and ?: choices between whole vectors on a run-time flag,
// lane by lane: those are avoided.)
//
// For one cache block of samples X_blk (rows x d, row-major) they compute, per weight row w_b,
//   z_sb = x_s . w_b,  r_sb = relu(z_sb) - y_sb,  the two loss sums, and  G_b += sum_s m_sb r_sb x_s.
//
// Single weight row (B = 1 or a last group of one): Q samples at a time, the Q dot products vectorised over
//   k, their residuals, and the update g += sum_q m_q x_q while the Q rows are still in cache; the sweep
//   that updates g with one group computes the next group's dot products and prefetches a later one.
//   Short rows (1 to 8 registers, AVX2 / AVX-512) take short_block instead: g in registers, residuals two
//   groups ahead, and optionally gd's packed copy of X (no row padded to whole registers).
// Groups of GW float64 weight rows (zero padded): lanes are weight rows and every (sample, weight) dot
//   product is one sequential chain over k, so a weight row gets the same numbers in any group; register
//   tiles of S samples x GW lanes, k cut into tiles whose slices of W^T and G^T stay in L1.
// Groups of float32 weight rows: the same, with the weights packed by pairs of k (see pair_forward).
// float32 data: products and partial sums are float over at most kTile terms of k or one cache block of
//   samples (<= 512 rows) and float64 beyond, so the float rounding does not grow with d or n.
//
// Template parameters (relu_kernel_cpu.cpp's Tiles picks them per SIMD level and data type):
//   T      type of the data X, y: float or double (weights, residuals and loss sums are always double)
//   L      lanes of T in one vector: one register of the level (4 doubles or 8 floats with AVX2)
//   Q      samples handled together: a group of the single-row loops (the Q dot products of one sweep),
//          or the samples of one register tile of the lane loops (S, or 1 for the leftover samples)
//   NV     whole vectors in a short row: d = NV L + a remainder of fewer than L entries (1 <= NV <= 8)
//   GW     weight rows in a group of the lane loops (lanes of its transposed weights; zero padded)
//   S      samples per register tile of the lane and pair loops
//   RW     float64 lanes of one residual vector (one register) in lanes_residual
//   N      float64 lanes of the vectors in residual (2, 4 or 8)
//   kDot, kAxpy  which halves of sweep_rows run: the next group's dot products, the current group's update
// The generic vector type Vec<S, N> and its primitives (load, store, splat, lane and row sums, widening,
// pair shuffles) are in simd_vector.hpp.
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "convexify/relu_kernel.hpp"
#include "simd_vector.hpp"

namespace convexify::relu::blocks {

using namespace convexify::vec;  // Vec, load, store, splat, lane sums, transposed sums, pair shuffles

constexpr Index kTile = 128;  // k per L1 tile; also the longest float partial sum over k

struct Modes {
  bool relaxed;
  bool strict;
};

// Residuals of N (sample, weight) pairs: adds to the loss sums, returns the gradient weights m o r.
template <int N>
CONVEXIFY_VEC_INLINE Vec<double, N> residual(const Vec<double, N>& z, const Vec<double, N>& y, Modes m,
                                             Vec<double, N>& lsum, Vec<double, N>& rsum) {
  using V = Vec<double, N>;
  const V zero = {};
  const V p = (z < zero) ? zero : z;  // relu; NaN propagates
  const V r = p - y;
  lsum += r * r;
  rsum += (z >= zero) ? r * r : y * y - 2.0 * z * y;  // L_r per sample, see docs/relu.md#losses
  // Scalar branches around whole-vector selects (a select between two mask vectors on a run-time flag was
  // compiled lane by lane).
  if (m.relaxed) return r;
  if (m.strict) return (z > zero) ? r : zero;
  return (z >= zero) ? r : zero;
}

// ---- single weight row ------------------------------------------------------------------------------

// Labels of group j (samples j Q .. j Q + Q - 1; stride y_stride) as float64.
template <typename T, int Q>
CONVEXIFY_VEC_INLINE Vec<double, Q> group_labels(const T* y, Index j, Index y_stride) {
  if (y_stride == 1) return __builtin_convertvector(load<Vec<T, Q>>(y + j * Q), Vec<double, Q>);
  Vec<double, Q> yv;
  for (int q = 0; q < Q; ++q) yv[q] = static_cast<double>(y[(j * Q + q) * y_stride]);
  return yv;
}

// One sweep over k for two groups of Q rows (each row d long):
//   kDot:  z_q = xd_q . w          (the next group's dot products, vectorised over k, L lanes)
//   kAxpy: g += sum_q m_q xa_q     (the current group's gradient update; its rows are still in cache)
// Sharing the k loop overlaps the next group's loads from memory with the current group's work; pf (if
// not null) is a later group to prefetch, spread over the sweep.  When
// d % L != 0 and d >= L the last vector overlaps the one before it, with wtail (w, zeros on the overlap) and
// tmask (ones on the new lanes); it goes first, so its store to g is long committed when the main loop
// reloads those lanes (a store still in flight does not forward to a wider, offset load).
template <typename T, int L, int Q, bool kDot, bool kAxpy>
CONVEXIFY_VEC_INLINE void sweep_rows(const T* xd, const T* xa, Index d, const T* w, const Vec<T, L>& wtail,
                                     const Vec<T, L>& tmask, const double* m, T* g, double* z,
                                     const T* pf = nullptr) {
  using V = Vec<T, L>;
  constexpr bool kF32 = std::is_same_v<T, float>;
  constexpr int NL = kF32 ? L / 2 : L;
  using VD = Vec<double, NL>;
  const Index dv = d / L * L;
  V mv[Q], a[Q];
  VD acc[Q];
  // float, (L, Q) = (16, 8) or (8, 4): a k-tile's Q sums by one transposed reduction instead of Q folds
  constexpr bool kFloatTranspose = kF32 && ((L == 16 && Q == 8) || (L == 8 && Q == 4));
  Vec<double, Q> zacc = {};
  for (int q = 0; q < Q; ++q) {
    if constexpr (kAxpy) mv[q] = splat<V>(static_cast<T>(m[q]));
    a[q] = V{};
    acc[q] = VD{};
  }
  if (d >= L && dv < d) {
    if constexpr (kDot)
      for (int q = 0; q < Q; ++q) a[q] += load<V>(xd + q * d + d - L) * wtail;
    if constexpr (kAxpy) {
      V p[Q];
      for (int q = 0; q < Q; ++q) p[q] = (mv[q] * tmask) * load<V>(xa + q * d + d - L);
      store<V>(g + d - L, load<V>(g + d - L) + tree_sum<V, Q>(p));
    }
  }
  const Index tile = kF32 ? kTile : dv;  // float: partial sums over <= kTile (+ L) terms, then float64
  for (Index k0 = 0; k0 < dv; k0 += tile) {
    const Index k1 = std::min(dv, k0 + tile);
    for (Index k = k0; k < k1; k += L) {
      if (pf != nullptr)  // Q * L elements of a later group per step: all of it over the sweep
        for (int q = 0; q < Q * L * static_cast<int>(sizeof(T)) / 64; ++q)
          __builtin_prefetch(pf + k * Q + q * (64 / sizeof(T)), 0, 3);
      if constexpr (kDot) {
        const V wk = load<V>(w + k);
        for (int q = 0; q < Q; ++q) a[q] += load<V>(xd + q * d + k) * wk;
      }
      if constexpr (kAxpy) {
        V p[Q];
        for (int q = 0; q < Q; ++q) p[q] = mv[q] * load<V>(xa + q * d + k);
        store<V>(g + k, load<V>(g + k) + tree_sum<V, Q>(p));
      }
    }
    if constexpr (kDot && kF32) {
      if constexpr (kFloatTranspose) {
        zacc += transpose_sum_widen<L, Q>(a);
        for (int q = 0; q < Q; ++q) a[q] = V{};
      } else {
        for (int q = 0; q < Q; ++q) {
          acc[q] += fold_widen<L>(a[q]);
          a[q] = V{};
        }
      }
    }
  }
  if constexpr (kDot) {
    if constexpr (!kF32)
      for (int q = 0; q < Q; ++q) acc[q] = a[q];
    if constexpr (kFloatTranspose) {
      store<Vec<double, Q>>(z, zacc);
    } else if constexpr (Q == NL && (Q == 4 || Q == 8)) {
      store<VD>(z, transpose_sum(acc));
    } else {
      for (int q = 0; q < Q; ++q) z[q] = lane_sum<double, NL>(acc[q]);
    }
    if (d < L)
      for (int q = 0; q < Q; ++q)
        for (Index k = 0; k < d; ++k) z[q] += static_cast<double>(xd[q * d + k]) * static_cast<double>(w[k]);
  }
  if constexpr (kAxpy)
    if (d < L)
      for (Index k = 0; k < d; ++k)
        for (int q = 0; q < Q; ++q) g[k] += static_cast<T>(m[q]) * xa[q * d + k];
}

// One block, one weight row w.  y: labels with stride y_stride.  g: the row's gradient accumulator (float64
// data: the chunk's partial sum; float32 data: a float sum over this block, added into float64 by the
// caller), or null for losses only.  Groups of Q samples, software pipelined: the sweep that updates g
// with group j also computes the dot products of group j + 1.
template <typename T, int L, int Q>
CONVEXIFY_VEC_INLINE void single_block(const T* X, Index d, Index rows, const T* y, Index y_stride,
                                       const T* w, Modes modes, double* loss, double* rloss, T* g,
                                       Index rows_ahead = 0) {
  using V = Vec<T, L>;
  V wtail = {}, tmask = {};
  const Index rem = d % L;
  if (d >= L && rem != 0)
    for (int j = L - static_cast<int>(rem); j < L; ++j) {
      wtail[j] = w[d - L + j];
      tmask[j] = T(1);
    }
  using VQ = Vec<double, Q>;
  VQ lsum = {}, rsum = {};
  const Index groups = rows / Q;
  double z[Q], m[Q];
  auto residuals = [&](Index j) {
    store<VQ>(m, residual<Q>(load<VQ>(z), group_labels<T, Q>(y, j, y_stride), modes, lsum, rsum));
  };
  if (static_cast<std::size_t>(Q * d) * sizeof(T) <= 16384) {
    // A group fits in L1 next to everything else: software pipelined, the sweep that updates g with group
    // j also computes the dot products of group j + 1 (and prefetches group j + 2).
    if (groups > 0) sweep_rows<T, L, Q, true, false>(X, nullptr, d, w, wtail, tmask, nullptr, nullptr, z);
    for (Index j = 0; j < groups; ++j) {
      const T* xc = X + j * Q * d;
      residuals(j);
      const bool more = j + 1 < groups;
      const T* pf = (j + 3) * Q <= rows + rows_ahead ? xc + 2 * Q * d : nullptr;  // may be the next block's
      if (more && g != nullptr)
        sweep_rows<T, L, Q, true, true>(xc + Q * d, xc, d, w, wtail, tmask, m, g, z, pf);
      else if (more)
        sweep_rows<T, L, Q, true, false>(xc + Q * d, nullptr, d, w, wtail, tmask, nullptr, nullptr, z, pf);
      else if (g != nullptr)
        sweep_rows<T, L, Q, false, true>(nullptr, xc, d, w, wtail, tmask, m, g, nullptr);
    }
  } else {
    // Long rows: dot products, then the update while the group is still in L2, prefetching the next group.
    for (Index j = 0; j < groups; ++j) {
      const T* xc = X + j * Q * d;
      const T* pf = (j + 2) * Q <= rows + rows_ahead ? xc + Q * d : nullptr;  // may be the next block's
      sweep_rows<T, L, Q, true, false>(xc, nullptr, d, w, wtail, tmask, nullptr, nullptr, z,
                                       g ? nullptr : pf);
      residuals(j);
      if (g != nullptr) sweep_rows<T, L, Q, false, true>(nullptr, xc, d, w, wtail, tmask, m, g, nullptr, pf);
    }
  }
  double l = lane_sum<double, Q>(lsum), lr = lane_sum<double, Q>(rsum);
  for (Index s = groups * Q; s < rows; ++s) {
    const T* x0 = X + s * d;
    double z1[1];
    sweep_rows<T, L, 1, true, false>(x0, nullptr, d, w, wtail, tmask, nullptr, nullptr, z1);
    Vec<double, 2> zv = {z1[0], 0.0}, yv = {static_cast<double>(y[s * y_stride]), 0.0}, ls = {}, rs = {};
    double m1[2];
    store<Vec<double, 2>>(m1, residual<2>(zv, yv, modes, ls, rs));
    l += ls[0];
    lr += rs[0];
    if (g != nullptr) sweep_rows<T, L, 1, false, true>(nullptr, x0, d, w, wtail, tmask, m1, g, nullptr);
  }
  loss[0] += l;
  rloss[0] += lr;
}

// ---- single weight row, short rows -----------------------------------------------------------------------

// One block, one weight row w, short rows: the first F = NV L entries of a row are NV whole vectors and the
// other d - F (fewer than L) are the remainder.  Same arguments and results as single_block; g: the row's
// gradient accumulator, or null.
//
// Layout: with d = F, plain rows.  With d > F, every group of Q samples is packed (gd's copy for one weight
// row, relu_gd.cpp): its Q rows' first F entries row by row, then the remainder columns, L / Q per vector:
// lane h Q + q of remainder vector t holds x_q[F + t L / Q + h].  Both take Q d entries per group; samples
// after the last whole group (n mod Q) are plain rows of length d.
//
// w is read from L1, g stays in NV registers over the block (the remainder's in rv more, by lane), and the
// residuals run ahead of the update: the pass that adds group j to g also computes the dot products
// of group j + 2, and group j + 1's residuals are formed before it, so no update waits for its own
// residuals.  Each float32 dot product is float sums of at most 8 L terms, then float64.
template <typename T, int L, int Q, int NV>
CONVEXIFY_VEC_INLINE void short_block(const T* X, Index d, Index rows, const T* y, Index y_stride, const T* w,
                                      Modes modes, double* loss, double* rloss, T* gout, Index rows_ahead) {
  using V = Vec<T, L>;
  using VQ = Vec<double, Q>;
  constexpr int kPer = L / Q;  // remainder columns per remainder vector
  constexpr Index F = NV * L;
  constexpr int kAhead = 4;  // groups from the one being added to g to the one being prefetched
  const int rv = static_cast<int>((d - F + kPer - 1) / kPer);  // remainder vectors per group (< Q)
  const int lines = static_cast<int>(Q * d * static_cast<Index>(sizeof(T)) / 64);  // of a group
  // Remainder weights (w_k in every lane of column k, in the packed order) and gradient sums, rv vectors.
  // (Whole-vector operations only: GCC 12.2's loop vectorizer at -O3 miscompiled a lane-by-lane fill of
  // wr, with or without vector types; -fno-tree-loop-vectorize or -O2 gave the right numbers, UBSan/ASan
  // found nothing.)
  using VH = Vec<T, Q>;
  auto weight = [&](Index k) { return k < d ? w[k] : T(0); };
  V wr[Q], gr[Q];
  for (int t = 0; t < rv; ++t) {
    gr[t] = V{};
    if constexpr (kPer == 1)
      wr[t] = splat<V>(weight(F + t));
    else
      wr[t] = concat<T, Q>(splat<VH>(weight(F + 2 * t)), splat<VH>(weight(F + 2 * t + 1)));
  }
  V g[NV];
  for (int v = 0; v < NV; ++v) g[v] = V{};
  VQ lsum = {}, rsum = {};
  const Index groups = rows / Q;
  double zr[3][Q];  // dot products of groups j, j + 1, j + 2 (by j mod 3)
  T mr[2][Q];       // gradient weights of groups j, j + 1 (by j mod 2)
  auto dots = [&](const T* x, double* z) {
    V a[Q];
    for (int q = 0; q < Q; ++q) a[q] = load<V>(x + q * F) * load<V>(w);
    for (int v = 1; v < NV; ++v) {
      const V wv = load<V>(w + v * L);
      for (int q = 0; q < Q; ++q) a[q] += load<V>(x + q * F + v * L) * wv;
    }
    VQ zq = row_sums<T, L, Q>(a);
    if (rv > 0) {
      V ar = load<V>(x + Q * F) * wr[0];
      for (int t = 1; t < rv; ++t) ar += load<V>(x + Q * F + t * L) * wr[t];
      zq += fold_rows<T, L, Q>(ar);
    }
    store<VQ>(z, zq);
  };
  auto residuals = [&](Index j) {
    const VQ m = residual<Q>(load<VQ>(zr[j % 3]), group_labels<T, Q>(y, j, y_stride), modes, lsum, rsum);
    store<Vec<T, Q>>(mr[j % 2], __builtin_convertvector(m, Vec<T, Q>));
  };
  for (Index j = 0; j < std::min<Index>(groups, 2); ++j) dots(X + j * Q * d, zr[j]);
  if (groups > 0) residuals(0);
  for (Index j = 0; j < groups; ++j) {
    const T* xc = X + j * Q * d;
    if (j + 1 < groups) residuals(j + 1);
    if ((j + kAhead + 1) * Q <= rows + rows_ahead)  // may be the next block's
      for (int i = 0; i < lines; ++i) __builtin_prefetch(xc + kAhead * Q * d + i * (64 / sizeof(T)), 0, 3);
    if (j + 2 < groups) dots(xc + 2 * Q * d, zr[(j + 2) % 3]);
    if (gout != nullptr) {
      const T* m = mr[j % 2];
      for (int v = 0; v < NV; ++v)
        for (int q = 0; q < Q; ++q) g[v] += splat<V>(m[q]) * load<V>(xc + q * F + v * L);
      if (rv > 0) {
        V mrep;  // m_q in lanes h Q + q
        if constexpr (kPer == 1)
          mrep = load<V>(m);
        else
          mrep = concat<T, Q>(load<VH>(m), load<VH>(m));
        for (int t = 0; t < rv; ++t) gr[t] += mrep * load<V>(xc + Q * F + t * L);
      }
    }
  }
  double l = lane_sum<double, Q>(lsum), lr = lane_sum<double, Q>(rsum);
  for (Index s = groups * Q; s < rows; ++s) {  // the last rows % Q rows (plain rows), one at a time
    const T* x = X + s * d;
    V a = load<V>(x) * load<V>(w);
    for (int v = 1; v < NV; ++v) a += load<V>(x + v * L) * load<V>(w + v * L);
    T zrem = 0;
    for (Index k = F; k < d; ++k) zrem += x[k] * w[k];
    Vec<double, 2> zv = {static_cast<double>(lane_sum<T, L>(a)) + static_cast<double>(zrem), 0.0},
                   yv = {static_cast<double>(y[s * y_stride]), 0.0}, ls = {}, rs = {};
    const T m = static_cast<T>(residual<2>(zv, yv, modes, ls, rs)[0]);
    l += ls[0];
    lr += rs[0];
    for (int v = 0; v < NV; ++v) g[v] += splat<V>(m) * load<V>(x + v * L);
    if (gout != nullptr)
      for (Index k = F; k < d; ++k) gout[k] += m * x[k];
  }
  if (gout != nullptr) {
    for (int v = 0; v < NV; ++v) store<V>(gout + v * L, load<V>(gout + v * L) + g[v]);
    for (int t = 0; t < rv; ++t) {
      VH part[kPer];
      std::memcpy(part, &gr[t], sizeof part);
      for (int h = 0; h < kPer; ++h)
        if (F + t * kPer + h < d) gout[F + t * kPer + h] += lane_sum<T, Q>(part[h]);
    }
  }
  loss[0] += l;
  rloss[0] += lr;
}

// short_block for a run-time NV in 1..8: the instantiation with NV = N + 1 == nv.
template <typename T, int L, int Q, int... N>
CONVEXIFY_VEC_INLINE void short_rows_of(std::integer_sequence<int, N...>, int nv, const T* X, Index d,
                                        Index rows, const T* y, Index y_stride, const T* w, Modes modes,
                                        double* loss, double* rloss, T* g, Index rows_ahead) {
  (void)((nv == N + 1 &&
          (short_block<T, L, Q, N + 1>(X, d, rows, y, y_stride, w, modes, loss, rloss, g, rows_ahead),
           true)) ||
         ...);
}
template <typename T, int L, int Q>
CONVEXIFY_VEC_INLINE void short_rows(int nv, const T* X, Index d, Index rows, const T* y, Index y_stride,
                                     const T* w, Modes modes, double* loss, double* rloss, T* g,
                                     Index rows_ahead) {
  short_rows_of<T, L, Q>(std::make_integer_sequence<int, 8>{}, std::clamp(nv, 1, 8), X, d, rows, y, y_stride,
                         w, modes, loss, rloss, g, rows_ahead);
}

// ---- groups of weight rows (lanes) --------------------------------------------------------------------

// scratch[s*GW + j] = x_s . w_j for Q samples, k in [k0, k1).  Wt: d x GW (the group, transposed, padded).
template <typename T, int GW, int L, int Q>
CONVEXIFY_VEC_INLINE void lanes_forward_tile(const T* x0, Index d, Index k0, Index k1, const T* Wt,
                                             double* sc) {
  constexpr int NV = GW / L;
  using V = Vec<T, L>;
  V a[Q][NV];
  for (int q = 0; q < Q; ++q)
    for (int v = 0; v < NV; ++v) {
      if constexpr (std::is_same_v<T, double>)
        if (k0 == 0)
          a[q][v] = V{};
        else
          a[q][v] = load<V>(sc + q * GW + v * L);  // the chain continues over k tiles
      else
        a[q][v] = V{};
    }
  for (Index k = k0; k < k1; ++k) {
    V wk[NV];
    for (int v = 0; v < NV; ++v) wk[v] = load<V>(Wt + k * GW + v * L);
    for (int q = 0; q < Q; ++q) {
      const V xq = splat<V>(x0[q * d + k]);
      for (int v = 0; v < NV; ++v) a[q][v] += xq * wk[v];
    }
  }
  for (int q = 0; q < Q; ++q)
    for (int v = 0; v < NV; ++v) {
      double* out = sc + q * GW + v * L;
      if constexpr (std::is_same_v<T, double>)
        store<V>(out, a[q][v]);
      else
        widen_add<T, L>(out, a[q][v], k0 == 0);
    }
}

template <typename T, int GW, int L, int S>
CONVEXIFY_VEC_INLINE void lanes_forward(const T* X, Index d, Index rows, const T* Wt, double* scratch) {
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + S <= rows; s += S) lanes_forward_tile<T, GW, L, S>(X + s * d, d, k0, k1, Wt, scratch + s * GW);
    for (; s < rows; ++s) lanes_forward_tile<T, GW, L, 1>(X + s * d, d, k0, k1, Wt, scratch + s * GW);
  }
}

// Gacc[k*GW + j] += sum_q scratch[q*GW + j] x_q[k] for Q samples, k in [k0, k1).
template <typename T, int GW, int L, int Q>
CONVEXIFY_VEC_INLINE void lanes_gradient_tile(const T* x0, Index d, Index k0, Index k1, const double* sc,
                                              T* Gacc) {
  constexpr int NV = GW / L;
  using V = Vec<T, L>;
  V r[Q][NV];
  for (int q = 0; q < Q; ++q)
    for (int v = 0; v < NV; ++v) r[q][v] = narrow_load<T, L>(sc + q * GW + v * L);
  for (Index k = k0; k < k1; ++k) {
    V g[2][NV];  // even and odd samples: two FMA chains of Q / 2
    for (int v = 0; v < NV; ++v) {
      g[0][v] = load<V>(Gacc + k * GW + v * L);
      g[1][v] = V{};
    }
    for (int q = 0; q < Q; ++q) {
      const V xq = splat<V>(x0[q * d + k]);
      for (int v = 0; v < NV; ++v) g[q % 2][v] += r[q][v] * xq;
    }
    for (int v = 0; v < NV; ++v) store<V>(Gacc + k * GW + v * L, g[0][v] + g[1][v]);
  }
}

template <typename T, int GW, int L, int S>
CONVEXIFY_VEC_INLINE void lanes_gradient(const T* X, Index d, Index rows, const double* scratch, T* Gacc) {
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + S <= rows; s += S)
      lanes_gradient_tile<T, GW, L, S>(X + s * d, d, k0, k1, scratch + s * GW, Gacc);
    for (; s < rows; ++s) lanes_gradient_tile<T, GW, L, 1>(X + s * d, d, k0, k1, scratch + s * GW, Gacc);
  }
}

// Residuals of a block for a group of nb <= GW weight rows (scratch: z in, m o r out).  Y: the labels of the
// block's first sample, y_cols = 1 (shared) or B (offset to the group's first column by the caller).
template <typename T, int GW, int RW>  // RW: float64 lanes per residual vector (one register)
CONVEXIFY_VEC_INLINE void lanes_residual(double* scratch, Index rows, const T* Y, Index y_cols, int nb,
                                         Modes modes, double* loss, double* rloss) {
  constexpr int NR = GW / RW;
  using VR = Vec<double, RW>;
  VR lsum[NR] = {}, rsum[NR] = {};
  for (Index s = 0; s < rows; ++s) {
    double* zs = scratch + s * GW;
    double yt[GW] = {};
    if (y_cols == 1) {
      for (int j = 0; j < GW; ++j) yt[j] = static_cast<double>(Y[s]);
    } else {
      for (int j = 0; j < nb; ++j) yt[j] = static_cast<double>(Y[s * y_cols + j]);
    }
    for (int c = 0; c < NR; ++c)
      store<VR>(zs + c * RW,
                residual<RW>(load<VR>(zs + c * RW), load<VR>(yt + c * RW), modes, lsum[c], rsum[c]));
  }
  for (int j = 0; j < nb; ++j) {
    loss[j] += lsum[j / RW][j % RW];
    rloss[j] += rsum[j / RW][j % RW];
  }
}

// ---- float32 groups, pair-interleaved ------------------------------------------------------------------
//
// A float group of GW = L weight rows is packed by pairs of k: vector v (0, 1) of pair kp holds weights
// v*GW/2 .. v*GW/2 + GW/2 - 1, lane 2j + p = w_{v*GW/2 + j}[2 kp + p] (zero past d).  One 8-byte broadcast
// of (x[2kp], x[2kp+1]) then feeds two FMAs: half the broadcast loads per FMA of one register per sample,
// which is what limits these tiles (measured ~1.5x faster at d = 100, GW = 16).  Lanes 2j and 2j + 1 are
// added when a k-tile is done.  Pair layout size: pair_rows(d) * 2 * GW floats.
CONVEXIFY_VEC_INLINE Index pair_rows(Index d) {
  return (d + 1) / 2;
}

// scratch[s*GW + ...] (+)= z for Q samples, k in [k0, k1) (k0 even).
template <int L, int Q>
CONVEXIFY_VEC_INLINE void pair_forward_tile(const float* x0, Index d, Index k0, Index k1, const float* Wp,
                                            double* sc) {
  using V = Vec<float, L>;
  using VH = Vec<double, L / 2>;
  V a[Q][2] = {};
  Index k = k0;
  for (; k + 2 <= k1; k += 2) {
    const V w0 = load<V>(Wp + k * L), w1 = load<V>(Wp + k * L + L);
    for (int q = 0; q < Q; ++q) {
      const V x = pair_splat<L>(x0 + q * d + k);
      a[q][0] += x * w0;
      a[q][1] += x * w1;
    }
  }
  if (k < k1) {  // odd d: the last k alone (its odd lanes carry zero weights)
    const V w0 = load<V>(Wp + k * L), w1 = load<V>(Wp + k * L + L);
    for (int q = 0; q < Q; ++q) {
      const V x = splat<V>(x0[q * d + k]);
      a[q][0] += x * w0;
      a[q][1] += x * w1;
    }
  }
  for (int q = 0; q < Q; ++q)
    for (int v = 0; v < 2; ++v) {
      double* out = sc + q * L + v * (L / 2);
      const VH z = __builtin_convertvector(pair_sum<L>(a[q][v]), VH);
      if (k0 == 0)
        store<VH>(out, z);
      else
        store<VH>(out, load<VH>(out) + z);
    }
}

template <int L, int S>
CONVEXIFY_VEC_INLINE void pair_forward(const float* X, Index d, Index rows, const float* Wp,
                                       double* scratch) {
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + S <= rows; s += S) pair_forward_tile<L, S>(X + s * d, d, k0, k1, Wp, scratch + s * L);
    for (; s < rows; ++s) pair_forward_tile<L, 1>(X + s * d, d, k0, k1, Wp, scratch + s * L);
  }
}

// Gp (pair layout) += sum_q r_q x_q for Q samples, k in [k0, k1) (k0 even).
template <int L, int Q>
CONVEXIFY_VEC_INLINE void pair_gradient_tile(const float* x0, Index d, Index k0, Index k1, const double* sc,
                                             float* Gp) {
  using V = Vec<float, L>;
  V r[Q][2];
  for (int q = 0; q < Q; ++q)
    for (int v = 0; v < 2; ++v) r[q][v] = pair_dup<L>(narrow_load<float, L / 2>(sc + q * L + v * (L / 2)));
  Index k = k0;
  for (; k + 2 <= k1; k += 2) {
    V g0 = load<V>(Gp + k * L), g1 = load<V>(Gp + k * L + L);
    for (int q = 0; q < Q; ++q) {
      const V x = pair_splat<L>(x0 + q * d + k);
      g0 += r[q][0] * x;
      g1 += r[q][1] * x;
    }
    store<V>(Gp + k * L, g0);
    store<V>(Gp + k * L + L, g1);
  }
  if (k < k1) {  // odd d: the last k feeds the even lanes only
    V even;
    for (int j = 0; j < L; ++j) even[j] = (j % 2 == 0) ? 1.0f : 0.0f;
    V g0 = load<V>(Gp + k * L), g1 = load<V>(Gp + k * L + L);
    for (int q = 0; q < Q; ++q) {
      const V x = splat<V>(x0[q * d + k]) * even;
      g0 += r[q][0] * x;
      g1 += r[q][1] * x;
    }
    store<V>(Gp + k * L, g0);
    store<V>(Gp + k * L + L, g1);
  }
}

// Gt (d x L, float64) += Gp (pair layout).
template <int L>
CONVEXIFY_VEC_INLINE void pair_flush(const float* Gp, Index d, double* Gt) {
  using V = Vec<float, L>;
  using VH = Vec<double, L / 2>;
  for (Index k = 0; k < d; k += 2)
    for (int v = 0; v < 2; ++v) {
      const V a = load<V>(Gp + k * L + v * L);
      double* even = Gt + k * L + v * (L / 2);
      store<VH>(even, load<VH>(even) + __builtin_convertvector((pair_lanes<L, 0>(a)), VH));
      if (k + 1 < d) {
        double* odd = even + L;
        store<VH>(odd, load<VH>(odd) + __builtin_convertvector((pair_lanes<L, 1>(a)), VH));
      }
    }
}

template <int L, int S>
CONVEXIFY_VEC_INLINE void pair_gradient(const float* X, Index d, Index rows, const double* scratch,
                                        float* Gp) {
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + S <= rows; s += S) pair_gradient_tile<L, S>(X + s * d, d, k0, k1, scratch + s * L, Gp);
    for (; s < rows; ++s) pair_gradient_tile<L, 1>(X + s * d, d, k0, k1, scratch + s * L, Gp);
  }
}

}  // namespace convexify::relu::blocks
