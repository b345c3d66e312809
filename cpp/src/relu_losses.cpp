// Losses and gradients (see docs/relu.md#losses) and the power-iteration estimate of lambda_max(X^T X)
// (see docs/relu.md#gd).
#include <cmath>

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
double power_lambda_max(const T* X, Index n, Index d, int iters) {
  require(n >= 1 && d >= 1, "X must be non-empty");
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const Mat> Xm(X, n, d);
  require_finite(Xm, "X");
  // Deterministic start with no special alignment to coordinate axes or the all-ones vector.
  Vector<double> v(d);
  unsigned long long state = 0x9E3779B97F4A7C15ULL;
  for (Index k = 0; k < d; ++k) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v[k] = static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5;
  }
  v /= v.norm();
  Vector<double> u(n), w(d);
  double lambda = 0.0;
  for (int it = 0; it < iters; ++it) {
    u.setZero();
    for (Index i = 0; i < n; ++i) u[i] = Xm.row(i).template cast<double>().dot(v);
    w.setZero();
    for (Index i = 0; i < n; ++i) w += u[i] * Xm.row(i).template cast<double>().transpose();
    const double nw = w.norm();
    if (!(nw > 0.0)) return 0.0;
    lambda = nw;  // ||X^T X v|| with ||v|| = 1
    v = w / nw;
  }
  return lambda;
}

template LossesResult<double> evaluate(const Problem<double>&, const RowMatrix<double>&, bool, bool, bool);
template LossesResult<float> evaluate(const Problem<float>&, const RowMatrix<double>&, bool, bool, bool);
template double power_lambda_max(const double*, Index, Index, int);
template double power_lambda_max(const float*, Index, Index, int);

}  // namespace convexify::relu
