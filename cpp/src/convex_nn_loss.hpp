// The losses of lens 5 on the user's scale, L(z) = (1/n) sum_j l(z_j, y_j): value, gradient, the negated
// conjugate -L*(nu) that the dual points are scored with, the proximal map used by ADMM and the curvature used
// by Newton (docs/convex_nn.md#losses); and the proximal map of the group penalty.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "convexify/convex_nn.hpp"

namespace convexify::convex_nn {

using Vec = Vector<double>;
using VecRef = Eigen::Ref<const Vec>;

inline double loss_value(const LossSpec& loss, const VecRef& y, const VecRef& z) {
  const double n = double(z.size());
  if (loss.kind == Loss::squared) return 0.5 * (z - y).squaredNorm() / n;
  double s = 0;
  if (loss.kind == Loss::huber) {
    const double dl = loss.huber_delta;
    for (Eigen::Index j = 0; j < z.size(); ++j) {
      const double r = std::abs(z[j] - y[j]);
      s += r <= dl ? 0.5 * r * r : dl * (r - 0.5 * dl);
    }
    return s / n;
  }
  if (loss.kind == Loss::squared_hinge) {
    for (Eigen::Index j = 0; j < z.size(); ++j) {
      const double h = std::max(0.0, 1.0 - y[j] * z[j]);
      s += 0.5 * h * h;
    }
    return s / n;
  }
  for (Eigen::Index j = 0; j < z.size(); ++j) {
    const double m = -y[j] * z[j];
    s += m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m));
  }
  return s / n;
}

inline Vec loss_grad(const LossSpec& loss, const VecRef& y, const VecRef& z) {
  const double n = double(z.size());
  if (loss.kind == Loss::squared) return (z - y) / n;
  if (loss.kind == Loss::huber)
    return (z - y).cwiseMax(-loss.huber_delta).cwiseMin(loss.huber_delta) / n;
  Vec g(z.size());
  if (loss.kind == Loss::squared_hinge) {
    for (Eigen::Index j = 0; j < z.size(); ++j) g[j] = -y[j] * std::max(0.0, 1.0 - y[j] * z[j]) / n;
    return g;
  }
  for (Eigen::Index j = 0; j < z.size(); ++j) {
    const double m = -y[j] * z[j];
    const double sig = m >= 0 ? 1.0 / (1.0 + std::exp(-m)) : std::exp(m) / (1.0 + std::exp(m));
    g[j] = -y[j] * sig / n;
  }
  return g;
}

// -L*(nu); -inf outside the conjugate's domain.
inline double loss_neg_conj(const LossSpec& loss, const VecRef& y, const VecRef& nu) {
  const double n = double(nu.size());
  if (loss.kind == Loss::squared) return -nu.dot(y) - 0.5 * n * nu.squaredNorm();
  if (loss.kind == Loss::huber) {
    // h*(t) = t^2 / 2 on |t| <= delta (+inf outside), so -L*(nu) = -nu^T y - (n/2) ||nu||^2 where n |nu_j| <= delta
    if (n * nu.cwiseAbs().maxCoeff() > loss.huber_delta * (1 + 1e-12))
      return -std::numeric_limits<double>::infinity();
    return -nu.dot(y) - 0.5 * n * nu.squaredNorm();
  }
  if (loss.kind == Loss::squared_hinge) {
    // l*(t) = t y + t^2 / 2 for t y <= 0 (+inf otherwise), so -L*(nu) = -nu^T y - (n/2) ||nu||^2 there.
    for (Eigen::Index j = 0; j < nu.size(); ++j)
      if (nu[j] * y[j] > 0) return -std::numeric_limits<double>::infinity();
    return -nu.dot(y) - 0.5 * n * nu.squaredNorm();
  }
  double s = 0;
  for (Eigen::Index j = 0; j < nu.size(); ++j) {
    const double p = std::clamp(-n * nu[j] * y[j], 0.0, 1.0);
    if (p > 0) s += p * std::log(p);
    if (p < 1) s += (1 - p) * std::log1p(-p);
  }
  return -s / n;
}

// argmin_z L(z) + (rho / 2) ||z - c||^2, elementwise.
inline Vec loss_prox(const LossSpec& loss, const VecRef& y, const VecRef& c, double rho) {
  const double n = double(c.size());
  const double a = 1.0 / n;
  if (loss.kind == Loss::squared) return (rho * c + a * y) / (rho + a);
  Vec z(c.size());
  if (loss.kind == Loss::huber) {
    // quadratic branch r = rho r0 / (rho + a) when |r| <= delta, else r = r0 - (a / rho) delta sign(r0)
    const double dl = loss.huber_delta;
    for (Eigen::Index j = 0; j < c.size(); ++j) {
      const double r0 = c[j] - y[j], r = rho * r0 / (rho + a);
      z[j] = y[j] + (std::abs(r) <= dl ? r : r0 - (a / rho) * dl * (r0 > 0 ? 1.0 : -1.0));
    }
    return z;
  }
  if (loss.kind == Loss::squared_hinge) {
    // the quadratic branch (1 - y z > 0) solves (a + rho) z = rho c + a y; it holds exactly when y c < 1
    for (Eigen::Index j = 0; j < c.size(); ++j)
      z[j] = y[j] * c[j] >= 1.0 ? c[j] : (rho * c[j] + a * y[j]) / (rho + a);
    return z;
  }
  // logistic: z lies between c and c + y a / rho (the gradient of the loss has magnitude < a); safeguarded
  // Newton on -y a sigma(-y z) + rho (z - c) = 0 inside that bracket.
  for (Eigen::Index j = 0; j < c.size(); ++j) {
    double lo = std::min(c[j], c[j] + y[j] * a / rho), hi = std::max(c[j], c[j] + y[j] * a / rho);
    double x = c[j];
    for (int it = 0; it < 60; ++it) {
      const double m = -y[j] * x;
      const double sig = m >= 0 ? 1.0 / (1.0 + std::exp(-m)) : std::exp(m) / (1.0 + std::exp(m));
      const double f = -y[j] * a * sig + rho * (x - c[j]);
      if (f > 0) hi = x; else lo = x;
      const double fp = a * sig * (1.0 - sig) + rho;
      double xn = x - f / fp;
      if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
      if (std::abs(xn - x) <= 1e-15 * std::max(1.0, std::abs(x))) {
        x = xn;
        break;
      }
      x = xn;
    }
    z[j] = x;
  }
  return z;
}

// The per-sample second derivative of L: 1/n squared, 1[|z - y| <= delta] / n Huber, 1[y z < 1] / n squared
// hinge (generalised Hessians), sigma (1 - sigma) / n logistic.
inline Vec loss_curvature(const LossSpec& loss, const VecRef& y, const VecRef& z) {
  const double n = double(z.size());
  Vec w(z.size());
  for (Eigen::Index j = 0; j < z.size(); ++j) {
    if (loss.kind == Loss::squared) {
      w[j] = 1.0 / n;
    } else if (loss.kind == Loss::huber) {
      w[j] = std::abs(z[j] - y[j]) <= loss.huber_delta ? 1.0 / n : 0.0;
    } else if (loss.kind == Loss::squared_hinge) {
      w[j] = y[j] * z[j] < 1.0 ? 1.0 / n : 0.0;
    } else {
      const double m = -y[j] * z[j];
      const double sig = m >= 0 ? 1.0 / (1.0 + std::exp(-m)) : std::exp(m) / (1.0 + std::exp(m));
      w[j] = sig * (1.0 - sig) / n;
    }
  }
  return w;
}

// argmin_V t sum_i ||v_i|| + (1/2) ||V - U||_F^2 over the rows: group soft-thresholding, in place.
inline void group_shrink(RowMatrix<double>& U, double t) {
  for (Eigen::Index i = 0; i < U.rows(); ++i) {
    const double nr = U.row(i).norm();
    if (nr <= t)
      U.row(i).setZero();
    else
      U.row(i) *= (1.0 - t / nr);
  }
}

}  // namespace convexify::convex_nn
