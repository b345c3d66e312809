// CPU gradient kernels of lens 2; see docs/relu.md#gd and docs/relu.md#performance.
//
// Fused kernel (default): the samples are cut into chunks (fixed by n only, so results do not depend on the
// thread count), chunks into cache-sized blocks of rows.  For each block and each group of weight rows the
// loops of relu_blocks.hpp compute z = X_blk W_g^T, the residuals and masks, and G_g += R^T X_blk while the
// block is still in cache: X is read from memory once per iteration and no n x B temporary exists.  They
// are compiled with register tiles sized for the instruction-set level of this module (baseline SSE2,
// AVX2+FMA or AVX-512; the whole core is built once per level, see simd.hpp).
//   float64: in a group of weight rows every (sample, weight) dot product is one sequential chain over k,
//   so a weight row gets the same numbers in any group; a lone weight row vectorises over k instead
//   (round-off level differences).
//   float32: partial sums stay in float only over one k-tile (<= 128 terms) or one block of samples
//   (<= 512 rows) and are accumulated in float64 beyond that, so float rounding does not grow with d or n.
//
// GEMM kernel (kernel="gemm"): per chunk, Z = X_c W^T and G_c = R^T X_c in the data type, with the BLAS GEMM
// of Problem::gemm where the caller supplies one (the Python bindings pass SciPy's), else Eigen's.
//
// Both reduce the per-chunk partial sums in chunk order.
#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "convexify/checks.hpp"
#include "convexify/interrupt.hpp"
#include "convexify/relu_kernel.hpp"
#include "convexify/simd.hpp"
#include "convexify/threads.hpp"
#include "relu_blocks.hpp"
#include "simd_vector.hpp"

namespace convexify::relu {
namespace {

using blocks::Modes;

// Chunking of the samples: fixed by n, so every thread count gives the same reduction order.
struct Chunking {
  Index block = 8;  // rows per cache block
  Index chunk = 8;  // rows per chunk (a multiple of block)
  Index count = 1;  // number of chunks
};

Chunking chunking_for(Index n, Index d, std::size_t elem_bytes) {
  Chunking c;
  const Index target_bytes = 256 * 1024;  // a block of X stays in L2
  Index rows = target_bytes / std::max<Index>(1, d * static_cast<Index>(elem_bytes));
  rows = std::clamp<Index>(rows / 8 * 8, 8, 512);
  c.block = rows;
  Index chunk = std::max<Index>(4096, (n + 15) / 16);
  chunk = (chunk + rows - 1) / rows * rows;
  c.chunk = chunk;
  c.count = std::max<Index>(1, (n + chunk - 1) / chunk);
  return c;
}

// Group layout of a batch: consecutive weight rows, packed d x width (transposed, zero padded).
struct Group {
  Index b0;
  int nb;
  int width;      // 1 (a lone row), 4, 8 or 16
  Index offset;   // into the float64 gradient sums, d x width
  Index woffset;  // into the packed weights (float groups of width > 1: pair layout, see relu_blocks.hpp)
};

// Widest group: 16 weight rows with AVX-512 (float32: one 16-lane register; float64: two 8-lane registers,
// which halves the loads per FMA and measured ~1.6x faster than groups of 8), else 8.
int max_group(Simd level) {
  return level == Simd::avx512 ? 16 : 8;
}

// Packed weights of one group: float groups by pairs of k where the level uses pair tiles.
Index packed_weights(Index d, int width, bool float_data, Simd level) {
  return float_data && width > 1 && level != Simd::generic ? blocks::pair_rows(d) * 2 * width : d * width;
}

std::vector<Group> make_groups(Index B, Index d, bool float_data, Simd level) {
  std::vector<Group> groups;
  const int gmax = max_group(level);
  Index offset = 0, woffset = 0;
  for (Index b0 = 0; b0 < B; b0 += gmax) {
    const int nb = static_cast<int>(std::min<Index>(gmax, B - b0));
    int width = nb == 1 ? 1 : (nb <= 4 && !float_data ? 4 : (nb <= 8 ? 8 : 16));
    groups.push_back({b0, nb, width, offset, woffset});
    offset += d * width;
    woffset += packed_weights(d, width, float_data, level);
  }
  return groups;
}

Index packed_size(Index B, Index d, bool float_data, Simd level) {
  Index s = 0;
  for (const Group& g : make_groups(B, d, float_data, level)) s += d * g.width;
  return s;
}

// Everything one chunk [i0, i1) of the fused kernel reads and writes.
template <typename T>
struct ChunkArgs {
  const T* X;
  Index d;
  const T* Y;
  Index y_cols;
  Index i0, i1, block;
  const Group* groups;
  Index ngroups;
  const T* Wp;  // packed weights (in the data type)
  double* Gt;   // packed float64 gradient partial sums of this chunk, or null
  Modes modes;
  double* loss;             // B
  double* rloss;            // B
  double* scratch;          // block x 16
  float* gblk;              // float32 data: this block's gradient sums (pair layout for groups)
  bool check;               // check each block of X for NaN/Inf first
  char* bad;                // set when a block is not finite (the chunk's results are then not computed)
  bool packed;              // X is packed for one weight row (Problem::packed)
  std::atomic<bool>* stop;  // Ctrl-C seen: skip the blocks left (polled between blocks)
};

// Register tiles per SIMD level: AVX-512 has 32 registers of 64 bytes, AVX2 16 of 32 bytes, the generic
// (SSE2) build 16 of 16 bytes.  Vectors are kept at most one register wide where they are compared or
// blended (wider ones were compiled lane by lane).
template <typename T, Simd kLevel>
struct Tiles {
  static constexpr bool kF32 = std::is_same_v<T, float>;
  static constexpr int kBytes = kLevel == Simd::avx512 ? 64 : (kLevel == Simd::avx2 ? 32 : 16);
  static constexpr int kLane = kBytes / static_cast<int>(sizeof(T));  // lanes of T per register
  static constexpr int kLane64 = kBytes / 8;                          // float64 lanes (residuals)
  static constexpr int kRows = kLevel == Simd::avx512 ? 8 : (kLevel == Simd::avx2 ? 4 : 2);  // lone row
  // Lone rows of 1 to 8 whole registers (plain, or gd's packed copy) take short_block, whose row sums need
  // kRows = kLane (float64) or kLane / 2 (float32): the AVX2 and AVX-512 tiles.
  static constexpr bool kShortRows = kLevel != Simd::generic;
  static constexpr int kSamples =
      kLevel == Simd::avx512 ? 8 : (kLevel == Simd::avx2 ? (kF32 ? 8 : 4) : (kF32 ? 4 : 2));
  static constexpr int kPairSamples = kLevel == Simd::avx512 ? 8 : 4;  // float pair tiles
  static constexpr bool kPairs = kF32 && kLevel != Simd::generic;      // float groups packed by pairs of k
};

template <typename T, int GW, int L, int S, int RW>
CONVEXIFY_VEC_INLINE void lanes_block(const T* X, Index d, Index rows, const T* Y, Index y_cols, int nb,
                                      const T* Wt, Modes modes, double* loss, double* rloss, double* scratch,
                                      T* gacc) {
  blocks::lanes_forward<T, GW, L, S>(X, d, rows, Wt, scratch);
  blocks::lanes_residual<T, GW, RW>(scratch, rows, Y, y_cols, nb, modes, loss, rloss);
  if (gacc != nullptr) blocks::lanes_gradient<T, GW, L, S>(X, d, rows, scratch, gacc);
}

// The block loops as separate functions, one set per SIMD level: each gets its own register allocation
// (inlined into one large function, the float32 tiles spilled their residual vectors and ran ~1.5x slower).
#define CVX_RELU_BLOCK_ENTRIES(NAME, ATTR)                                                                   \
  struct NAME {                                                                                              \
    template <typename T, int L, int Q>                                                                      \
    ATTR __attribute__((noinline)) static void single(const T* X, Index d, Index rows, const T* y,           \
                                                      Index y_stride, const T* w, Modes modes, double* loss, \
                                                      double* rloss, T* g, Index rows_ahead) {               \
      blocks::single_block<T, L, Q>(X, d, rows, y, y_stride, w, modes, loss, rloss, g, rows_ahead);          \
    }                                                                                                        \
    template <typename T, int L, int Q>                                                                      \
    ATTR __attribute__((noinline)) static void short_rows(int nv, const T* X, Index d, Index rows,           \
                                                          const T* y, Index y_stride, const T* w,            \
                                                          Modes modes, double* loss, double* rloss, T* g,    \
                                                          Index rows_ahead) {                                \
      blocks::short_rows<T, L, Q>(nv, X, d, rows, y, y_stride, w, modes, loss, rloss, g, rows_ahead);        \
    }                                                                                                        \
    template <typename T, int GW, int L, int S, int RW>                                                      \
    ATTR __attribute__((noinline)) static void lanes(const T* X, Index d, Index rows, const T* Y,            \
                                                     Index y_cols, int nb, const T* Wt, Modes modes,         \
                                                     double* loss, double* rloss, double* scratch,           \
                                                     T* gacc) {                                              \
      lanes_block<T, GW, L, S, RW>(X, d, rows, Y, y_cols, nb, Wt, modes, loss, rloss, scratch, gacc);        \
    }                                                                                                        \
    template <int L, int S, int RW>                                                                          \
    ATTR __attribute__((noinline)) static void pairs(const float* X, Index d, Index rows, const float* Y,    \
                                                     Index y_cols, int nb, const float* Wp, Modes modes,     \
                                                     double* loss, double* rloss, double* scratch,           \
                                                     float* gacc, double* gt) {                              \
      blocks::pair_forward<L, S>(X, d, rows, Wp, scratch);                                                   \
      blocks::lanes_residual<float, L, RW>(scratch, rows, Y, y_cols, nb, modes, loss, rloss);                \
      if (gt == nullptr) return;                                                                             \
      std::memset(gacc, 0, sizeof(float) * static_cast<std::size_t>(blocks::pair_rows(d) * 2 * L));          \
      blocks::pair_gradient<L, S>(X, d, rows, scratch, gacc);                                                \
      blocks::pair_flush<L>(gacc, d, gt);                                                                    \
    }                                                                                                        \
    template <typename T>                                                                                    \
    ATTR __attribute__((noinline)) static bool finite(const T* a, Index size) {                              \
      return vec::all_finite<T, (std::is_same_v<T, float> ? 16 : 8)>(a, size);                               \
    }                                                                                                        \
  };
CVX_RELU_BLOCK_ENTRIES(Blocks, )
#undef CVX_RELU_BLOCK_ENTRIES

// One chunk [i0, i1): every cache block of samples against every group of weight rows.
template <typename T, Simd kLevel, typename Entry>
void fused_chunk_impl(const ChunkArgs<T>& a) {
  using Tl = Tiles<T, kLevel>;
  constexpr bool kF32 = Tl::kF32;
  constexpr int S = Tl::kSamples;
  constexpr int SP = Tl::kPairSamples;
  constexpr int RW = Tl::kLane64;
  constexpr int L4 = Tl::kLane < 4 ? Tl::kLane : 4;
  constexpr int L8 = Tl::kLane < 8 ? Tl::kLane : 8;
  const Index d = a.d;
  for (Index i = a.i0; i < a.i1; i += a.block) {
    if (a.stop->load(std::memory_order_relaxed)) return;
    if (interrupted()) {  // the calling thread only; a block of a long chunk takes well under a millisecond
      a.stop->store(true, std::memory_order_relaxed);
      return;
    }
    const Index rows = std::min(a.block, a.i1 - i);
    const T* Xb = a.X + i * d;
    const T* Yb = a.Y + i * a.y_cols;
    if (a.check && !Entry::template finite<T>(Xb, rows * d)) {
      *a.bad = 1;
      return;
    }
    for (Index gi = 0; gi < a.ngroups; ++gi) {
      const Group& gr = a.groups[gi];
      const T* wp = a.Wp + gr.woffset;
      double* gt = a.Gt != nullptr ? a.Gt + gr.offset : nullptr;
      const T* yg = Yb + (a.y_cols == 1 ? 0 : gr.b0);
      double* l = a.loss + gr.b0;
      double* lr = a.rloss + gr.b0;
      // float64: the chunk's sums; float32: this block's float sums (pair groups flush their own)
      T* gacc = nullptr;
      const bool plain_float = kF32 && (gr.width == 1 || !Tl::kPairs);
      if (gt != nullptr) {
        if constexpr (kF32) {
          gacc = a.gblk;
          if (plain_float) std::memset(gacc, 0, sizeof(float) * static_cast<std::size_t>(d * gr.width));
        } else {
          gacc = gt;
        }
      }
      if (gr.width == 1) {
        bool done = false;
        // Short rows, plain (d = 1..8 whole registers) or packed (gd's copy for one weight row):
        // short_block, measured 1.1-1.3x faster than single_block at d = 64 and 112.
        if constexpr (Tl::kShortRows)
          if (a.packed || (d % Tl::kLane == 0 && d <= 8 * Tl::kLane)) {
            Entry::template short_rows<T, Tl::kLane, Tl::kRows>(static_cast<int>(d / Tl::kLane), Xb, d, rows,
                                                                yg, a.y_cols, wp, a.modes, l, lr, gacc,
                                                                a.i1 - i - rows);
            done = true;
          }
        // AVX-512, float32, long rows: 8-lane vectors and 4-row groups stream X ~15% faster than 16 x 8
        // (measured at d = 1000, X from DRAM; at d = 100 the 16 x 8 tiles are faster).
        if constexpr (kLevel == Simd::avx512 && kF32)
          if (!done && d >= 512) {
            Entry::template single<T, 8, 4>(Xb, d, rows, yg, a.y_cols, wp, a.modes, l, lr, gacc,
                                            a.i1 - i - rows);
            done = true;
          }
        if (!done)
          Entry::template single<T, Tl::kLane, Tl::kRows>(Xb, d, rows, yg, a.y_cols, wp, a.modes, l, lr, gacc,
                                                          a.i1 - i - rows);
      } else if constexpr (Tl::kPairs) {
        if (gr.width == 8)
          Entry::template pairs<8, SP, (RW < 8 ? RW : 8)>(Xb, d, rows, yg, a.y_cols, gr.nb, wp, a.modes, l,
                                                          lr, a.scratch, a.gblk, gt);
        else if constexpr (kLevel == Simd::avx512)
          Entry::template pairs<16, SP, RW>(Xb, d, rows, yg, a.y_cols, gr.nb, wp, a.modes, l, lr, a.scratch,
                                            a.gblk, gt);
      } else {
        constexpr int R4 = RW < 4 ? RW : 4;
        constexpr int R8 = RW < 8 ? RW : 8;
        if (gr.width == 4)
          Entry::template lanes<T, 4, L4, S, R4>(Xb, d, rows, yg, a.y_cols, gr.nb, wp, a.modes, l, lr,
                                                 a.scratch, gacc);
        else if (gr.width == 8)
          Entry::template lanes<T, 8, L8, S, R8>(Xb, d, rows, yg, a.y_cols, gr.nb, wp, a.modes, l, lr,
                                                 a.scratch, gacc);
        else if constexpr (kLevel == Simd::avx512)
          Entry::template lanes<T, 16, Tl::kLane, S, RW>(Xb, d, rows, yg, a.y_cols, gr.nb, wp, a.modes, l, lr,
                                                         a.scratch, gacc);
      }
      if constexpr (kF32)
        if (gt != nullptr && plain_float)
          for (Index k = 0; k < d * gr.width; ++k) gt[k] += static_cast<double>(gacc[k]);
    }
  }
}

template <typename T>
void fused_chunk(const ChunkArgs<T>& a) {
  fused_chunk_impl<T, kSimd, Blocks>(a);
}

// Packed layout for one weight row (short_block) at a level with short rows: d not a multiple of the vector
// length L and 1 to 8 whole vectors long, the remainder rounded up so that it fills whole vectors of the
// packed order and a group is a multiple of 64 bytes.
template <typename T, Simd kLevel>
PackedLayout packed_layout_tiles(Index d) {
  using Tl = Tiles<T, kLevel>;
  PackedLayout pl;
  if constexpr (Tl::kShortRows) {
    constexpr Index L = Tl::kLane, Q = Tl::kRows, per = L / Q;
    const Index nv = d / L;
    if (nv < 1 || nv > 8 || d % L == 0) return pl;
    Index dp = d;
    while ((dp - nv * L) % per != 0 || (Q * dp * static_cast<Index>(sizeof(T))) % 64 != 0) ++dp;
    if (dp >= (nv + 1) * L) return pl;  // no room: plain padded rows do as well
    pl.group = Q;
    pl.lanes = L;
    pl.d = dp;
  }
  return pl;
}

template <typename T>
PackedLayout packed_layout_at(Index d, Simd level) {
  (void)level;  // always kSimd: one level per module
  return packed_layout_tiles<T, kSimd>(d);
}

// GEMM kernel: residuals and masks of a rows x B block of Z (row-major) in place, 4 weight rows per vector;
// each loss sum runs over the samples in order.
template <typename T>
CONVEXIFY_VEC_INLINE vec::Vec<double, 4> load_double4(const T* p) {
  return __builtin_convertvector(vec::load<vec::Vec<T, 4>>(p), vec::Vec<double, 4>);
}

template <typename T>
CONVEXIFY_VEC_INLINE void residual_block_impl(T* Z, Index rows, Index B, const T* Y, Index y_cols,
                                              bool relaxed, bool strict, double* loss, double* rloss) {
  using V = vec::Vec<double, 4>;
  const Modes modes{relaxed, strict};
  const Index B4 = B / 4 * 4;
  for (Index s = 0; s < rows; ++s) {
    T* zs = Z + s * B;
    const T* ys = Y + s * y_cols;
    Index b = 0;
    for (; b < B4; b += 4) {
      V y;
      if (y_cols == 1)  // branches, not ?: between whole vectors (see blocks::residual)
        y = vec::splat<V>(static_cast<double>(ys[0]));
      else
        y = load_double4(ys + b);
      V ls = vec::load<V>(loss + b), rs = vec::load<V>(rloss + b);
      const V m = blocks::residual<4>(load_double4(zs + b), y, modes, ls, rs);
      vec::store<V>(loss + b, ls);
      vec::store<V>(rloss + b, rs);
      vec::store<vec::Vec<T, 4>>(zs + b, __builtin_convertvector(m, vec::Vec<T, 4>));
    }
    for (; b < B; ++b) {
      vec::Vec<double, 2> z = {static_cast<double>(zs[b]), 0.0}, ls = {}, rs = {};
      vec::Vec<double, 2> y = {static_cast<double>(y_cols == 1 ? ys[0] : ys[b]), 0.0};
      zs[b] = static_cast<T>(blocks::residual<2>(z, y, modes, ls, rs)[0]);
      loss[b] += ls[0];
      rloss[b] += rs[0];
    }
  }
}

void residual_block(double* Z, Index rows, Index B, const double* Y, Index y_cols, bool relaxed, bool strict,
                    double* loss, double* rloss) {
  residual_block_impl<double>(Z, rows, B, Y, y_cols, relaxed, strict, loss, rloss);
}

void residual_block(float* Z, Index rows, Index B, const float* Y, Index y_cols, bool relaxed, bool strict,
                    double* loss, double* rloss) {
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
    check_now_ = p_.check_name != nullptr && !checked_;
    if (check_now_) bad_.assign(static_cast<std::size_t>(ch_.count), 0);
    prepare(W);
    const bool want_g = out.G != nullptr;
    std::fill(losses_.begin(), losses_.end(), 0.0);
    if (want_g) std::fill(partial_.begin(), partial_.end(), 0.0);
    const long long work = static_cast<long long>(p_.n) * p_.d * B_;
    const int nt = static_cast<int>(std::min<long long>(threads_for(work, 4000000), ch_.count));
    const bool relaxed = objective == Objective::relaxed;
    // Ctrl-C: the calling thread polls between its chunks; every thread skips the chunks left once it is seen
    // (one evaluation of large data may take seconds).  The partial sums are then incomplete: throw.
    stop_.store(false);
    std::atomic<bool>& stop = stop_;
#ifdef CONVEXIFY_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (Index c = 0; c < ch_.count; ++c) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (interrupted()) {
        stop.store(true, std::memory_order_relaxed);
        continue;
      }
      const Index i0 = c * ch_.chunk;
      const Index i1 = std::min(p_.n, i0 + ch_.chunk);
      double* gpart = want_g ? partial_.data() + c * partial_size_ : nullptr;
      double* l = losses_.data() + c * 2 * B_;
      run_chunk(c, i0, i1, relaxed, strict, gpart, l, l + B_);
    }
    (void)nt;
    throw_if_interrupted();
    if (check_now_) {
      require(std::find(bad_.begin(), bad_.end(), 1) == bad_.end(),
              std::string(p_.check_name) + " contains NaN or Inf");
      checked_ = true;
    }
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
  bool check_now_ = false;  // this evaluation checks X (the first one, when p_.check_name is set)
  bool checked_ = false;
  std::vector<char> bad_;          // per chunk: X had NaN/Inf
  std::atomic<bool> stop_{false};  // Ctrl-C seen during this evaluation
};

template <typename T>
class FusedKernel final : public ChunkedKernel<T> {
  using Base = ChunkedKernel<T>;

 public:
  FusedKernel(const Problem<T>& p, Index B, Simd level)
      : Base(p, B, packed_size(B, p.d, kFloat, level)),
        level_(level),
        groups_(make_groups(B, p.d, kFloat, level)) {
    if (p.packed) {
      const PackedLayout pl = packed_layout_at<T>(p.d, level);
      require(B == 1 && pl.group > 0 && pl.d == p.d, "relu kernel: packed X needs B = 1 and its SIMD level");
    }
    Index packed = 0;
    for (const Group& g : groups_) packed += packed_weights(p.d, g.width, kFloat, level);
    Wp_.assign(static_cast<std::size_t>(packed), T(0));
    scratch_.assign(static_cast<std::size_t>(this->ch_.count * this->ch_.block * kMaxGroup), 0.0);
    if (kFloat)
      gblk_.assign(static_cast<std::size_t>(this->ch_.count * blocks::pair_rows(p.d) * 2 * kMaxGroup), 0.0f);
  }
  const char* name() const override { return "fused"; }

 protected:
  static constexpr bool kFloat = std::is_same_v<T, float>;
  static constexpr Index kMaxGroup = 16;
  void prepare(const double* W) override {
    const Index d = this->p_.d;
    for (const Group& g : groups_) {
      T* wp = Wp_.data() + g.woffset;
      const int w = g.width, h = w / 2;
      for (int j = 0; j < w; ++j) {
        const double* row = j < g.nb ? W + (g.b0 + j) * d : nullptr;
        if (kFloat && w > 1 && level_ != Simd::generic) {  // pair layout (relu_blocks.hpp); the odd lanes of
                                                           // an odd d's last pair stay 0
          T* dst = wp + (j / h) * w + 2 * (j % h);
          for (Index k = 0; k < d; ++k) dst[(k / 2) * 2 * w + (k % 2)] = row ? static_cast<T>(row[k]) : T(0);
        } else {
          for (Index k = 0; k < d; ++k) wp[k * w + j] = row ? static_cast<T>(row[k]) : T(0);
        }
      }
    }
  }
  void run_chunk(Index c, Index i0, Index i1, bool relaxed, bool strict, double* gpart, double* loss,
                 double* rloss) override {
    const Problem<T>& p = this->p_;
    ChunkArgs<T> args{p.X,
                      p.d,
                      p.Y,
                      p.y_cols,
                      i0,
                      i1,
                      this->ch_.block,
                      groups_.data(),
                      static_cast<Index>(groups_.size()),
                      Wp_.data(),
                      gpart,
                      Modes{relaxed, strict},
                      loss,
                      rloss,
                      scratch_.data() + c * this->ch_.block * kMaxGroup,
                      gblk_.empty() ? nullptr : gblk_.data() + c * blocks::pair_rows(p.d) * 2 * kMaxGroup,
                      this->check_now_,
                      this->bad_.empty() ? nullptr : this->bad_.data() + c,
                      p.packed,
                      &this->stop_};
    fused_chunk<T>(args);
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
  Simd level_;
  std::vector<Group> groups_;
  std::vector<T> Wp_;
  std::vector<double> scratch_;
  std::vector<float> gblk_;
};

template <typename T>
class GemmKernel final : public ChunkedKernel<T> {
  using Base = ChunkedKernel<T>;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using DMap = Eigen::Map<const Mat>;

 public:
  GemmKernel(const Problem<T>& p, Index B) : Base(p, B, B * p.d), W_(B, p.d) {
    require(!p.packed, "relu kernel: the gemm kernel reads plain rows only");
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
    if (this->check_now_ && !all_finite(p.X + i0 * p.d, rows * p.d)) {
      this->bad_[static_cast<std::size_t>(c)] = 1;
      return;
    }
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

// The up-front check (newton, lambda_max): the block kernels' routine, 32-byte vectors at every level (wider
// ones measured no faster when this was an AVX-512 target clone).
bool all_finite_of(const double* a, Index size) {
  return vec::all_finite<double, 4>(a, size);
}
bool all_finite_of(const float* a, Index size) {
  return vec::all_finite<float, 8>(a, size);
}

}  // namespace

template <typename T>
bool all_finite(const T* a, Index size) {
  return all_finite_of(a, size);
}

template <typename T>
PackedLayout packed_layout(Index d) {
  return packed_layout_at<T>(d, simd_level());
}

template PackedLayout packed_layout<double>(Index);
template PackedLayout packed_layout<float>(Index);

template bool all_finite(const double*, Index);
template bool all_finite(const float*, Index);

template <typename T>
std::unique_ptr<GradientKernel<T>> make_cpu_kernel(const Problem<T>& problem, Index B, KernelChoice choice) {
  // Measured on one core (AMD EPYC with AVX-512, portable build, SciPy's OpenBLAS using AVX2), per GD
  // iteration, fused vs BLAS GEMM pair:
  // - AVX-512 level: the fused kernel wins at every measured size and B, in both dtypes, by 1.5-2.7x
  //   ((1e4, 100), B = 256: float32 5.7 vs 11.2 ms, float64 10.3 vs 23.6 ms; (1e5, 1000), B = 256: float32
  //   0.93 vs 1.47 s, float64 1.49 vs 2.90 s).
  // - AVX2 level: even in float64 (B = 256: 23.1 vs 22.6 ms at (1e4, 100)), while in float32 the GEMM pair
  //   wins from B = 64 on ((3e4, 1000), B = 256: 546 vs 432 ms), so float32 with B >= 64 takes the GEMM pair
  //   there.  float64 stays fused: a weight row then gets the same numbers alone or in any batch.
  const Simd level = simd_level();
  if (choice == KernelChoice::automatic)
    choice =
        problem.gemm != nullptr && may_choose_gemm<T>(B, choice) ? KernelChoice::gemm : KernelChoice::fused;
  if (choice == KernelChoice::fused) return std::make_unique<FusedKernel<T>>(problem, B, level);
  return std::make_unique<GemmKernel<T>>(problem, B);
}

template <typename T>
bool may_choose_gemm(Index B, KernelChoice choice) {
  if (choice != KernelChoice::automatic) return choice == KernelChoice::gemm;
  return std::is_same_v<T, float> && B >= 64 && simd_level() != Simd::avx512;  // see make_cpu_kernel
}

template bool may_choose_gemm<double>(Index, KernelChoice);
template bool may_choose_gemm<float>(Index, KernelChoice);

template std::unique_ptr<GradientKernel<double>> make_cpu_kernel(const Problem<double>&, Index, KernelChoice);
template std::unique_ptr<GradientKernel<float>> make_cpu_kernel(const Problem<float>&, Index, KernelChoice);

}  // namespace convexify::relu
