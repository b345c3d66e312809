// Losses and gradients (see docs/relu.md#losses) and the power-iteration estimate of lambda_max(X^T X)
// (see docs/relu.md#gd).
#include <algorithm>
#include <cmath>

#include "convexify/interrupt.hpp"
#include "convexify/relu.hpp"

namespace convexify::relu {

template <typename T>
LossesResult<T> evaluate(const Problem<T>& p, const RowMatrix<double>& W, bool want_gradient, bool relaxed,
                         bool strict) {
  require(W.cols() == p.d, "W must have d columns");
  require_finite(W, "w");
  const Index B = W.rows();
  LossesResult<T> out;
  out.loss.resize(B);
  out.relaxed_loss.resize(B);
  if (want_gradient) out.gradient.resize(B, p.d);
  auto kernel = make_cpu_kernel(p, B, KernelChoice::automatic);
  Evaluation ev;
  ev.loss = out.loss.data();
  ev.relaxed_loss = out.relaxed_loss.data();
  ev.G = want_gradient ? out.gradient.data() : nullptr;
  kernel->evaluate(W.data(), relaxed ? Objective::relaxed : Objective::vanilla, strict, ev);
  if (want_gradient) out.gradient *= 2.0;
  return out;
}

template <typename T>
ScaledLambda power_lambda_max(const T* X, Index n, Index d, long long iters) {
  require(n >= 1 && d >= 1, "X must be non-empty");
  require(iters >= 1, "iters must be >= 1");
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const Mat> Xm(X, n, d);
  require_finite(Xm, "X");
  ScaledLambda out;
  const double amax = static_cast<double>(Xm.cwiseAbs().maxCoeff());
  if (amax == 0.0) return out;
  // Iterate on X / 2^e (exact for every normal entry), 1 <= max|X / 2^e| < 2: no product overflows or
  // underflows, whatever the scale of X (the dnrm2 idea; docs/relu.md#scales).
  out.exponent = std::ilogb(amax);
  const double c = std::ldexp(1.0, -out.exponent);
  // Deterministic start with no special alignment to coordinate axes or the all-ones vector.
  Vector<double> v(d);
  unsigned long long state = 0x9E3779B97F4A7C15ULL;
  for (Index k = 0; k < d; ++k) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v[k] = static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5;
  }
  v /= v.norm();
  Vector<double> w(d), row(d);
  constexpr Index kPollRows =
      4096;  // Ctrl-C: polled every few thousand rows (a pass over X may take seconds)
  for (long long it = 0; it < iters; ++it) {
    w.setZero();
    for (Index i0 = 0; i0 < n; i0 += kPollRows) {
      if (interrupted()) break;
      const Index i1 = std::min(n, i0 + kPollRows);
      for (Index i = i0; i < i1; ++i) {
        row = Xm.row(i).template cast<double>().transpose() * c;
        w += row.dot(v) * row;
      }
    }
    throw_if_interrupted();
    const double nw = w.norm();
    if (!(nw > 0.0)) {  // v in the null space of X (only by accident: X != 0)
      out.lambda = 0.0;
      return out;
    }
    out.lambda = nw;  // ||X'^T X' v|| with ||v|| = 1, X' = X / 2^e
    v = w / nw;
  }
  return out;
}

template LossesResult<double> evaluate(const Problem<double>&, const RowMatrix<double>&, bool, bool, bool);
template LossesResult<float> evaluate(const Problem<float>&, const RowMatrix<double>&, bool, bool, bool);
template ScaledLambda power_lambda_max(const double*, Index, Index, long long);
template ScaledLambda power_lambda_max(const float*, Index, Index, long long);

}  // namespace convexify::relu
