// Literal objectives of lens 1: the factorised primal (survey eq. 2) and the dual (eq. 3-4); see
// docs/linear.md#primal and docs/linear.md#dual.
#include <cmath>
#include <sstream>

#include "convexify/linear.hpp"

namespace convexify::linear {

namespace {

double schatten_power(const Eigen::Ref<const Mat>& A, double p) {
  const Vec s = singular_values(A);
  double sum = 0.0;
  for (Index i = 0; i < s.size(); ++i) sum += std::pow(s(i), p);
  return sum;
}

}  // namespace

double primal_objective(const std::vector<RowMat>& weights, const Eigen::Ref<const RowMat>& X,
                        const Eigen::Ref<const RowMat>& Y, double gamma, RowMat* product) {
  require(weights.size() >= 2, "weights must hold at least 2 matrices (depth >= 2)");
  require(X.rows() > 0 && X.cols() > 0, "X must be non-empty");
  require(Y.rows() == X.rows(), "Y must have the same number of rows (samples) as X");
  require(Y.cols() > 0, "Y must have at least one column");
  require_finite(X, "X");
  require_finite(Y, "Y");
  require_nonnegative(gamma, "gamma");
  Index prev = X.cols();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const RowMat& W = weights[i];
    if (W.cols() != prev || W.rows() == 0) {
      std::ostringstream s;
      s << "weights[" << i << "] has shape (" << W.rows() << ", " << W.cols()
        << "); its number of columns must be " << prev
        << " (the previous layer's width) and it must be non-empty";
      fail(s.str());
    }
    require_finite(W, "weights");
    prev = W.rows();
  }
  if (prev != Y.cols()) {
    std::ostringstream s;
    s << "weights[-1] has " << prev << " rows but Y has " << Y.cols() << " columns";
    fail(s.str());
  }
  const double H = static_cast<double>(weights.size());
  // First layer's output on the data, A1 = X W1^T (n x d1).  Rows of W1 that are exactly zero give exactly
  // zero columns of A1; they are skipped (same values, less work when the recovered rank is below d1).
  const RowMat& W1 = weights[0];
  std::vector<Index> nz;
  for (Index i = 0; i < W1.rows(); ++i)
    if ((W1.row(i).array() != 0.0).any()) nz.push_back(i);
  const Index m = static_cast<Index>(nz.size());
  RowMat W1nz(m, W1.cols());
  for (Index i = 0; i < m; ++i) W1nz.row(i) = W1.row(nz[i]);
  const RowMat A1nz = X * W1nz.transpose();  // n x m
  double penalty = schatten_power(Mat(A1nz), H);
  // F = A1 W2^T ... WH^T with A1's zero columns dropped: A1 W2^T = A1nz (W2[:, nz])^T.
  RowMat W2nz(weights[1].rows(), m);
  for (Index i = 0; i < m; ++i) W2nz.col(i) = weights[1].col(nz[i]);
  RowMat F = A1nz * W2nz.transpose();
  for (std::size_t i = 2; i < weights.size(); ++i) {
    RowMat next = F * weights[i].transpose();
    F = std::move(next);
  }
  for (std::size_t i = 1; i < weights.size(); ++i) penalty += schatten_power(Mat(weights[i]), H);
  const double value = 0.5 * (Y - F).squaredNorm() + gamma / H * penalty;
  if (product != nullptr) *product = std::move(F);
  return value;
}

double dual_objective(const RangeBasis& basis, const Problem& pb, const Eigen::Ref<const RowMat>& Lambda) {
  require_shape(Lambda.rows(), Lambda.cols(), pb.n, pb.dH, "Lambda");
  require_finite(Lambda, "Lambda");
  const Mat lr = basis.project(Lambda);
  const double lam_norm = Lambda.norm();
  const double outside = (Lambda - basis.lift(lr)).norm();
  if (outside > 1e-8 * lam_norm) {
    std::ostringstream s;
    s << "Lambda is infeasible: its columns are not in range(X) (||(I - P_X) Lambda||_F / ||Lambda||_F = "
      << outside / lam_norm << ")";
    fail(s.str());
  }
  const Vec ls = singular_values(lr);
  const double spec = ls.size() > 0 ? ls(0) : 0.0;
  if (spec > pb.gamma * (1.0 + 1e-9) + 1e-12 * std::sqrt(pb.y2)) {
    std::ostringstream s;
    s.precision(17);
    s << "Lambda is infeasible: its spectral norm " << spec << " exceeds gamma = " << pb.gamma;
    fail(s.str());
  }
  return pb.dual_from_sv(singular_values(pb.yr - lr));
}

double dual_objective(const Eigen::Ref<const RowMat>& Lambda, const Eigen::Ref<const RowMat>& X,
                      const Eigen::Ref<const RowMat>& Y, double gamma, Index k) {
  require_finite(X, "X");
  const RangeBasis basis(X);
  const Problem pb = make_problem(basis, Y, k, gamma);
  return dual_objective(basis, pb, Lambda);
}

}  // namespace convexify::linear
