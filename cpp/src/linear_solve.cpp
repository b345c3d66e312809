// Lens 1 driver: range basis, closed form or Douglas–Rachford, weight recovery and literal certificates
// (see docs/linear.md#closed-form to docs/linear.md#dr; the outputs are those of docs/linear.md#outputs).
#include <algorithm>
#include <cmath>
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

  const RangeBasis basis(X);
  Problem pb = make_problem(basis, Y, k, gamma);
  sol.r = pb.r;
  sol.rY = pb.rY;
  sol.s = pb.ysvd.s;
  sol.rank_tolerance = basis.tolerance();
  const ClosedForm cf = closed_form(pb);
  sol.optimal_value = cf.primal;

  Candidate cand;
  Mat l;
  if (method == Method::closed) {
    cand = cf.M;
    l = cf.l;
    sol.iterations = 0;
    sol.converged = true;
    sol.status = "converged";
    sol.certified = "closed";
    sol.certificate_primal = cf.primal;
    sol.certificate_dual = cf.dual;
  } else {
    Mat z0 = Mat::Zero(pb.r, pb.dH);
    if (warm_start != nullptr) {
      require_shape(warm_start->rows(), warm_start->cols(), pb.n, pb.dH, "z0");
      require_finite(*warm_start, "z0");
      z0 = basis.project(*warm_start);  // projected onto range(X)
    }
    DrResult dr = form == Form::diagonal ? douglas_rachford_diagonal(pb, opt) : douglas_rachford(pb, z0, opt);
    cand = std::move(dr.best);
    l = std::move(dr.l);
    sol.iterations = dr.iterations;
    sol.converged = dr.converged;
    sol.status = dr.status;
    sol.certified = dr.certified;
    sol.certificate_primal = dr.primal;
    sol.certificate_dual = dr.dual;
    sol.relative_gap = dr.gap;
    sol.history = std::move(dr.history);
  }
  if (method == Method::closed) {
    const double denom = std::max(std::abs(sol.certificate_primal), std::abs(sol.certificate_dual));
    sol.relative_gap = denom > 0.0 ? (sol.certificate_primal - sol.certificate_dual) / denom : 0.0;
  }
  sol.weights = recover_weights(basis, cand, widths, pb.dH);
  sol.Lambda = basis.lift(l);
  sol.Ytilde = std::move(pb.Ytilde);
  // Certificates evaluated from what is returned: the literal P(W) from the factors (its product X W1^T ...
  // WH^T is the returned M), and D at the returned Lambda = U_x l, evaluated on its coordinates l (feasible
  // by construction: singular values clipped at gamma, columns in range(X)).
  sol.primal_value = primal_objective(sol.weights, X, Y, gamma, &sol.M);
  sol.dual_value = pb.dual_from_sv(singular_values(pb.yr - l));
  sol.gap = sol.primal_value - sol.dual_value;
  sol.recovery_error = std::abs(sol.primal_value - sol.optimal_value) / std::max(1.0, sol.optimal_value);
  return sol;
}

}  // namespace convexify::linear
