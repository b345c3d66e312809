// Lens 1: regularised deep linear networks and their convex dual; see docs/linear.md.
//
// Conventions: X is (n, d0) with samples as rows, Y is (n, dH); weights W_i are (d_i, d_{i-1}).  Everything
// the solvers iterate on lives in the reduced coordinates of an orthonormal basis U_x (n x r) of range(X):
// yr = U_x^T Y (r x dH), l = U_x^T Lambda, m = U_x^T M (the "reduced form" of docs/linear.md#dr).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "convexify/checks.hpp"

namespace convexify::linear {

using Mat = ColMatrix<double>;
using Vec = Vector<double>;
using RowMat = RowMatrix<double>;
using Index = Eigen::Index;

// Thin SVD A = U diag(s) V^T (s descending); QR first when the aspect ratio exceeds 2 (see
// docs/conventions.md#linalg).
struct Svd {
  Mat U;
  Vec s;
  Mat V;
};
Svd thin_svd(const Eigen::Ref<const Mat>& A);
// Singular values only (same QR-before-SVD rule).
Vec singular_values(const Eigen::Ref<const Mat>& A);

// Orthonormal basis U_x of range(X) with the shared rank tolerance s_1 * max(n, d0) * eps (see
// docs/conventions.md#linalg), together with X's nonzero singular values s_x and right vectors V_x, so that
// X = U_x diag(s_x) V_x^T up to that tolerance. U_x is stored implicitly as Qthin * Usmall (tall X: thin
// Householder Q times the left vectors of R) or as Usmall alone; never X^T X.  X is first divided by the
// power of two 2^e nearest below its largest absolute entry (exact), so the factorisation never under- or
// overflows at any scale of X; s_x is kept in those units (sx_scaled(), X = 2^e U_x diag(sx_scaled) V_x^T).
// A nonzero X whose largest entry is subnormal is rejected (its relative precision is lost).
class RangeBasis {
 public:
  explicit RangeBasis(const Eigen::Ref<const RowMat>& X);
  Index n() const { return n_; }
  Index d0() const { return d0_; }
  Index rank() const { return r_; }
  double tolerance() const { return tol_; }  // in the units of X
  int exponent() const { return exp_; }      // e: X = 2^e * (X / 2^e)
  const Vec& sx_scaled() const { return sx_; }
  Vec sx() const;  // X's singular values in the units of X (may under/overflow at extreme scales)
  const Mat& Vx() const { return Vx_; }
  // U_x^T A for A (n x c): r x c.
  Mat project(const Eigen::Ref<const RowMat>& A) const;
  // U_x a for a (r x c): n x c (row-major, ready for numpy).
  RowMat lift(const Eigen::Ref<const Mat>& a) const;

 private:
  Index n_ = 0, d0_ = 0, r_ = 0;
  double tol_ = 0.0;
  int exp_ = 0;
  Mat Qthin_;   // n x m thin Householder Q (tall case); empty otherwise
  Mat Usmall_;  // (m or n) x r
  Vec sx_;
  Mat Vx_;
};

// prox of phi(x) = (t/2) * (sum of the k largest x_i^2) at v (see docs/linear.md#dr): weighted isotonic
// regression by pool-adjacent-violators on |v| sorted descending; order and signs of v are restored.
Vec prox_topk(const Eigen::Ref<const Vec>& v, Index k, double t);
// Same for an input already sorted descending and non-negative (singular values); O(len) after the sort.
Vec prox_topk_sorted(const Eigen::Ref<const Vec>& a, Index k, double t);

// A primal candidate M = P diag(mv) Q^T in reduced coordinates (P: r x kk, Q: dH x kk, mv >= 0).
struct Candidate {
  Mat P;
  Vec mv;
  Mat Q;
  double value = 0.0;  // P(M) = 1/2||Y - M||^2 + gamma ||M||_*
};

// The reduced problem: everything DR and the closed form need (see docs/linear.md#closed-form).
struct Problem {
  Index n = 0, d0 = 0, dH = 0, r = 0, k = 0, rY = 0;
  double gamma = 0.0;
  double y2 = 0.0;    // ||Y||_F^2
  double res2 = 0.0;  // ||Y - Ytilde||_F^2
  Mat yr;             // U_x^T Y (r x dH)
  double yr2 = 0.0;   // ||yr||_F^2 = ||Ytilde||_F^2
  RowMat Ytilde;      // U_x yr (n x dH)
  Svd ysvd;           // thin SVD of yr truncated to rank rY: Ytilde's singular values and (reduced) vectors
  // Objectives in reduced coordinates.  dual(l) = 1/2||Y||^2 - 1/2||yr - l||_(k)^2; primal(m) with ||m||_*
  // given.
  double dual_from_sv(const Vec& sv_of_yr_minus_l) const;
  double primal(const Eigen::Ref<const Mat>& m, double nuclear) const;
  double primal(const Candidate& c) const;
  Mat dense(const Candidate& c) const;
};
// With y_exp = e the problem is built for Y / 2^e and gamma / 2^e (exact power-of-two scaling; every value of
// the scaled problem is 2^(-2e) times the original one, every matrix 2^(-e) times).  gamma / 2^e is capped at
// 1e300 (far above every singular value of Y / 2^e: the same problem).
Problem make_problem(const RangeBasis& basis, const Eigen::Ref<const RowMat>& Y, Index k, double gamma,
                     int y_exp = 0);
// The power-of-two exponent e = floor(log2(max |A_ij|)) of a matrix's largest absolute entry (0 for A = 0).
int scale_exponent(const Eigen::Ref<const RowMat>& A);

// Closed form (see docs/linear.md#closed-form and docs/linear.md#dual): M* (top min(k, rY) of Ytilde shrunk
// by gamma) and L* = sum min(s_i, gamma) p_i q_i^T.
struct ClosedForm {
  Candidate M;
  Mat l;  // r x dH
  double primal = 0.0;
  double dual = 0.0;
};
ClosedForm closed_form(const Problem& pb);

// Douglas–Rachford on the dual in reduced form (see docs/linear.md#dr) with per-iteration certificates.
struct DrOptions {
  double t = 1.0;
  double tol = 1e-10;
  long max_iter = 10000;
  bool record_history = true;
};
struct DrHistory {
  std::vector<double> dual, primal_svd, primal_shadow, gap;
};
// The per-iteration certificate of docs/linear.md#dr: P_j = min(P(M_svd), P(M_shadow)) and the relative gap
// (P_j - D_j) / max(|P_j|, |D_j|, floor); appended to `history` when `record` is set.
struct DrCertificate {
  bool shadow_wins = false;
  double primal = 0.0, gap = 0.0;
};
DrCertificate dr_certificate(double dual, double p_svd, double p_shadow, double floor, bool record,
                             DrHistory& history);
struct DrResult;
// Fill the status fields of a finished DR run (iteration j) from its last certificate.
void dr_finish(DrResult& out, const DrCertificate& cert, double dual, long j, bool finite, bool stop_gap);
struct DrResult {
  Mat l;                  // final dual iterate L_j (reduced, feasible)
  Mat z;                  // final DR variable z_j (reduced)
  Candidate best;         // the candidate that attained P_j at the returned iterate
  std::string certified;  // "svd" or "shadow"
  long iterations = 0;
  bool converged = false;
  std::string status;  // "converged", "max_iter", "diverged"
  double dual = 0.0, primal = 0.0, gap = 0.0;
  DrHistory history;
};
DrResult douglas_rachford(const Problem& pb, const Mat& z0, const DrOptions& opt);
// The same iteration from z0 = 0 in the singular basis of yr (the "diagonal form" of docs/linear.md#dr):
// every iterate is diagonal there, so it runs on vectors of length rY; identical iterates, O(rY log rY) per
// iteration.
DrResult douglas_rachford_diagonal(const Problem& pb, const DrOptions& opt);

// The exact finish of a DR run (see docs/linear.md#exact-finish): the directions p_i q_i^T of Ytilde's SVD
// (s_i > gamma) along which the DR candidate carries more than half of the shrunk value s_i - gamma are the
// subspace the run has identified; on them M = sum_i (s_i - gamma) p_i q_i^T exactly.  Returns true and fills
// `out` (with its value) when that set has at most k directions and the exact M is no worse than the DR
// candidate (up to rounding of 1/2||Y||^2), false otherwise.
bool exact_finish(const Problem& pb, const Candidate& dr, Candidate& out);

// Balanced factors from a candidate (see docs/linear.md#recovery); widths = (d1, ..., d_{H-1}).  Returns H
// row-major matrices.  The candidate's values mv are in the units of Y (the basis carries X's scale).
std::vector<RowMat> recover_weights(const RangeBasis& basis, const Candidate& c,
                                    const std::vector<Index>& widths, Index dH);

// Literal objectives (survey eq. 2 and eq. 3-4); see docs/linear.md#primal and docs/linear.md#dual.
// If `product` is given it receives X W_1^T ... W_H^T (n x dH).
double primal_objective(const std::vector<RowMat>& weights, const Eigen::Ref<const RowMat>& X,
                        const Eigen::Ref<const RowMat>& Y, double gamma, RowMat* product = nullptr);
// Throws std::invalid_argument if Lambda is infeasible (spectral norm > gamma or columns outside range(X),
// beyond rounding).
double dual_objective(const Eigen::Ref<const RowMat>& Lambda, const Eigen::Ref<const RowMat>& X,
                      const Eigen::Ref<const RowMat>& Y, double gamma, Index k);
double dual_objective(const RangeBasis& basis, const Problem& pb, const Eigen::Ref<const RowMat>& Lambda);

// Full solve (see docs/linear.md#outputs).  Fields are named as those of the Python LinearSolution they fill.
// Y is scaled internally by the power of two below its largest entry (X by its RangeBasis), results are
// mapped back exactly; ||Y||_F^2 must lie in float64's normal range (it sets the scale of every value).
enum class Method { dr, closed };       // Douglas-Rachford on the dual, or the closed form
enum class Form { reduced, diagonal };  // DR iterates: r x dH matrices, or vectors of length rY from z0 = 0
struct Solution {
  Index n = 0, d0 = 0, dH = 0, r = 0, k = 0, rY = 0;
  Vec s;  // singular values of Ytilde (rY)
  RowMat Ytilde, Lambda, M;
  std::vector<RowMat> weights;
  double primal_value = 0.0;    // literal P(W) from the returned weights
  double dual_value = 0.0;      // D(Lambda) from the returned Lambda
  double gap = 0.0;             // primal_value - dual_value
  double optimal_value = 0.0;   // P* from the closed form
  double recovery_error = 0.0;  // |primal_value - P*| / max(1, P*)
  double certificate_primal = 0.0, certificate_dual = 0.0, relative_gap = 0.0;
  long iterations = 0;
  bool converged = false;
  std::string status;        // "converged", "max_iter" or "diverged"
  bool certified = false;    // the certificate met tol (DR converged) or method = closed
  std::string certified_by;  // the candidate the weights come from: "exact", "svd", "shadow" or "closed"
  DrHistory history;
  double rank_tolerance = 0.0;
};
// form matters for Method::dr only; Form::diagonal needs no warm start.
Solution solve(const Eigen::Ref<const RowMat>& X, const Eigen::Ref<const RowMat>& Y,
               const std::vector<Index>& widths, double gamma, Method method, const DrOptions& opt,
               const RowMat* warm_start, Form form = Form::reduced);

}  // namespace convexify::linear
