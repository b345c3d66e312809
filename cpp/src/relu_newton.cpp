// Semismooth Newton for the convex relaxed loss L_r with its certificates; see docs/relu.md#newton and
// docs/relu.md#guards.
#include <Eigen/Cholesky>
#include <cmath>
#include <vector>

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

NewtonResult newton(const RowMatrix<double>& X, const Vector<double>& y, const Vector<double>& w0,
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
  const double eps_r = 1e-12 * std::max(1.0, X.squaredNorm() / static_cast<double>(d));
  NewtonResult r;
  r.tolerance = o.tol * std::max(1.0, Xty.norm());
  Vector<double> w = w0;
  Vector<double> z = X * w;
  Vector<double> g(d), step(d), wt(d), zt(n);
  RowMatrix<double> XA;
  std::vector<double> history;
  r.status = "max_iter";
  for (long long it = 0;; ++it) {
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
    Index nA = 0;
    for (Index i = 0; i < n; ++i) nA += (z[i] > 0.0 || (z[i] == 0.0 && y[i] > 0.0)) ? 1 : 0;
    XA.resize(nA, d);
    for (Index i = 0, a = 0; i < n; ++i)
      if (z[i] > 0.0 || (z[i] == 0.0 && y[i] > 0.0)) XA.row(a++) = X.row(i);
    Eigen::MatrixXd H = Eigen::MatrixXd::Identity(d, d) * eps_r;
    H.selfadjointView<Eigen::Lower>().rankUpdate(XA.transpose());
    step = -H.selfadjointView<Eigen::Lower>().ldlt().solve(g);
    // Armijo on L_r (its gradient is 2 g).
    const double f0 = relaxed_loss_of(z, y);
    const double slope = 2.0 * g.dot(step);
    bool accepted = false;
    for (double s = 1.0; s >= 1e-10; s *= 0.5) {
      wt = w + s * step;
      zt = X * wt;
      if (relaxed_loss_of(zt, y) <= f0 + 1e-4 * s * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      r.status = "line_search_failed";
      break;
    }
    w = wt;
    z = zt;
  }
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
