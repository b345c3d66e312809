// Batched full-batch gradient descent on L or L_r (see docs/relu.md#gd): B independent runs sharing X.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include "convexify/interrupt.hpp"
#include "convexify/relu.hpp"

namespace convexify::relu {

namespace {

// For one weight row on data of at most 64 MB, gd runs on a 64-byte aligned copy of X (see
// docs/relu.md#performance).  The lone-row kernel loads whole vectors, and a load that straddles two cache
// lines costs two: on float64 rows 16 bytes off alignment (as numpy's usually are) it measured ~1.3x slower
// at d = 100.  Two layouts:
// - packed (packed_layout: rows of 1 to 8 whole vectors and a remainder, AVX2 / AVX-512): groups of samples
//   as short_block reads them, so no row is padded to a whole vector (float32, d = 100: 400 bytes a row
//   instead of 448, measured ~8% faster);
// - otherwise every row zero-padded to a multiple of 64 bytes.
// Zero columns leave z and the losses unchanged (they add exact zeros) and their gradient entries are
// dropped.  Larger X is used in place: a copy would double its memory, and reading it from DRAM is the
// limit there anyway.
template <typename T>
class LoneRowCopy {
 public:
  static constexpr std::size_t kAlign = 64;
  static bool worthwhile(const Problem<T>& p, Index B, KernelChoice k) {
    const bool aligned =
        reinterpret_cast<std::uintptr_t>(p.X) % kAlign == 0 && (p.d * sizeof(T)) % kAlign == 0;
    return B == 1 && k != KernelChoice::gemm && !aligned &&
           static_cast<double>(p.n) * padded_width(p.d) * sizeof(T) <= 64.0 * 1024 * 1024;
  }
  explicit LoneRowCopy(const Problem<T>& p) : layout_(packed_layout<T>(p.d)) {
    dp_ = layout_.group > 0 ? layout_.d : padded_width(p.d);
    data_.reset(static_cast<T*>(::operator new[](sizeof(T) * p.n * dp_, std::align_val_t(kAlign))));
    T* out = data_.get();
    const Index q = layout_.group;
    const Index whole = q > 0 ? p.n / q * q : 0;  // samples in packed groups
    if (q > 0) {
      const Index L = layout_.lanes, f = p.d / L * L, per = L / q;
      for (Index g0 = 0; g0 < whole; g0 += q) {
        T* grp = out + g0 * dp_;
        for (Index r = 0; r < q; ++r) std::memcpy(grp + r * f, p.X + (g0 + r) * p.d, sizeof(T) * f);
        for (Index c = 0; c < dp_ - f; ++c)  // remainder column f + c: vector c / per, lanes (c % per) q + r
          for (Index r = 0; r < q; ++r)
            grp[q * f + (c / per) * L + (c % per) * q + r] = f + c < p.d ? p.X[(g0 + r) * p.d + f + c] : T(0);
      }
    }
    for (Index i = whole; i < p.n; ++i) {
      std::memcpy(out + i * dp_, p.X + i * p.d, sizeof(T) * p.d);
      std::fill(out + i * dp_ + p.d, out + (i + 1) * dp_, T(0));
    }
  }
  const T* data() const { return data_.get(); }
  Index width() const { return dp_; }
  bool packed() const { return layout_.group > 0; }

 private:
  static Index padded_width(Index d) {
    const Index per_line = static_cast<Index>(kAlign / sizeof(T));
    return (d + per_line - 1) / per_line * per_line;
  }
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(kAlign)); }
  };
  PackedLayout layout_;
  Index dp_ = 0;
  std::unique_ptr<T[], Free> data_;
};

}  // namespace

template <typename T>
GdResult gd(const Problem<T>& train, const RowMatrix<double>& W0, const GdOptions& o, const Problem<T>* test,
            const RowMatrix<double>& w_star) {
  const Index B = W0.rows();
  const Index d = train.d;
  require(B >= 1, "W0 must have at least one row");
  require(W0.cols() == d, "W0 must have d columns");
  require_finite(W0, "W0");
  require_positive(o.step, "step");
  require(o.iters >= 0, "iters must be >= 0");
  require(o.record_every >= 1, "record_every must be >= 1");
  require(o.blowup > 1.0, "blowup must be > 1");
  const bool have_star = w_star.size() > 0;
  if (have_star) {
    require(w_star.cols() == d && (w_star.rows() == 1 || w_star.rows() == B),
            "w_star must be (d,) or (B, d)");
    require_finite(w_star, "w_star");
  }
  if (test) require(test->d == d, "X_test must have d columns");

  std::unique_ptr<LoneRowCopy<T>> copy;
  Problem<T> work = train;
  if (LoneRowCopy<T>::worthwhile(train, B, o.kernel)) {
    copy = std::make_unique<LoneRowCopy<T>>(train);
    work.X = copy->data();
    work.d = copy->width();
    work.packed = copy->packed();
  }
  const Index dk = work.d;  // the kernel's row length (d, or d padded)
  auto kernel = make_cpu_kernel(work, B, o.kernel);
  std::unique_ptr<GradientKernel<T>> test_kernel;
  if (test) test_kernel = make_cpu_kernel(*test, B, o.kernel);

  const Index T_rec = static_cast<Index>(o.iters / o.record_every + 1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  GdResult r;
  r.kernel = kernel->name();
  r.W = W0;
  r.train_loss = RowMatrix<double>::Constant(T_rec, B, nan);
  if (test) r.test_loss = RowMatrix<double>::Constant(T_rec, B, nan);
  if (have_star) r.recovery_error = RowMatrix<double>::Constant(T_rec, B, nan);
  r.diverged = Vector<bool>::Constant(B, false);
  r.diverged_at = Vector<std::int64_t>::Constant(B, -1);
  r.iterations.resize(T_rec);
  for (Index j = 0; j < T_rec; ++j) r.iterations[j] = static_cast<std::int64_t>(j) * o.record_every;

  // Scale for the blow-up test: max(L(W0), ||y_b||^2).
  Vector<double> ynorm2 = Vector<double>::Zero(B);
  for (Index i = 0; i < train.n; ++i)
    for (Index b = 0; b < B; ++b) {
      const double y = static_cast<double>(train.Y[i * train.y_cols + (train.y_cols == 1 ? 0 : b)]);
      ynorm2[b] += y * y;
    }
  Vector<double> star_norm;
  if (have_star) star_norm = w_star.rowwise().norm();

  RowMatrix<double> G(B, dk), W_prev(B, d);
  RowMatrix<double> Wk = RowMatrix<double>::Zero(B, dk);  // W padded with zero columns (when dk > d)
  Vector<double> loss(B), test_loss(B), scale(B);
  const Objective obj = o.relaxed ? Objective::relaxed : Objective::vanilla;
  const double factor = 2.0 * o.step;  // grad = 2 G
  Index active = B;
  for (long long t = 0; t <= o.iters; ++t) {
    if (interrupted()) break;  // Ctrl-C: polled per iteration (and per chunk of samples by the kernel)
    const bool record = t % o.record_every == 0;
    const bool update = t < o.iters;
    if (!update && !record) {  // the last iterate is not recorded: only check that it is finite
      for (Index b = 0; b < B; ++b)
        if (!r.diverged[b] && !r.W.row(b).allFinite()) {
          r.diverged[b] = true;
          r.diverged_at[b] = t;
          r.W.row(b) = W_prev.row(b);
        }
      break;
    }
    Evaluation ev;
    ev.loss = loss.data();
    ev.G = update ? G.data() : nullptr;
    if (dk != d) Wk.leftCols(d) = r.W;
    kernel->evaluate(dk != d ? Wk.data() : r.W.data(), obj, o.strict, ev);
    if (t == 0)
      for (Index b = 0; b < B; ++b) scale[b] = std::max({loss[b], ynorm2[b], 1e-300});
    for (Index b = 0; b < B; ++b) {
      if (r.diverged[b]) continue;
      if (!std::isfinite(loss[b]) || loss[b] > o.blowup * scale[b] || !r.W.row(b).allFinite()) {
        r.diverged[b] = true;
        r.diverged_at[b] = t;
        if (t > 0) r.W.row(b) = W_prev.row(b);
        --active;
      }
    }
    if (record) {
      const Index j = static_cast<Index>(t / o.record_every);
      if (test_kernel) {
        Evaluation tv;
        tv.loss = test_loss.data();
        test_kernel->evaluate(r.W.data(), Objective::vanilla, o.strict, tv);
      }
      for (Index b = 0; b < B; ++b) {
        if (r.diverged[b]) continue;
        r.train_loss(j, b) = loss[b] / static_cast<double>(train.n);
        if (test_kernel) (*r.test_loss)(j, b) = test_loss[b] / static_cast<double>(test->n);
        if (have_star) {
          const Index s = w_star.rows() == 1 ? 0 : b;
          (*r.recovery_error)(j, b) = (r.W.row(b) - w_star.row(s)).norm() / star_norm[s];
        }
      }
    }
    if (!update || active == 0) break;
    W_prev = r.W;
    for (Index b = 0; b < B; ++b)
      if (!r.diverged[b]) r.W.row(b) -= factor * G.row(b).head(d);
  }
  throw_if_interrupted();
  return r;
}

template GdResult gd(const Problem<double>&, const RowMatrix<double>&, const GdOptions&,
                     const Problem<double>*, const RowMatrix<double>&);
template GdResult gd(const Problem<float>&, const RowMatrix<double>&, const GdOptions&, const Problem<float>*,
                     const RowMatrix<double>&);

}  // namespace convexify::relu
