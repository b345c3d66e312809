// Forward pass, tau-hinge / squared tau-hinge loss and gradient of a multi-branch network (SPEC 5.1).
#include <cmath>
#include <string>

#include "convexify/branches.hpp"

namespace convexify::branches {

Loss loss_from_int(int kind) {
  require(kind == 0 || kind == 1, "loss must be 0 (tau-hinge) or 1 (squared tau-hinge), got " + std::to_string(kind));
  return static_cast<Loss>(kind);
}

void check_data(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  require(y.size() == Xt.cols(), "y must have one label per row of X: X has " + std::to_string(Xt.cols()) +
                                     " rows, y has " + std::to_string(y.size()));
  for (Eigen::Index j = 0; j < y.size(); ++j)
    require(y[j] == 1.0 || y[j] == -1.0, "y must contain labels in {-1, +1}, got y[" + std::to_string(j) +
                                             "] = " + std::to_string(y[j]));
}

void check_params(const Eigen::Ref<const RowMatrix<double>>& U, const Eigen::Ref<const Vector<double>>& a,
                  Eigen::Index d, int n_branches, const char* name_U, const char* name_a) {
  require(n_branches >= 1, "n_branches must be >= 1, got " + std::to_string(n_branches));
  require_nonempty(U, name_U);
  require_shape(U.rows(), U.cols(), U.rows(), d, name_U);
  require_shape(a.rows(), a.cols(), U.rows(), 1, name_a);
  require(U.rows() % n_branches == 0, std::string(name_U) + " has " + std::to_string(U.rows()) +
                                          " units, not a multiple of n_branches = " + std::to_string(n_branches));
  require_finite(U, name_U);
  require_finite(a, name_a);
}

Vector<double> forward(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const RowMatrix<double>>& U,
                       const Eigen::Ref<const Vector<double>>& a, int n_branches) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  check_params(U, a, Xt.rows(), n_branches, "U", "a");
  // H = relu(X U^T), (n, P); f = H a / I.
  const ColMatrix<double> H = (Xt.transpose() * U.transpose()).cwiseMax(0.0);
  return (H * a) / static_cast<double>(n_branches);
}

LossGradient loss_gradient(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y,
                           const Eigen::Ref<const RowMatrix<double>>& U, const Eigen::Ref<const Vector<double>>& a,
                           int n_branches, double tau, Loss loss) {
  check_data(Xt, y);
  check_params(U, a, Xt.rows(), n_branches, "U", "a");
  require_positive(tau, "tau");
  const Eigen::Index n = Xt.cols();
  const double inv_I = 1.0 / static_cast<double>(n_branches);
  ColMatrix<double> Z = Xt.transpose() * U.transpose();  // (n, P) pre-activations
  const ColMatrix<double> H = Z.cwiseMax(0.0);
  const Vector<double> f = (H * a) * inv_I;
  // r_j = dR/df_j = l'(t_j) y_j / (tau n).
  Vector<double> r(n);
  double total = 0.0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double t = y[j] * f[j] / tau;
    total += margin_loss(t, loss);
    r[j] = margin_loss_slope(t, loss) * y[j] / (tau * static_cast<double>(n));
  }
  LossGradient out;
  out.loss = total / static_cast<double>(n);
  out.grad_a = (H.transpose() * r) * inv_I;
  // dR/dZ_jk = r_j a_k / I 1[Z_jk > 0]; reuse Z's storage.
  for (Eigen::Index k = 0; k < Z.cols(); ++k) {
    const double ak = a[k] * inv_I;
    for (Eigen::Index j = 0; j < n; ++j) Z(j, k) = Z(j, k) > 0.0 ? r[j] * ak : 0.0;
  }
  out.grad_U = Z.transpose() * Xt.transpose();  // (P, d)
  return out;
}

}  // namespace convexify::branches
