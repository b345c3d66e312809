// CPU gradient kernels of lens 2 (SPEC 3.4, 3.8).
//
// Fused kernel (default): the samples are cut into chunks (fixed by n only, so results do not depend on the
// thread count), chunks into cache-sized blocks of rows.  For each block and each group of up to 8 weight
// rows it computes z = X_blk W_g^T with a register tile (4 samples x 8 lanes), the residual and mask
// (vectorised over the lanes), and accumulates G_g += R^T X_blk while the block is still in cache: X is read
// from memory once per iteration and no n x B temporary exists.  k is tiled so the slices of W^T and G^T in
// use stay in L1.
//   float64: every (sample, weight) dot product is one sequential chain over k, so a weight row gets the
//   same numbers alone or in a batch (the single-row path vectorises over k instead: round-off level).
//   float32: 8 float lanes; partial sums stay in float only over one k-tile (<= 128 terms) or one block of
//   samples (<= 512 rows) and are accumulated in float64 beyond that, so float rounding does not grow with
//   d or n.  A single weight row uses 16 float lanes over k per sample with the same float/float64 split,
//   and updates the gradient right after each group of 4 samples (see single_f32_block).
//
// GEMM kernel (kernel="gemm"): per chunk, Z = X_c W^T and G_c = R^T X_c in the data type, with the BLAS GEMM
// of Problem::gemm where the caller supplies one (the Python bindings pass SciPy's), else Eigen's.
//
// Both reduce the per-chunk partial sums in chunk order.  The hot loops are compiled twice (x86-64-v3 with
// AVX2/FMA, and the portable default) and selected at load time where GCC's target_clones is available.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "convexify/checks.hpp"
#include "convexify/relu_kernel.hpp"
#include "convexify/threads.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CVX_RELU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CVX_RELU_CLONES
#endif
#if defined(__GNUC__)
#define CVX_RELU_INLINE inline __attribute__((always_inline))
#else
#define CVX_RELU_INLINE inline
#endif

namespace convexify::relu {
namespace {

constexpr int kGroup = 8;    // weight rows per register tile
constexpr Index kTile = 128;  // k per L1 tile of W^T / G^T

// Chunking of the samples: fixed by n, so every thread count gives the same reduction order.
struct Chunking {
  Index block = 4;  // rows per cache block
  Index chunk = 4;  // rows per chunk (a multiple of block)
  Index count = 1;  // number of chunks
};

Chunking chunking_for(Index n, Index d, std::size_t elem_bytes) {
  Chunking c;
  const Index target_bytes = 256 * 1024;  // a block of X stays in L2
  Index rows = target_bytes / std::max<Index>(1, d * static_cast<Index>(elem_bytes));
  rows = std::clamp<Index>(rows / 4 * 4, 4, 512);
  c.block = rows;
  Index chunk = std::max<Index>(4096, (n + 15) / 16);
  chunk = (chunk + rows - 1) / rows * rows;
  c.chunk = chunk;
  c.count = std::max<Index>(1, (n + chunk - 1) / chunk);
  return c;
}

struct Modes {
  bool relaxed;
  bool strict;
};

// Residual of one (sample, weight) pair: updates the two losses, returns the gradient weight m * r.
CVX_RELU_INLINE double residual(double z, double y, Modes m, double& loss, double& rloss) {
  const double p = (z < 0.0) ? 0.0 : z;  // relu, NaN propagates
  const double r = p - y;
  loss += r * r;
  rloss += (z >= 0.0) ? r * r : y * y - 2.0 * z * y;
  if (m.relaxed) return r;
  const bool on = m.strict ? (z > 0.0) : (z >= 0.0);
  return on ? r : 0.0;
}

// 4-lane double vectors (GCC/Clang vector extensions; lowered to SSE2 pairs by the portable clone).
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

CVX_RELU_INLINE v4d load4(const double* p) {
  v4d v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
CVX_RELU_INLINE v4d load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, v4d);
}
CVX_RELU_INLINE void store4(double* p, v4d v) { std::memcpy(p, &v, sizeof v); }
CVX_RELU_INLINE v4d splat(double x) { return v4d{} + x; }

// One block of `rows` samples against one group of `nb` (<= BW) weight rows.
//   X: the block's first row;  Wt: d x BW (group weights, transposed, zero padded);
//   Gt: d x BW accumulator or null;  scratch: rows x BW.
// BW = 4 or 8: lanes are weight rows; every (sample, weight) dot product is one sequential chain over k.
template <typename T, int BW>
CVX_RELU_INLINE void forward_lanes(const T* X, Index d, Index rows, const double* Wt, double* scratch) {
  constexpr int V = BW / 4;
  // k is cut into tiles whose slice of Wt stays in L1; the partial sums wait in scratch between tiles, so
  // each chain still runs over k in increasing order.
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + 4 <= rows; s += 4) {
      const T* x0 = X + s * d;
      v4d a[4][V];
      for (int q = 0; q < 4; ++q)
        for (int v = 0; v < V; ++v) a[q][v] = k0 == 0 ? v4d{} : load4(scratch + (s + q) * BW + 4 * v);
      for (Index k = k0; k < k1; ++k) {
        v4d w[V];
        for (int v = 0; v < V; ++v) w[v] = load4(Wt + k * BW + 4 * v);
        for (int q = 0; q < 4; ++q) {
          const v4d xq = splat(static_cast<double>(x0[q * d + k]));
          for (int v = 0; v < V; ++v) a[q][v] += xq * w[v];
        }
      }
      for (int q = 0; q < 4; ++q)
        for (int v = 0; v < V; ++v) store4(scratch + (s + q) * BW + 4 * v, a[q][v]);
    }
    for (; s < rows; ++s) {
      const T* x0 = X + s * d;
      v4d a[V];
      for (int v = 0; v < V; ++v) a[v] = k0 == 0 ? v4d{} : load4(scratch + s * BW + 4 * v);
      for (Index k = k0; k < k1; ++k) {
        const v4d xq = splat(static_cast<double>(x0[k]));
        for (int v = 0; v < V; ++v) a[v] += xq * load4(Wt + k * BW + 4 * v);
      }
      for (int v = 0; v < V; ++v) store4(scratch + s * BW + 4 * v, a[v]);
    }
  }
}

template <typename T, int BW>
CVX_RELU_INLINE void gradient_lanes(const T* X, Index d, Index rows, const double* scratch, double* Gt) {
  constexpr int V = BW / 4;
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + 4 <= rows; s += 4) {
      const T* x0 = X + s * d;
      v4d r[4][V];
      for (int q = 0; q < 4; ++q)
        for (int v = 0; v < V; ++v) r[q][v] = load4(scratch + (s + q) * BW + 4 * v);
      for (Index k = k0; k < k1; ++k) {
        v4d g[V];
        for (int v = 0; v < V; ++v) g[v] = load4(Gt + k * BW + 4 * v);
        for (int q = 0; q < 4; ++q) {
          const v4d xq = splat(static_cast<double>(x0[q * d + k]));
          for (int v = 0; v < V; ++v) g[v] += r[q][v] * xq;
        }
        for (int v = 0; v < V; ++v) store4(Gt + k * BW + 4 * v, g[v]);
      }
    }
    for (; s < rows; ++s) {
      const T* x0 = X + s * d;
      v4d r[V];
      for (int v = 0; v < V; ++v) r[v] = load4(scratch + s * BW + 4 * v);
      for (Index k = k0; k < k1; ++k) {
        const v4d xq = splat(static_cast<double>(x0[k]));
        for (int v = 0; v < V; ++v) store4(Gt + k * BW + 4 * v, load4(Gt + k * BW + 4 * v) + r[v] * xq);
      }
    }
  }
}

// BW = 1 (a single weight row): the dot products are vectorised over k instead (8 partial sums per sample,
// combined in a fixed order), and the gradient update is an axpy over k.
template <typename T>
CVX_RELU_INLINE double hsum(v4d a, v4d b) {
  const v4d c = a + b;
  return (c[0] + c[1]) + (c[2] + c[3]);
}

template <typename T>
CVX_RELU_INLINE void forward_single(const T* X, Index d, Index rows, const double* w, double* scratch) {
  const Index d8 = d / 8 * 8;
  Index s = 0;
  for (; s + 4 <= rows; s += 4) {
    const T* x0 = X + s * d;
    v4d a[4][2] = {};
    for (Index k = 0; k < d8; k += 8) {
      const v4d w0 = load4(w + k), w1 = load4(w + k + 4);
      for (int q = 0; q < 4; ++q) {
        a[q][0] += load4(x0 + q * d + k) * w0;
        a[q][1] += load4(x0 + q * d + k + 4) * w1;
      }
    }
    for (int q = 0; q < 4; ++q) {
      double z = hsum<T>(a[q][0], a[q][1]);
      for (Index k = d8; k < d; ++k) z += static_cast<double>(x0[q * d + k]) * w[k];
      scratch[s + q] = z;
    }
  }
  for (; s < rows; ++s) {
    const T* x0 = X + s * d;
    v4d a0 = {}, a1 = {};
    for (Index k = 0; k < d8; k += 8) {
      a0 += load4(x0 + k) * load4(w + k);
      a1 += load4(x0 + k + 4) * load4(w + k + 4);
    }
    double z = hsum<T>(a0, a1);
    for (Index k = d8; k < d; ++k) z += static_cast<double>(x0[k]) * w[k];
    scratch[s] = z;
  }
}

template <typename T>
CVX_RELU_INLINE void gradient_single(const T* X, Index d, Index rows, const double* scratch, double* g) {
  const Index d4 = d / 4 * 4;
  Index s = 0;
  for (; s + 4 <= rows; s += 4) {
    const T* x0 = X + s * d;
    const double r[4] = {scratch[s], scratch[s + 1], scratch[s + 2], scratch[s + 3]};
    Index k = 0;
    for (; k < d4; k += 4) {
      // Pairwise: two independent FMA chains instead of one of length 4.
      const v4d p01 = splat(r[0]) * load4(x0 + k) + splat(r[1]) * load4(x0 + d + k);
      const v4d p23 = splat(r[2]) * load4(x0 + 2 * d + k) + splat(r[3]) * load4(x0 + 3 * d + k);
      store4(g + k, load4(g + k) + (p01 + p23));
    }
    for (; k < d; ++k) {
      const double p01 = r[0] * static_cast<double>(x0[k]) + r[1] * static_cast<double>(x0[d + k]);
      const double p23 = r[2] * static_cast<double>(x0[2 * d + k]) + r[3] * static_cast<double>(x0[3 * d + k]);
      g[k] += p01 + p23;
    }
  }
  for (; s < rows; ++s) {
    const T* x0 = X + s * d;
    const double r = scratch[s];
    for (Index k = 0; k < d; ++k) g[k] += r * static_cast<double>(x0[k]);
  }
}

// float32 data, 8 weight rows per group: 8 float lanes per vector (twice the double rate).  Partial sums
// are float only over one k-tile (<= kTile terms) or one cache block of samples (<= 512 terms) and are then
// added into the float64 accumulators, so the float rounding does not grow with d or n.
typedef float v8f __attribute__((vector_size(32)));

CVX_RELU_INLINE v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
CVX_RELU_INLINE void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }
CVX_RELU_INLINE v8f splat8(float x) { return v8f{} + x; }  // vector + scalar broadcasts

CVX_RELU_INLINE void forward_f32(const float* X, Index d, Index rows, const float* Wt, double* scratch) {
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + 8 <= rows; s += 8) {
      const float* x0 = X + s * d;
      v8f a[8] = {};
      for (Index k = k0; k < k1; ++k) {
        const v8f w = load8(Wt + k * 8);
        for (int q = 0; q < 8; ++q) a[q] += splat8(x0[q * d + k]) * w;
      }
      for (int q = 0; q < 8; ++q)
        for (int j = 0; j < 8; ++j) {
          double& z = scratch[(s + q) * 8 + j];
          z = (k0 == 0 ? 0.0 : z) + static_cast<double>(a[q][j]);
        }
    }
    for (; s < rows; ++s) {
      const float* x0 = X + s * d;
      v8f a = {};
      for (Index k = k0; k < k1; ++k) a += splat8(x0[k]) * load8(Wt + k * 8);
      for (int j = 0; j < 8; ++j) {
        double& z = scratch[s * 8 + j];
        z = (k0 == 0 ? 0.0 : z) + static_cast<double>(a[j]);
      }
    }
  }
}

// gblk: d x 8 float scratch for this block's partial gradient, added into the float64 Gt at the end.
CVX_RELU_INLINE void gradient_f32(const float* X, Index d, Index rows, const double* scratch, float* gblk,
                                  double* Gt) {
  std::memset(gblk, 0, sizeof(float) * static_cast<std::size_t>(d * 8));
  for (Index k0 = 0; k0 < d; k0 += kTile) {
    const Index k1 = std::min(d, k0 + kTile);
    Index s = 0;
    for (; s + 4 <= rows; s += 4) {
      const float* x0 = X + s * d;
      v8f r[4];
      for (int q = 0; q < 4; ++q)
        for (int j = 0; j < 8; ++j) r[q][j] = static_cast<float>(scratch[(s + q) * 8 + j]);
      for (Index k = k0; k < k1; ++k) {
        v8f g = load8(gblk + k * 8);
        for (int q = 0; q < 4; ++q) g += r[q] * splat8(x0[q * d + k]);
        store8(gblk + k * 8, g);
      }
    }
    for (; s < rows; ++s) {
      const float* x0 = X + s * d;
      v8f r;
      for (int j = 0; j < 8; ++j) r[j] = static_cast<float>(scratch[s * 8 + j]);
      for (Index k = k0; k < k1; ++k) store8(gblk + k * 8, load8(gblk + k * 8) + r * splat8(x0[k]));
    }
  }
  for (Index k = 0; k < d * 8; ++k) Gt[k] += static_cast<double>(gblk[k]);
}

// float32 data, one weight row (float copy w): per group of 4 samples, the 4 dot products in float lanes
// (16 partial sums per sample over one k-tile of <= kTile terms, then added into float64), the residuals
// and masks, and the float block gradient g += sum_q m_q r_q x_q while the 4 rows are still in L1.  g holds
// at most one cache block of samples (<= 512 rows) and is added into the float64 Gt at the end of the block,
// so the float rounding does not grow with d or n.  X is read from memory once per iteration.
CVX_RELU_INLINE v4d widen_sum(v8f a) {  // 8 float partial sums -> 4 double lanes
  v4f lo, hi;
  std::memcpy(&lo, &a, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&a) + sizeof lo, sizeof hi);
  return __builtin_convertvector(lo, v4d) + __builtin_convertvector(hi, v4d);
}

CVX_RELU_INLINE void dot4_f32(const float* x0, Index d, const float* w, double* z) {
  v4d acc[4] = {};
  const Index d16 = d / 16 * 16;
  for (Index k0 = 0; k0 < d16; k0 += kTile) {
    const Index k1 = std::min(d16, k0 + kTile);
    v8f a[4][2] = {};
    for (Index k = k0; k < k1; k += 16) {
      const v8f w0 = load8(w + k), w1 = load8(w + k + 8);
      for (int q = 0; q < 4; ++q) {
        __builtin_prefetch(x0 + (q + 8) * d + k);  // two groups ahead (past the block end: a harmless hint)
        a[q][0] += load8(x0 + q * d + k) * w0;
        a[q][1] += load8(x0 + q * d + k + 8) * w1;
      }
    }
    for (int q = 0; q < 4; ++q) acc[q] += widen_sum(a[q][0] + a[q][1]);
  }
  Index k = d16;
  if (k + 8 <= d) {
    const v8f w0 = load8(w + k);
    for (int q = 0; q < 4; ++q) acc[q] += widen_sum(load8(x0 + q * d + k) * w0);
    k += 8;
  }
  if (k + 4 <= d) {
    v4f w0;
    std::memcpy(&w0, w + k, sizeof w0);
    for (int q = 0; q < 4; ++q) {
      v4f xq;
      std::memcpy(&xq, x0 + q * d + k, sizeof xq);
      acc[q] += __builtin_convertvector(xq * w0, v4d);
    }
    k += 4;
  }
  for (int q = 0; q < 4; ++q) z[q] = (acc[q][0] + acc[q][1]) + (acc[q][2] + acc[q][3]);
  for (; k < d; ++k)
    for (int q = 0; q < 4; ++q) z[q] += static_cast<double>(x0[q * d + k]) * static_cast<double>(w[k]);
}

CVX_RELU_INLINE void axpy4_f32(const float* x0, Index d, const double* r, float* g) {
  const Index d8 = d / 8 * 8;
  const float r0 = static_cast<float>(r[0]), r1 = static_cast<float>(r[1]);
  const float r2 = static_cast<float>(r[2]), r3 = static_cast<float>(r[3]);
  Index k = 0;
  for (; k < d8; k += 8) {
    // Pairwise: two independent FMA chains instead of one of length 4.
    const v8f p01 = splat8(r0) * load8(x0 + k) + splat8(r1) * load8(x0 + d + k);
    const v8f p23 = splat8(r2) * load8(x0 + 2 * d + k) + splat8(r3) * load8(x0 + 3 * d + k);
    store8(g + k, load8(g + k) + (p01 + p23));
  }
  if (k + 4 <= d) {
    v4f x[4], gk;
    for (int q = 0; q < 4; ++q) std::memcpy(&x[q], x0 + q * d + k, sizeof x[q]);
    std::memcpy(&gk, g + k, sizeof gk);
    gk += (r0 * x[0] + r1 * x[1]) + (r2 * x[2] + r3 * x[3]);
    std::memcpy(g + k, &gk, sizeof gk);
    k += 4;
  }
  for (; k < d; ++k) g[k] += (r0 * x0[k] + r1 * x0[d + k]) + (r2 * x0[2 * d + k] + r3 * x0[3 * d + k]);
}

template <typename TY>
CVX_RELU_INLINE void single_f32_block(const float* X, Index d, Index rows, const TY* yb, Index y_cols,
                                      const float* w, Modes modes, double* loss, double* rloss, float* g,
                                      double* Gt) {
  if (Gt != nullptr) std::memset(g, 0, sizeof(float) * static_cast<std::size_t>(d));
  const v4d zero = {};
  v4d lsum = {}, rsum = {};
  Index s = 0;
  for (; s + 4 <= rows; s += 4) {
    const float* x0 = X + s * d;
    double zs[4];
    dot4_f32(x0, d, w, zs);
    const v4d z = load4(zs);
    const v4d y = {static_cast<double>(yb[s * y_cols]), static_cast<double>(yb[(s + 1) * y_cols]),
                   static_cast<double>(yb[(s + 2) * y_cols]), static_cast<double>(yb[(s + 3) * y_cols])};
    const v4d p = (z < zero) ? zero : z;  // relu; NaN propagates
    const v4d r = p - y;
    lsum += r * r;
    rsum += (z >= zero) ? r * r : y * y - 2.0 * z * y;
    v4d m = r;
    if (!modes.relaxed) m = (modes.strict ? (z > zero) : (z >= zero)) ? r : zero;
    if (Gt != nullptr) {
      double ms[4];
      store4(ms, m);
      axpy4_f32(x0, d, ms, g);
    }
  }
  loss[0] += (lsum[0] + lsum[1]) + (lsum[2] + lsum[3]);
  rloss[0] += (rsum[0] + rsum[1]) + (rsum[2] + rsum[3]);
  for (; s < rows; ++s) {
    const float* x0 = X + s * d;
    double z = 0.0;
    for (Index k = 0; k < d; ++k) z += static_cast<double>(x0[k]) * static_cast<double>(w[k]);
    const double m = residual(z, static_cast<double>(yb[s * y_cols]), modes, loss[0], rloss[0]);
    if (Gt != nullptr) {
      const float mf = static_cast<float>(m);
      for (Index k = 0; k < d; ++k) g[k] += mf * x0[k];
    }
  }
  if (Gt != nullptr)
    for (Index k = 0; k < d; ++k) Gt[k] += static_cast<double>(g[k]);
}

template <typename T, typename TY, int BW>
CVX_RELU_INLINE void group_block(const T* X, Index d, Index rows, const TY* Y, Index y_cols, Index b0, int nb,
                                 const double* Wt, double* Gt, Modes modes, double* loss, double* rloss,
                                 double* scratch, const float* Wtf, float* gblk) {
  (void)Wtf;
  (void)gblk;
  if constexpr (BW == 1 && std::is_same_v<T, float>) {
    (void)scratch;
    single_f32_block(X, d, rows, Y + (y_cols == 1 ? 0 : b0), y_cols, Wtf, modes, loss, rloss, gblk, Gt);
    return;
  }
  if constexpr (BW == 1)
    forward_single<T>(X, d, rows, Wt, scratch);
  else if constexpr (std::is_same_v<T, float>)
    forward_f32(X, d, rows, Wtf, scratch);
  else
    forward_lanes<T, BW>(X, d, rows, Wt, scratch);
  // Residuals, masks, losses (scratch becomes m o R).
  if constexpr (BW == 1) {
    // Four samples per vector, branch-free (the active/inactive pattern is unpredictable).
    const v4d zero = {};
    v4d lsum = {}, rsum = {};
    const TY* yb = Y + (y_cols == 1 ? 0 : b0);
    Index s = 0;
    for (; s + 4 <= rows; s += 4) {
      const v4d z = load4(scratch + s);
      const v4d y = {static_cast<double>(yb[s * y_cols]), static_cast<double>(yb[(s + 1) * y_cols]),
                     static_cast<double>(yb[(s + 2) * y_cols]), static_cast<double>(yb[(s + 3) * y_cols])};
      const v4d p = (z < zero) ? zero : z;
      const v4d r = p - y;
      lsum += r * r;
      rsum += (z >= zero) ? r * r : y * y - 2.0 * z * y;
      v4d m = r;
      if (!modes.relaxed) m = (modes.strict ? (z > zero) : (z >= zero)) ? r : zero;
      store4(scratch + s, m);
    }
    loss[0] += (lsum[0] + lsum[1]) + (lsum[2] + lsum[3]);
    rloss[0] += (rsum[0] + rsum[1]) + (rsum[2] + rsum[3]);
    for (; s < rows; ++s) {
      double& z = scratch[s];
      z = residual(z, static_cast<double>(yb[s * y_cols]), modes, loss[0], rloss[0]);
    }
  } else {
    // Vectorised over the BW lanes: SPEC 3.2 per-sample terms with lane masks instead of branches.
    constexpr int V = BW / 4;
    v4d valid[V], lsum[V] = {}, rsum[V] = {}, yv[V];
    for (int v = 0; v < V; ++v)
      for (int j = 0; j < 4; ++j) valid[v][j] = (4 * v + j < nb) ? 1.0 : 0.0;
    const v4d zero = {};
    for (Index s = 0; s < rows; ++s) {
      const TY* ys = Y + s * y_cols;
      if (y_cols == 1) {
        for (int v = 0; v < V; ++v) yv[v] = splat(static_cast<double>(ys[0])) * valid[v];
      } else {
        for (int v = 0; v < V; ++v)
          for (int j = 0; j < 4; ++j) yv[v][j] = 4 * v + j < nb ? static_cast<double>(ys[b0 + 4 * v + j]) : 0.0;
      }
      for (int v = 0; v < V; ++v) {
        const v4d z = load4(scratch + s * BW + 4 * v) * valid[v];
        const v4d y = yv[v];
        const v4d p = (z < zero) ? zero : z;  // relu; NaN propagates
        const v4d r = p - y;
        lsum[v] += r * r;
        rsum[v] += (z >= zero) ? r * r : y * y - 2.0 * z * y;
        v4d m = r;
        if (!modes.relaxed) m = (modes.strict ? (z > zero) : (z >= zero)) ? r : zero;
        store4(scratch + s * BW + 4 * v, m * valid[v]);
      }
    }
    for (int v = 0; v < V; ++v)
      for (int j = 0; j < 4; ++j)
        if (4 * v + j < nb) {
          loss[4 * v + j] += lsum[v][j];
          rloss[4 * v + j] += rsum[v][j];
        }
  }
  if (Gt == nullptr) return;
  if constexpr (BW == 1)
    gradient_single<T>(X, d, rows, scratch, Gt);
  else if constexpr (std::is_same_v<T, float>)
    gradient_f32(X, d, rows, scratch, gblk, Gt);
  else
    gradient_lanes<T, BW>(X, d, rows, scratch, Gt);
}

// Group layout of a batch: groups of kGroup rows; the last one has width 1, 4 or 8.
struct Group {
  Index b0;
  int nb;
  int width;
  Index offset;  // into the packed d x width arrays
};

// float32 data uses widths 1 and 8 only (8 float lanes cost what 4 double lanes do).
std::vector<Group> make_groups(Index B, Index d, bool float_data) {
  std::vector<Group> groups;
  Index offset = 0;
  for (Index b0 = 0; b0 < B; b0 += kGroup) {
    const int nb = static_cast<int>(std::min<Index>(kGroup, B - b0));
    const int width = nb == 1 ? 1 : ((nb <= 4 && !float_data) ? 4 : kGroup);
    groups.push_back({b0, nb, width, offset});
    offset += d * width;
  }
  return groups;
}

// One chunk [i0, i1): every block against every group.  Compiled once per ISA (see top of file).
template <typename T>
CVX_RELU_INLINE void fused_chunk_impl(const T* X, Index d, const T* Y, Index y_cols, Index i0, Index i1,
                                      Index block, const Group* groups, Index ngroups, const double* Wt,
                                      double* Gt, bool relaxed, bool strict, double* loss, double* rloss,
                                      double* scratch, const float* Wtf, float* gblk) {
  const Modes modes{relaxed, strict};
  for (Index i = i0; i < i1; i += block) {
    const Index rows = std::min(block, i1 - i);
    const T* Xb = X + i * d;
    const T* Yb = Y + i * y_cols;
    for (Index g = 0; g < ngroups; ++g) {
      const Group& gr = groups[g];
      const double* wt = Wt + gr.offset;
      const float* wtf = Wtf ? Wtf + gr.offset : nullptr;
      double* gt = Gt ? Gt + gr.offset : nullptr;
      double* l = loss + gr.b0;
      double* lr = rloss + gr.b0;
      switch (gr.width) {
        case 1:
          group_block<T, T, 1>(Xb, d, rows, Yb, y_cols, gr.b0, gr.nb, wt, gt, modes, l, lr, scratch, wtf, gblk);
          break;
        case 4:
          if constexpr (std::is_same_v<T, double>)
            group_block<T, T, 4>(Xb, d, rows, Yb, y_cols, gr.b0, gr.nb, wt, gt, modes, l, lr, scratch, wtf, gblk);
          break;
        default:
          group_block<T, T, kGroup>(Xb, d, rows, Yb, y_cols, gr.b0, gr.nb, wt, gt, modes, l, lr, scratch, wtf,
                                    gblk);
          break;
      }
    }
  }
}

CVX_RELU_CLONES void fused_chunk(const double* X, Index d, const double* Y, Index y_cols, Index i0, Index i1,
                                 Index block, const Group* groups, Index ngroups, const double* Wt, double* Gt,
                                 bool relaxed, bool strict, double* loss, double* rloss, double* scratch,
                                 const float* Wtf, float* gblk) {
  fused_chunk_impl<double>(X, d, Y, y_cols, i0, i1, block, groups, ngroups, Wt, Gt, relaxed, strict, loss,
                           rloss, scratch, Wtf, gblk);
}

CVX_RELU_CLONES void fused_chunk(const float* X, Index d, const float* Y, Index y_cols, Index i0, Index i1,
                                 Index block, const Group* groups, Index ngroups, const double* Wt, double* Gt,
                                 bool relaxed, bool strict, double* loss, double* rloss, double* scratch,
                                 const float* Wtf, float* gblk) {
  fused_chunk_impl<float>(X, d, Y, y_cols, i0, i1, block, groups, ngroups, Wt, Gt, relaxed, strict, loss,
                          rloss, scratch, Wtf, gblk);
}

// GEMM kernel: residuals and masks of a rows x B block of Z (row-major) in place, 4 weight rows per vector;
// each loss sum runs over the samples in order, as in the scalar loop.
CVX_RELU_INLINE void store4(float* p, v4d v) {
  const v4f f = __builtin_convertvector(v, v4f);
  std::memcpy(p, &f, sizeof f);
}

template <typename T>
CVX_RELU_INLINE void residual_block_impl(T* Z, Index rows, Index B, const T* Y, Index y_cols, bool relaxed,
                                         bool strict, double* loss, double* rloss) {
  const Modes modes{relaxed, strict};
  const v4d zero = {};
  const Index B4 = B / 4 * 4;
  for (Index s = 0; s < rows; ++s) {
    T* zs = Z + s * B;
    const T* ys = Y + s * y_cols;
    Index b = 0;
    for (; b < B4; b += 4) {
      const v4d z = load4(zs + b);
      const v4d y = y_cols == 1 ? splat(static_cast<double>(ys[0])) : load4(ys + b);
      const v4d p = (z < zero) ? zero : z;  // relu; NaN propagates
      const v4d r = p - y;
      store4(loss + b, load4(loss + b) + r * r);
      store4(rloss + b, load4(rloss + b) + ((z >= zero) ? r * r : y * y - 2.0 * z * y));
      v4d m = r;
      if (!relaxed) m = (strict ? (z > zero) : (z >= zero)) ? r : zero;
      store4(zs + b, m);
    }
    for (; b < B; ++b) {
      const double y = static_cast<double>(y_cols == 1 ? ys[0] : ys[b]);
      zs[b] = static_cast<T>(residual(static_cast<double>(zs[b]), y, modes, loss[b], rloss[b]));
    }
  }
}

CVX_RELU_CLONES void residual_block(double* Z, Index rows, Index B, const double* Y, Index y_cols, bool relaxed,
                                    bool strict, double* loss, double* rloss) {
  residual_block_impl<double>(Z, rows, B, Y, y_cols, relaxed, strict, loss, rloss);
}

CVX_RELU_CLONES void residual_block(float* Z, Index rows, Index B, const float* Y, Index y_cols, bool relaxed,
                                    bool strict, double* loss, double* rloss) {
  residual_block_impl<float>(Z, rows, B, Y, y_cols, relaxed, strict, loss, rloss);
}

// Shared chunk bookkeeping of both kernels: per-chunk partial sums and their ordered reduction.
template <typename T>
class ChunkedKernel : public GradientKernel<T> {
 public:
  ChunkedKernel(const Problem<T>& p, Index B, Index partial_size)
      : p_(p), B_(B), ch_(chunking_for(p.n, p.d, sizeof(double))) {
    require(p.X != nullptr && p.Y != nullptr, "relu kernel: null data");
    require(p.n >= 1 && p.d >= 1, "relu kernel: X must be non-empty");
    require(B >= 1, "relu kernel: B must be >= 1");
    require(p.y_cols == 1 || p.y_cols == B, "relu kernel: Y must have 1 or B columns");
    partial_size_ = partial_size;
    partial_.assign(static_cast<std::size_t>(ch_.count * partial_size_), 0.0);
    losses_.assign(static_cast<std::size_t>(ch_.count * 2 * B_), 0.0);
  }
  Index batch() const override { return B_; }

  void evaluate(const double* W, Objective objective, bool strict, const Evaluation& out) override {
    prepare(W);
    const bool want_g = out.G != nullptr;
    std::fill(losses_.begin(), losses_.end(), 0.0);
    if (want_g) std::fill(partial_.begin(), partial_.end(), 0.0);
    const long long work = static_cast<long long>(p_.n) * p_.d * B_;
    const int nt = static_cast<int>(std::min<long long>(threads_for(work, 4000000), ch_.count));
    const bool relaxed = objective == Objective::relaxed;
#ifdef CONVEXIFY_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (Index c = 0; c < ch_.count; ++c) {
      const Index i0 = c * ch_.chunk;
      const Index i1 = std::min(p_.n, i0 + ch_.chunk);
      double* gpart = want_g ? partial_.data() + c * partial_size_ : nullptr;
      double* l = losses_.data() + c * 2 * B_;
      run_chunk(c, i0, i1, relaxed, strict, gpart, l, l + B_);
    }
    (void)nt;
    // Ordered reduction over chunks.
    if (out.loss || out.relaxed_loss) {
      for (Index b = 0; b < B_; ++b) {
        double a = 0.0, r = 0.0;
        for (Index c = 0; c < ch_.count; ++c) {
          a += losses_[c * 2 * B_ + b];
          r += losses_[c * 2 * B_ + B_ + b];
        }
        if (out.loss) out.loss[b] = a;
        if (out.relaxed_loss) out.relaxed_loss[b] = r;
      }
    }
    if (want_g) reduce_gradient(out.G);
  }

 protected:
  virtual void prepare(const double* W) = 0;
  virtual void run_chunk(Index c, Index i0, Index i1, bool relaxed, bool strict, double* gpart, double* loss,
                         double* rloss) = 0;
  virtual void reduce_gradient(double* G) = 0;

  Problem<T> p_;
  Index B_;
  Chunking ch_;
  Index partial_size_ = 0;
  std::vector<double> partial_;
  std::vector<double> losses_;
};

template <typename T>
class FusedKernel final : public ChunkedKernel<T> {
  using Base = ChunkedKernel<T>;

 public:
  FusedKernel(const Problem<T>& p, Index B)
      : Base(p, B, packed_size(B, p.d)), groups_(make_groups(B, p.d, kFloat)) {
    Wt_.assign(static_cast<std::size_t>(packed_size(B, p.d)), 0.0);
    scratch_.assign(static_cast<std::size_t>(this->ch_.count * this->ch_.block * kGroup), 0.0);
    if (kFloat) {
      Wtf_.assign(Wt_.size(), 0.0f);
      gblk_.assign(static_cast<std::size_t>(this->ch_.count * p.d * kGroup), 0.0f);
    }
  }
  const char* name() const override { return "fused"; }

 protected:
  static constexpr bool kFloat = std::is_same_v<T, float>;
  static Index packed_size(Index B, Index d) {
    Index s = 0;
    for (const Group& g : make_groups(B, d, kFloat)) s += d * g.width;
    return s;
  }
  void prepare(const double* W) override {
    const Index d = this->p_.d;
    for (const Group& g : groups_) {
      double* wt = Wt_.data() + g.offset;
      for (Index k = 0; k < d; ++k)
        for (int j = 0; j < g.width; ++j) wt[k * g.width + j] = j < g.nb ? W[(g.b0 + j) * d + k] : 0.0;
    }
    for (std::size_t k = 0; k < Wtf_.size(); ++k) Wtf_[k] = static_cast<float>(Wt_[k]);
  }
  void run_chunk(Index c, Index i0, Index i1, bool relaxed, bool strict, double* gpart, double* loss,
                 double* rloss) override {
    const Problem<T>& p = this->p_;
    fused_chunk(p.X, p.d, p.Y, p.y_cols, i0, i1, this->ch_.block, groups_.data(),
                static_cast<Index>(groups_.size()), Wt_.data(), gpart, relaxed, strict, loss, rloss,
                scratch_.data() + c * this->ch_.block * kGroup, Wtf_.empty() ? nullptr : Wtf_.data(),
                gblk_.empty() ? nullptr : gblk_.data() + c * p.d * kGroup);
  }
  void reduce_gradient(double* G) override {
    const Index d = this->p_.d;
    const Index B = this->B_;
    std::fill(G, G + B * d, 0.0);
    for (Index c = 0; c < this->ch_.count; ++c) {
      const double* part = this->partial_.data() + c * this->partial_size_;
      for (const Group& g : groups_) {
        const double* gt = part + g.offset;
        for (int j = 0; j < g.nb; ++j) {
          double* row = G + (g.b0 + j) * d;
          for (Index k = 0; k < d; ++k) row[k] += gt[k * g.width + j];
        }
      }
    }
  }

 private:
  std::vector<Group> groups_;
  std::vector<double> Wt_;
  std::vector<double> scratch_;
  std::vector<float> Wtf_;
  std::vector<float> gblk_;
};

template <typename T>
class GemmKernel final : public ChunkedKernel<T> {
  using Base = ChunkedKernel<T>;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using DMap = Eigen::Map<const Mat>;

 public:
  GemmKernel(const Problem<T>& p, Index B) : Base(p, B, B * p.d), W_(B, p.d) {
    const Index int_max = 2147483647;
    require(p.gemm == nullptr || (B <= int_max && p.d <= int_max && this->ch_.chunk <= int_max),
            "relu kernel: sizes exceed the BLAS integer range");
    Z_.resize(this->ch_.count);
  }
  const char* name() const override { return "gemm"; }

 protected:
  void prepare(const double* W) override {
    W_ = Eigen::Map<const RowMatrix<double>>(W, this->B_, this->p_.d).template cast<T>();
  }
  void run_chunk(Index c, Index i0, Index i1, bool relaxed, bool strict, double* gpart, double* loss,
                 double* rloss) override {
    const Problem<T>& p = this->p_;
    const Index rows = i1 - i0;
    const Index B = this->B_;
    DMap Xc(p.X + i0 * p.d, rows, p.d);
    Mat& Z = Z_[c];
    Z.resize(rows, B);
    // Column-major views for BLAS: X_c is d x rows, W is d x B, Z is B x rows, G_c is d x B.
    int m = static_cast<int>(B), nr = static_cast<int>(rows), k = static_cast<int>(p.d);
    char tr = 'T', nt = 'N';
    T one = 1, zero = 0;
    T* xc = const_cast<T*>(p.X + i0 * p.d);
    if (p.gemm)
      p.gemm(&tr, &nt, &m, &nr, &k, &one, W_.data(), &k, xc, &k, &zero, Z.data(), &m);
    else
      Z.noalias() = Xc * W_.transpose();
    residual_block(Z.data(), rows, B, p.Y + i0 * p.y_cols, p.y_cols, relaxed, strict, loss, rloss);
    if (gpart == nullptr) return;
    Mat Gc(B, p.d);
    if (p.gemm)
      p.gemm(&nt, &tr, &k, &m, &nr, &one, xc, &k, Z.data(), &m, &zero, Gc.data(), &k);
    else
      Gc.noalias() = Z.transpose() * Xc;
    Eigen::Map<RowMatrix<double>>(gpart, B, p.d) = Gc.template cast<double>();
  }
  void reduce_gradient(double* G) override {
    const Index n = this->B_ * this->p_.d;
    std::fill(G, G + n, 0.0);
    for (Index c = 0; c < this->ch_.count; ++c) {
      const double* part = this->partial_.data() + c * this->partial_size_;
      for (Index k = 0; k < n; ++k) G[k] += part[k];
    }
  }

 private:
  Mat W_;
  std::vector<Mat> Z_;
};

template <typename T>
CVX_RELU_INLINE bool all_finite_impl(const T* a, Index size) {
  // x * 0 is +-0 for finite x and NaN for NaN/Inf; +-0 sums stay 0.  Eight independent lanes.
  T acc[8] = {};
  Index i = 0;
  for (; i + 8 <= size; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * T(0);
  for (; i < size; ++i) acc[0] += a[i] * T(0);
  bool ok = true;
  for (int j = 0; j < 8; ++j) ok = ok && acc[j] == T(0);
  return ok;
}

CVX_RELU_CLONES bool all_finite_of(const double* a, Index size) { return all_finite_impl(a, size); }
CVX_RELU_CLONES bool all_finite_of(const float* a, Index size) { return all_finite_impl(a, size); }

}  // namespace

template <typename T>
bool all_finite(const T* a, Index size) {
  return all_finite_of(a, size);
}

template bool all_finite(const double*, Index);
template bool all_finite(const float*, Index);

template <typename T>
std::unique_ptr<GradientKernel<T>> make_cpu_kernel(const Problem<T>& problem, Index B, KernelChoice choice) {
  // Measured on one core (AMD EPYC Zen 4, portable build, min-of-3 timings per GD iteration on a busy machine):
  // - the fused kernel beats Eigen's GEMM pair at every measured size and B, in both dtypes (e.g. n = 2e4,
  //   d = 1000, B = 256: 424 vs 951 ms in float64, 319 vs 488 ms in float32), because the portable Eigen
  //   build has SSE2 kernels only while the fused loops are also compiled for AVX2/FMA;
  // - with a BLAS GEMM (SciPy's OpenBLAS, AVX2) the GEMM pair wins in float32 from B = 64 on
  //   ((n, d) = (1e4, 100): B = 64 3.8 vs 4.3 ms, B = 256 13.5 vs 17.6 ms; (1e5, 1000): B = 64 334 vs
  //   430 ms, B = 256 ~1.1 vs 1.7 s) and is even with the fused kernel below (B = 16: 1.06 vs 1.02 ms);
  // - in float64 it is within noise of the fused kernel (B = 64: 636 vs 568 ms, B = 256: 2.0 vs 2.2 s at
  //   (1e5, 1000); 24.8 vs 22.9 ms at (1e4, 100)), so float64 stays fused: a weight row then gets the same
  //   numbers (to round-off) alone or in any batch.
  if (choice == KernelChoice::automatic) {
    const bool blas_f32 = std::is_same_v<T, float> && problem.gemm != nullptr && B >= 64;
    choice = blas_f32 ? KernelChoice::gemm : KernelChoice::fused;
  }
  if (choice == KernelChoice::fused) return std::make_unique<FusedKernel<T>>(problem, B);
  return std::make_unique<GemmKernel<T>>(problem, B);
}

template std::unique_ptr<GradientKernel<double>> make_cpu_kernel(const Problem<double>&, Index, KernelChoice);
template std::unique_ptr<GradientKernel<float>> make_cpu_kernel(const Problem<float>&, Index, KernelChoice);

}  // namespace convexify::relu
