// Semismooth Newton for the convex relaxed loss L_r with its certificates; see docs/relu.md#newton and
// docs/relu.md#guards.
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "convexify/interrupt.hpp"
#include "convexify/relu.hpp"

namespace convexify::relu {
namespace {

double relaxed_loss_of(const Vector<double>& z, const Vector<double>& y) {
  double s = 0.0;
  for (Index i = 0; i < z.size(); ++i)
    s += z[i] >= 0.0 ? (z[i] - y[i]) * (z[i] - y[i]) : y[i] * y[i] - 2.0 * z[i] * y[i];
  return s;
}

}  // namespace

NewtonResult newton(Eigen::Ref<const RowMatrix<double>> X, const Vector<double>& y, const Vector<double>& w0,
                    const NewtonOptions& o) {
  const Index n = X.rows(), d = X.cols();
  require(n >= 1 && d >= 1, "X must be non-empty");
  require(y.size() == n, "y must have n entries");
  require(w0.size() == d, "w0 must have d entries");
  require_finite(X, "X");
  require_finite(y, "y");
  require_finite(w0, "w0");
  require_positive(o.tol, "tol");
  require(o.max_iter >= 0, "max_iter must be >= 0");

  const Vector<double> Xty = X.transpose() * y;
  // Relative to the data (scale-free; docs/relu.md#scales): the shift is a 1e-12 fraction of the mean
  // eigenvalue of X^T X, the threshold a tol fraction of ||g(0)|| = ||X^T y||.  The smallest positive
  // doubles keep both > 0 for X = 0 or X^T y = 0 (then g = 0 at w = 0).
  const double eps_r =
      std::max(1e-12 * X.squaredNorm() / static_cast<double>(d), std::numeric_limits<double>::denorm_min());
  NewtonResult r;
  r.tolerance = std::max(o.tol * Xty.norm(), std::numeric_limits<double>::denorm_min());
  Vector<double> w = w0;
  Vector<double> z = X * w;
  Vector<double> g(d), step(d), wt(d), zt(n);
  constexpr Index kPanel = 2048;  // rows of X_A per rank update (Ctrl-C is polled between panels)
  RowMatrix<double> XA(std::min(n, kPanel), d);
  std::vector<double> history;
  r.status = "max_iter";
  for (long long it = 0;; ++it) {
    if (interrupted()) break;
    g = X.transpose() * (z.cwiseMax(0.0) - y);
    const double gn = g.norm();
    history.push_back(gn);
    r.iterations = it;
    if (!std::isfinite(gn)) {
      r.status = "diverged";
      break;
    }
    if (gn <= r.tolerance) {
      r.converged = true;
      r.status = "converged";
      break;
    }
    if (it >= o.max_iter) break;
    // Active set: z > 0, plus ties z = 0 whose label wants the unit on.
    // H = eps I + X_A^T X_A, by panels of active rows.
    Eigen::MatrixXd H = Eigen::MatrixXd::Identity(d, d) * eps_r;
    for (Index i = 0; i < n;) {
      if (interrupted()) break;
      Index a = 0;
      for (; i < n && a < kPanel; ++i)
        if (z[i] > 0.0 || (z[i] == 0.0 && y[i] > 0.0)) XA.row(a++) = X.row(i);
      if (a > 0) H.selfadjointView<Eigen::Lower>().rankUpdate(XA.topRows(a).transpose());
    }
    if (interrupted()) break;
    step = -H.selfadjointView<Eigen::Lower>().ldlt().solve(g);
    // Armijo on L_r (its gradient is 2 g).
    const double f0 = relaxed_loss_of(z, y);
    const double slope = 2.0 * g.dot(step);
    bool accepted = false;
    for (double s = 1.0; s >= 1e-10; s *= 0.5) {
      if (interrupted()) break;
      wt = w + s * step;
      zt = X * wt;
      if (relaxed_loss_of(zt, y) <= f0 + 1e-4 * s * slope) {
        accepted = true;
        break;
      }
    }
    if (interrupted()) break;
    if (!accepted) {
      r.status = "line_search_failed";
      break;
    }
    w = wt;
    z = zt;
  }
  throw_if_interrupted();
  r.w = w;
  r.history = Eigen::Map<const Vector<double>>(history.data(), static_cast<Index>(history.size()));
  r.gradient_norm = history.back();
  r.relaxed_loss = relaxed_loss_of(z, y);
  const Vector<double> p = z.cwiseMax(0.0);
  r.loss = (p - y).squaredNorm();
  r.dual_bound = y.squaredNorm() - p.squaredNorm();
  r.duality_gap = 2.0 * w.dot(g);
  return r;
}

}  // namespace convexify::relu
