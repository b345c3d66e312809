// Range basis of X and thin SVDs by Householder QR followed by the SVD of the small factor; see
// docs/conventions.md#linalg.
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "convexify/linear.hpp"

namespace convexify::linear {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

// SVD of a matrix with rows <= 2 cols and cols <= 2 rows (no QR step).
Svd direct_svd(const Eigen::Ref<const Mat>& A, bool vectors) {
  Svd out;
  if (A.rows() == 0 || A.cols() == 0) {
    out.U = Mat::Zero(A.rows(), 0);
    out.V = Mat::Zero(A.cols(), 0);
    out.s = Vec::Zero(0);
    return out;
  }
  const unsigned opts = vectors ? (Eigen::ComputeThinU | Eigen::ComputeThinV) : 0u;
  if (std::min(A.rows(), A.cols()) <= 16) {
    Eigen::JacobiSVD<Mat> svd(A, opts);
    out.s = svd.singularValues();
    if (vectors) {
      out.U = svd.matrixU();
      out.V = svd.matrixV();
    }
  } else {
    Eigen::BDCSVD<Mat> svd(A, opts);
    out.s = svd.singularValues();
    if (vectors) {
      out.U = svd.matrixU();
      out.V = svd.matrixV();
    }
  }
  return out;
}

// Thin Q (m x p) of a Householder QR, formed like LAPACK's dorgqr: blocks of reflectors applied in reverse
// order to the part of [I; 0] they can touch (about half the flops of applying the sequence to [I; 0]).
Mat thin_q(const Eigen::HouseholderQR<Mat>& qr) {
  const Mat& A = qr.matrixQR();
  const Vec& h = qr.hCoeffs();
  const Index m = A.rows(), p = A.cols();
  constexpr Index kBlock = 48;
  Mat Q = Mat::Identity(m, p);
  if (p == 0) return Q;
  for (Index j = ((p - 1) / kBlock) * kBlock; j >= 0; j -= kBlock) {
    const Index b = std::min(kBlock, p - j);
    auto V = A.block(j, j, m - j, b);
    auto hc = h.segment(j, b);
    Eigen::HouseholderSequence<decltype(V), decltype(hc)> hs(V, hc);
    auto block = Q.block(j, j, m - j, p - j);
    hs.applyThisOnTheLeft(block);
  }
  return Q;
}

Svd svd_impl(const Eigen::Ref<const Mat>& A, bool vectors) {
  const Index m = A.rows(), p = A.cols();
  if (m > 2 * p && p > 0) {
    // A = Q R, R = Ur S V^T  ->  A = (Q Ur) S V^T.  The QR runs on A / 2^e (exact) so that the Householder
    // norms neither underflow nor overflow at extreme scales of A; the singular values are scaled back.
    const double amax = A.cwiseAbs().maxCoeff();
    const int e = amax > 0.0 && std::isfinite(amax) ? std::ilogb(amax) : 0;
    Eigen::HouseholderQR<Mat> qr(A * std::ldexp(1.0, -e));
    Mat R = qr.matrixQR().topRows(p).template triangularView<Eigen::Upper>();
    Svd small = direct_svd(R, vectors);
    small.s *= std::ldexp(1.0, e);
    if (vectors) small.U = thin_q(qr) * small.U;
    return small;
  }
  if (p > 2 * m && m > 0) {
    Svd t = svd_impl(A.transpose(), vectors);
    std::swap(t.U, t.V);
    return t;
  }
  return direct_svd(A, vectors);
}

}  // namespace

Svd thin_svd(const Eigen::Ref<const Mat>& A) {
  return svd_impl(A, true);
}

Vec singular_values(const Eigen::Ref<const Mat>& A) {
  return svd_impl(A, false).s;
}

int scale_exponent(const Eigen::Ref<const RowMat>& A) {
  const double amax = A.size() > 0 ? A.cwiseAbs().maxCoeff() : 0.0;
  return amax > 0.0 && std::isfinite(amax) ? std::ilogb(amax) : 0;
}

RangeBasis::RangeBasis(const Eigen::Ref<const RowMat>& X) : n_(X.rows()), d0_(X.cols()) {
  require(n_ > 0 && d0_ > 0, "X must be non-empty");
  require_finite(X, "X");
  const double amax = X.cwiseAbs().maxCoeff();
  if (amax > 0.0 && amax < std::numeric_limits<double>::min()) {
    std::ostringstream msg;
    msg.precision(3);
    msg << "X: its largest absolute entry " << amax
        << " is subnormal (below 2.2e-308), so X has lost its relative precision; rescale X";
    fail(msg.str());
  }
  exp_ = amax > 0.0 ? std::ilogb(amax) : 0;
  const double down = std::ldexp(1.0, -exp_);  // X / 2^e has its largest entry in [1, 2): exact
  Vec s;
  Mat U, V;  // X / 2^e = [Qthin] U diag(s) V^T
  if (n_ > 2 * d0_) {
    Eigen::HouseholderQR<Mat> qr{Mat(X * down)};
    Mat R = qr.matrixQR().topRows(d0_).template triangularView<Eigen::Upper>();
    Svd small = direct_svd(R, true);
    Qthin_ = thin_q(qr);
    s = std::move(small.s);
    U = std::move(small.U);
    V = std::move(small.V);
  } else if (d0_ > 2 * n_) {
    // X^T = Q R  ->  X = R^T Q^T,  R^T = U S W^T  ->  X = U S (Q W)^T.
    Eigen::HouseholderQR<Mat> qr{Mat(X.transpose() * down)};
    Mat Rt = qr.matrixQR().topRows(n_).template triangularView<Eigen::Upper>();
    Rt.transposeInPlace();
    Svd small = direct_svd(Rt, true);
    s = std::move(small.s);
    U = std::move(small.U);
    V = Mat::Zero(d0_, small.V.cols());
    V.topRows(n_) = small.V;
    V.applyOnTheLeft(qr.householderQ());
  } else {
    Svd full = direct_svd(Mat(X * down), true);
    s = std::move(full.s);
    U = std::move(full.U);
    V = std::move(full.V);
  }
  const double tol = (s.size() > 0 ? s(0) : 0.0) * static_cast<double>(std::max(n_, d0_)) * kEps;
  r_ = 0;
  while (r_ < s.size() && s(r_) > tol) ++r_;
  tol_ = std::ldexp(tol, exp_);
  sx_ = s.head(r_);
  Usmall_ = U.leftCols(r_);
  Vx_ = V.leftCols(r_);
}

Vec RangeBasis::sx() const {
  return sx_ * std::ldexp(1.0, exp_);
}

Mat RangeBasis::project(const Eigen::Ref<const RowMat>& A) const {
  require(A.rows() == n_, "project: row count must equal n");
  if (Qthin_.size() > 0) {
    Mat QtA = Qthin_.transpose() * A;
    return Usmall_.transpose() * QtA;
  }
  return Usmall_.transpose() * A;
}

RowMat RangeBasis::lift(const Eigen::Ref<const Mat>& a) const {
  require(a.rows() == r_, "lift: row count must equal rank(X)");
  if (r_ == 0) return RowMat::Zero(n_, a.cols());
  RowMat out(n_, a.cols());
  if (Qthin_.size() > 0) {
    Mat small = Usmall_ * a;
    out.noalias() = Qthin_ * small;
  } else {
    out.noalias() = Usmall_ * a;
  }
  return out;
}

}  // namespace convexify::linear
