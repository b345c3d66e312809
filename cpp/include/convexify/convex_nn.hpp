// Lens 5: exact convex training of two-layer ReLU networks (Pilanci & Ergen 2020; Mishkin, Sahiner & Pilanci
// 2022).  The gated (C-GReLU) group-lasso program over activation patterns, solved by FISTA with adaptive
// restart and backtracking, stopped on a duality gap computed by dual scaling; and the ReLU (C-ReLU) program
// with its cone constraints, solved by ADMM with one cached factorisation (docs/convex_nn.md).
#pragma once

#include <Eigen/Core>
#include <string>

#include "convexify/checks.hpp"

namespace convexify::convex_nn {

enum class Loss { squared, logistic, squared_hinge, huber };

// A loss of docs/convex_nn.md#losses; huber_delta is the Huber threshold on the residual (huber only).
struct LossSpec {
  Loss kind = Loss::squared;
  double huber_delta = 1.0;
};

struct GatedOptions {
  double lam = 1e-3;
  LossSpec loss;
  double tol = 1e-8;  // stop when gap <= tol * |primal| (relative; scale-free)
  int max_iter = 10000;
};

struct GatedResult {
  RowMatrix<double> U;  // (P, d): row i is u_i
  double primal = 0, dual = 0, gap = 0;
  int n_iter = 0;
  bool converged = false;
};

// X (n, d) row-major, y (n), masks (n, P) row-major with entries 0/1, U0 (P, d) warm start (may be empty).
GatedResult solve_gated(const Eigen::Ref<const RowMatrix<double>>& X,
                        const Eigen::Ref<const Vector<double>>& y,
                        const Eigen::Ref<const RowMatrix<double>>& masks,
                        const Eigen::Ref<const RowMatrix<double>>& U0, const GatedOptions& opt);

// Primal value, dual value (by dual scaling of grad L) for a given U; the certificate of any point.
void gated_certificate(const Eigen::Ref<const RowMatrix<double>>& X,
                       const Eigen::Ref<const Vector<double>>& y,
                       const Eigen::Ref<const RowMatrix<double>>& masks,
                       const Eigen::Ref<const RowMatrix<double>>& U, double lam, const LossSpec& loss, double* primal,
                       double* dual);

struct ReluOptions {
  double lam = 1e-3;
  LossSpec loss;
  double tol = 1e-8;  // stop when gap <= tol * |primal| (relative; scale-free)
  int max_iter = 20000;
};

struct ReluResult {
  RowMatrix<double> V, W;  // (P, d): the positive and negative neurons v_i, w_i
  double primal = 0, dual = 0, gap = 0;
  double cone_violation = 0;  // max_i,j of ((2 D_i - I) X v_i)_j^- (and w_i), relative to max |X v_i|
  int n_iter = 0;
  bool converged = false;
};

// min L(sum_i D_i X (v_i - w_i)) + lam sum_i (||v_i|| + ||w_i||) s.t. (2 D_i - I) X v_i >= 0, same for w_i.
// ADMM on the splitting z = F u, s = u, t = G u (one n x n Cholesky factorisation, reused for every rho).
// `primal` is the objective of the ReLU network sum_i relu(X v_i) - relu(X w_i) itself; `dual` comes from the
// scaled gradient and the ADMM's cone multipliers (docs/convex_nn.md#relu).  Needs n <= 10000 (two n x n
// matrices).
ReluResult solve_relu(const Eigen::Ref<const RowMatrix<double>>& X, const Eigen::Ref<const Vector<double>>& y,
                      const Eigen::Ref<const RowMatrix<double>>& masks, const ReluOptions& opt);

}  // namespace convexify::convex_nn
