// Lens 1 driver: range basis, closed form or Douglas–Rachford, weight recovery and literal certificates
// (see docs/linear.md#closed-form to docs/linear.md#dr; the outputs are those of docs/linear.md#outputs).
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "convexify/linear.hpp"

namespace convexify::linear {

Solution solve(const Eigen::Ref<const RowMat>& X, const Eigen::Ref<const RowMat>& Y,
               const std::vector<Index>& widths, double gamma, Method method, const DrOptions& opt,
               const RowMat* warm_start, Form form) {
  require(X.rows() > 0 && X.cols() > 0, "X must be non-empty");
  require(Y.rows() == X.rows(), "Y must have the same number of rows (samples) as X");
  require(Y.cols() > 0, "Y must have at least one column");
  require_finite(X, "X");
  require_finite(Y, "Y");
  require_nonnegative(gamma, "gamma");
  require(!widths.empty(), "widths must hold depth - 1 >= 1 hidden widths (depth >= 2)");
  for (Index w : widths) require(w >= 1, "widths must be positive integers");
  require(!(form == Form::diagonal && warm_start != nullptr),
          "form='diagonal' starts from z0 = 0; use form='reduced' with a warm start z0");

  Solution sol;
  sol.n = X.rows();
  sol.d0 = X.cols();
  sol.dH = Y.cols();
  Index k = std::min({sol.n, sol.d0, sol.dH});
  for (Index w : widths) k = std::min(k, w);
  sol.k = k;

  // Scale (see docs/linear.md#scale): the basis of range(X) works on X / 2^ex, the problem on Y / 2^ey and
  // gamma / 2^ey (exact powers of two); values come back multiplied by 4^ey, matrices by 2^ey.
  const double ymax = Y.cwiseAbs().maxCoeff();
  if (ymax > 0.0 && ymax < std::numeric_limits<double>::min()) {
    std::ostringstream msg;
    msg.precision(3);
    msg << "Y: its largest absolute entry " << ymax
        << " is subnormal (below 2.2e-308), so Y has lost its relative precision; rescale Y and gamma";
    fail(msg.str());
  }
  const int ey = scale_exponent(Y);
  if (ymax > 0.0) {
    // ||Y||_F^2 sets the scale of every objective value: it must be a normal float64 (with a margin of 2^5
    // for the literal evaluation of P(W)).
    const double log2_y2 = std::log2((Y * std::ldexp(1.0, -ey)).squaredNorm()) + 2.0 * ey;
    if (log2_y2 > std::numeric_limits<double>::max_exponent - 5 ||
        log2_y2 < std::numeric_limits<double>::min_exponent) {
      std::ostringstream msg;
      msg.precision(4);
      msg << "Y: ||Y||_F^2 = 2^" << log2_y2 << " is outside float64's normal range (2^-1022 to 2^1019); "
          << "the objective values scale like ||Y||_F^2 and cannot be represented: rescale Y and gamma "
          << "together (P* scales like their square)";
      fail(msg.str());
    }
  }
  const auto up2 = [ey](double v) { return std::ldexp(v, 2 * ey); };

  const RangeBasis basis(X);
  Problem pb = make_problem(basis, Y, k, gamma, ey);
  sol.r = pb.r;
  sol.rY = pb.rY;
  sol.s = pb.ysvd.s * std::ldexp(1.0, ey);
  sol.rank_tolerance = basis.tolerance();
  const ClosedForm cf = closed_form(pb);
  sol.optimal_value = up2(cf.primal);

  Candidate cand;
  Mat l;
  double cert_primal = 0.0, cert_dual = 0.0;
  if (method == Method::closed) {
    cand = cf.M;
    l = cf.l;
    sol.iterations = 0;
    sol.converged = true;
    sol.status = "converged";
    sol.certified_by = "closed";
    cert_primal = cf.primal;
    cert_dual = cf.dual;
  } else {
    Mat z0 = Mat::Zero(pb.r, pb.dH);
    if (warm_start != nullptr) {
      require_shape(warm_start->rows(), warm_start->cols(), pb.n, pb.dH, "z0");
      require_finite(*warm_start, "z0");
      z0 = basis.project(*warm_start) * std::ldexp(1.0, -ey);  // projected onto range(X), units of Y / 2^ey
    }
    DrResult dr = form == Form::diagonal ? douglas_rachford_diagonal(pb, opt) : douglas_rachford(pb, z0, opt);
    cand = std::move(dr.best);
    l = std::move(dr.l);
    sol.iterations = dr.iterations;
    sol.converged = dr.converged;
    sol.status = dr.status;
    sol.certified_by = dr.certified;
    cert_primal = dr.primal;
    cert_dual = dr.dual;
    // The exact finish (docs/linear.md#exact-finish): the map on the identified singular subspace.
    Candidate exact;
    if (dr.status != "diverged" && exact_finish(pb, cand, exact)) {
      cand = std::move(exact);
      sol.certified_by = "exact";
      cert_primal = std::min(cert_primal, cand.value);
    }
    for (auto* series : {&dr.history.dual, &dr.history.primal_svd, &dr.history.primal_shadow})
      for (double& v : *series) v = up2(v);
    sol.history = std::move(dr.history);
  }
  sol.certified = sol.converged;
  {
    const double floor = 64.0 * std::numeric_limits<double>::epsilon() * 0.5 * pb.y2;
    const double denom = std::max({std::abs(cert_primal), std::abs(cert_dual), floor});
    sol.relative_gap = denom > 0.0 ? (cert_primal - cert_dual) / denom : 0.0;
  }
  sol.certificate_primal = up2(cert_primal);
  sol.certificate_dual = up2(cert_dual);
  cand.mv *= std::ldexp(1.0, ey);  // units of Y
  sol.weights = recover_weights(basis, cand, widths, pb.dH);
  for (std::size_t i = 0; i < sol.weights.size(); ++i) {
    if (!sol.weights[i].allFinite()) {
      std::ostringstream msg;
      msg << "X: the optimal weights[" << i << "] overflow float64 at this scale of X relative to Y (W_1 "
          << "scales like ||Y||^(1/H) / ||X||); rescale X";
      fail(msg.str());
    }
  }
  sol.Lambda = basis.lift(l) * std::ldexp(1.0, ey);
  sol.Ytilde = std::move(pb.Ytilde);
  sol.Ytilde *= std::ldexp(1.0, ey);
  // Certificates evaluated from what is returned: the literal P(W) from the factors (its product X W1^T ...
  // WH^T is the returned M), and D at the returned Lambda = U_x l, evaluated on its coordinates l (feasible
  // by construction: singular values clipped at gamma, columns in range(X)), in the units of Y / 2^ey.
  sol.primal_value = primal_objective(sol.weights, X, Y, gamma, &sol.M);
  sol.dual_value = up2(pb.dual_from_sv(singular_values(pb.yr - l)));
  sol.gap = sol.primal_value - sol.dual_value;
  sol.recovery_error = std::abs(sol.primal_value - sol.optimal_value) / std::max(1.0, sol.optimal_value);
  return sol;
}

}  // namespace convexify::linear
