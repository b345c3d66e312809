// The reduced problem and the closed form of lens 1; see docs/linear.md#closed-form and docs/linear.md#dual.
#include <algorithm>
#include <cmath>
#include <limits>

#include "convexify/linear.hpp"

namespace convexify::linear {

double Problem::dual_from_sv(const Vec& sv) const {
  const Index kk = std::min<Index>(k, sv.size());
  // D(L) = 1/2||Y||^2 - 1/2||Ytilde - L||_(k)^2, written as 1/2||Y - Ytilde||^2 + 1/2(||Ytilde||^2 - ...).
  return 0.5 * res2 + 0.5 * (yr2 - sv.head(kk).squaredNorm());
}

double Problem::primal(const Eigen::Ref<const Mat>& m, double nuclear) const {
  // P(M) = 1/2||Y - Ytilde||^2 + 1/2||Ytilde - M||^2 + gamma ||M||_*  (Pythagoras, range(M) in range(X)).
  return 0.5 * res2 + 0.5 * (yr - m).squaredNorm() + gamma * nuclear;
}

Mat Problem::dense(const Candidate& c) const {
  if (c.mv.size() == 0) return Mat::Zero(r, dH);
  return c.P * c.mv.asDiagonal() * c.Q.transpose();
}

double Problem::primal(const Candidate& c) const {
  return primal(dense(c), c.mv.sum());
}

Problem make_problem(const RangeBasis& basis, const Eigen::Ref<const RowMat>& Y, Index k, double gamma,
                     int y_exp) {
  require(Y.rows() == basis.n(), "Y must have the same number of rows (samples) as X");
  require(Y.cols() > 0, "Y must have at least one column");
  require_finite(Y, "Y");
  require(k >= 1, "k must be >= 1");
  require_nonnegative(gamma, "gamma");
  Problem pb;
  pb.n = basis.n();
  pb.d0 = basis.d0();
  pb.dH = Y.cols();
  pb.r = basis.rank();
  pb.k = k;
  // Everything in the units of Y / 2^y_exp (exact scaling by a power of two).
  const double down = std::ldexp(1.0, -y_exp);
  pb.gamma = std::min(gamma * down, 1e300);
  pb.y2 = (Y * down).squaredNorm();
  pb.yr = basis.project(Y) * down;
  pb.yr2 = pb.yr.squaredNorm();
  pb.Ytilde = basis.lift(pb.yr);
  pb.res2 = (Y * down - pb.Ytilde).squaredNorm();
  Svd full = thin_svd(pb.yr);
  const double tol = (full.s.size() > 0 ? full.s(0) : 0.0) * static_cast<double>(std::max(pb.n, pb.dH)) *
                     std::numeric_limits<double>::epsilon();
  Index rY = 0;
  while (rY < full.s.size() && full.s(rY) > tol) ++rY;
  pb.rY = rY;
  pb.ysvd.U = full.U.leftCols(rY);
  pb.ysvd.s = full.s.head(rY);
  pb.ysvd.V = full.V.leftCols(rY);
  return pb;
}

ClosedForm closed_form(const Problem& pb) {
  ClosedForm cf;
  const Index kk = std::min(pb.k, pb.rY);
  const Vec& s = pb.ysvd.s;
  // M* = sum_{i <= min(k, rY)} (s_i - gamma)_+ p_i q_i^T; keep only the strictly positive terms.
  Index pos = 0;
  while (pos < kk && s(pos) > pb.gamma) ++pos;
  cf.M.P = pb.ysvd.U.leftCols(pos);
  cf.M.Q = pb.ysvd.V.leftCols(pos);
  cf.M.mv = (s.head(pos).array() - pb.gamma).matrix();
  cf.M.value = pb.primal(cf.M);
  cf.primal = cf.M.value;
  // L* = sum_{i <= rY} min(s_i, gamma) p_i q_i^T: optimal for every gamma >= 0 (see docs/linear.md#dual).
  const Vec lv = s.array().min(pb.gamma).matrix();
  cf.l = pb.ysvd.U * lv.asDiagonal() * pb.ysvd.V.transpose();
  if (cf.l.rows() != pb.r || cf.l.cols() != pb.dH) cf.l = Mat::Zero(pb.r, pb.dH);
  cf.dual = pb.dual_from_sv(singular_values(pb.yr - cf.l));
  return cf;
}

}  // namespace convexify::linear
