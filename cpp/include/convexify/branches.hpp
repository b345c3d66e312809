// Lens 4: multi-branch one-hidden-layer ReLU networks (Zhang, Shao & Salakhutdinov 2019).
// The theory, the symbols and the survey's errata: see docs/branches.md.
//
// A network of I branches with m units each is stored as its P = I m units: first-layer rows U (P, d)
// (unit k = i m + j is unit j of branch i) and output weights a (P,).  For one-hidden-layer branches the
// output f(x) = (1/I) sum_k a_k relu(u_k . x) does not depend on how units are grouped into branches, so the
// kernels take P units and the factor 1/I (survey eq. 16; see docs/branches.md#model).  Samples are the
// columns of Xt (d, n), the zero-copy view of a C-contiguous (n, d) array (see docs/conventions.md#arrays).
#pragma once

#include <Eigen/Core>

#include "convexify/checks.hpp"

namespace convexify::branches {

// Per-sample losses of the margin t = y f / tau (survey eq. 17; see docs/branches.md#model): tau-hinge
// max(0, 1 - t), squared tau-hinge max(0, 1 - t)^2.  The bindings map the names "hinge" and "squared_hinge"
// to these values.
enum class Loss { Hinge, SquaredHinge };

// l(t) and dl/dt for the margin t = y f / tau.
inline double margin_loss(double t, Loss loss) {
  const double h = 1.0 - t > 0.0 ? 1.0 - t : 0.0;
  return loss == Loss::Hinge ? h : h * h;
}
inline double margin_loss_slope(double t, Loss loss) {
  const double h = 1.0 - t > 0.0 ? 1.0 - t : 0.0;
  if (loss == Loss::Hinge) return h > 0.0 ? -1.0 : 0.0;
  return -2.0 * h;
}

// Shared argument checks (the core never trusts its caller): shapes, finiteness, labels in {-1, +1},
// n_branches >= 1 dividing the number of units, tau > 0.
void check_data(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y);
void check_params(const Eigen::Ref<const RowMatrix<double>>& U, const Eigen::Ref<const Vector<double>>& a,
                  Eigen::Index d, int n_branches, const char* name_U, const char* name_a);

// Loss value and gradient of R(theta) = mean_j l(y_j f(x_j) / tau).  Bound to Python as
// BranchesLossGradient (read-only attributes of the same names).
struct LossGradient {
  double loss = 0.0;
  RowMatrix<double> grad_U;  // (P, d)
  Vector<double> grad_a;     // (P,)
};

// Network outputs f(x_j), shape (n,).
Vector<double> forward(const Eigen::Ref<const ColMatrix<double>>& Xt,
                       const Eigen::Ref<const RowMatrix<double>>& U,
                       const Eigen::Ref<const Vector<double>>& a, int n_branches);

// R(theta) and its gradient (a.e.; relu'(0) = 0, hinge'(0) = 0).
LossGradient loss_gradient(const Eigen::Ref<const ColMatrix<double>>& Xt,
                           const Eigen::Ref<const Vector<double>>& y,
                           const Eigen::Ref<const RowMatrix<double>>& U,
                           const Eigen::Ref<const Vector<double>>& a, int n_branches, double tau, Loss loss);

// Loss surface on a plane (see docs/branches.md#slices): S[i, j] = R(theta_c + alphas[i] d1 + betas[j] d2),
// with the parameters (Uk, ak), k = 0 (centre), 1, 2 (directions).  Pre-activations are affine in (alpha,
// beta): Z = Z0 + alpha Z1 + beta Z2 with Zk = X Uk^T (three GEMMs), then O(n P) work per grid point.  Rows
// of the grid are independent tasks run in parallel above a size threshold; each value is computed in a fixed
// order, so results do not depend on the thread count.
RowMatrix<double> surface(
    const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y,
    const Eigen::Ref<const RowMatrix<double>>& U0, const Eigen::Ref<const Vector<double>>& a0,
    const Eigen::Ref<const RowMatrix<double>>& U1, const Eigen::Ref<const Vector<double>>& a1,
    const Eigen::Ref<const RowMatrix<double>>& U2, const Eigen::Ref<const Vector<double>>& a2,
    const Eigen::Ref<const Vector<double>>& alphas, const Eigen::Ref<const Vector<double>>& betas,
    int n_branches, double tau, Loss loss);

// Loss surface of the multi-class margin loss (see docs/branches.md#figure): networks with C outputs, output
// weights A (P, C), integer labels in [0, C) (stored as doubles), loss
// mean_j (1/C) sum_{c != y_j} max(0, 1 - F_{j y_j} + F_{j c}).
RowMatrix<double> surface_multimargin(
    const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& labels,
    const Eigen::Ref<const RowMatrix<double>>& U0, const Eigen::Ref<const RowMatrix<double>>& A0,
    const Eigen::Ref<const RowMatrix<double>>& U1, const Eigen::Ref<const RowMatrix<double>>& A1,
    const Eigen::Ref<const RowMatrix<double>>& U2, const Eigen::Ref<const RowMatrix<double>>& A2,
    const Eigen::Ref<const Vector<double>>& alphas, const Eigen::Ref<const Vector<double>>& betas,
    int n_branches);

// Heuristic neuron oracle of the duality-gap bracket (see docs/branches.md#bracket): a lower bound on
//   M+(c) = max_{||u|| <= 1} sum_j c_j relu(u . x_j)
// by multistart fixed-point ascent u <- normalise(u/2 + normalise(G)/2), G = X^T (c o 1[X u > 0]), from the
// given starts (S, d) for at most `iterations` steps, keeping the best value seen per start.  The step 1/2 is
// halved (down to 1/1024) until the value increases, so each run is a monotone ascent; a run stops when no
// step improves.  Bound to Python as BranchesOracleResult.
struct OracleResult {
  double value = 0.0;           // best value over all starts (>= 0: u -> 0 is feasible)
  Vector<double> u;             // its maximiser (unit vector, or 0 if no start gave a positive value)
  Vector<double> start_values;  // best value seen per start, (S,)
  RowMatrix<double> start_u;    // best unit vector per start, (S, d)
};

OracleResult neuron_oracle(const Eigen::Ref<const ColMatrix<double>>& Xt,
                           const Eigen::Ref<const Vector<double>>& c,
                           const Eigen::Ref<const RowMatrix<double>>& starts, int iterations);

}  // namespace convexify::branches
