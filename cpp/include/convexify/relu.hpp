// Lens 2: shallow ReLU neuron, its convex relaxation, batched gradient descent, exact solver (see
// docs/relu.md).
//
// Data X (n x d) is row-major (samples as rows); Y is (n x 1) broadcast or (n x B); weights W are (B x d).
// L(w) = ||relu(Xw) - y||^2,  L_r(w) = ||relu(Xw)||^2 - 2 y^T X w + ||y||^2: un-normalised sums (survey
// eqs. 5/7 and 8; see docs/relu.md#losses).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "convexify/checks.hpp"
#include "convexify/relu_kernel.hpp"

namespace convexify::relu {

// Losses of every row of W: out L (B), L_r (B).  Gradients: 2 X^T[m o (relu(Xw) - y)] per row (B x d).
template <typename T>
struct LossesResult {
  Vector<double> loss;
  Vector<double> relaxed_loss;
  RowMatrix<double> gradient;  // empty unless asked
};

template <typename T>
LossesResult<T> evaluate(const Problem<T>& p, const RowMatrix<double>& W, bool want_gradient, bool relaxed,
                         bool strict);

struct GdOptions {
  double step = 0.0;  // w <- w - step * grad L (grad of the un-normalised sum, with its factor 2)
  long long iters = 1000;
  bool relaxed = false;
  bool strict = false;
  long long record_every = 1;
  // A run is declared diverged when W or its loss is non-finite, or its loss exceeds
  // blowup * max(L(W0), ||y||^2, tiny).
  double blowup = 1e30;
  KernelChoice kernel = KernelChoice::automatic;
};

// Bound as convexify._core.ReluGdResult (read-only attributes of these names); the fields are named and
// typed as those of the Python GDResult they fill (numpy arrays, None for an absent history).
struct GdResult {
  RowMatrix<double> W;                              // B x d final weights (last finite iterate if diverged)
  RowMatrix<double> train_loss;                     // T x B, L/n (NaN after a run diverged)
  std::optional<RowMatrix<double>> test_loss;       // T x B, L_test/n_test (none without test data)
  std::optional<RowMatrix<double>> recovery_error;  // T x B, ||w - w*|| / ||w*|| (none without w*)
  Vector<bool> diverged;                            // B
  Vector<std::int64_t> diverged_at;                 // B, -1 if not diverged
  Vector<std::int64_t> iterations;                  // T: 0, record_every, 2 record_every, ...
  std::string kernel;                               // "fused" or "gemm"
};

// w_star: B x d (one per problem) or 1 x d (shared), or empty.  Test data: X_test (m x d), Y_test (m x 1/B).
template <typename T>
GdResult gd(const Problem<T>& train, const RowMatrix<double>& W0, const GdOptions& options,
            const Problem<T>* test, const RowMatrix<double>& w_star);

// Largest eigenvalue of X^T X by `iters` power iterations (GEMV only), started from a fixed vector, as
// lambda_max = lambda * 4^exponent: the iteration runs on X / 2^exponent with 2^exponent <= max|X_ij| <
// 2^(exponent+1) (scaled as LAPACK's dnrm2 does), so it neither overflows nor underflows at any scale of X
// and lambda_max(2^k X) gives the same lambda with exponent + k.  X = 0: lambda = 0.  Stops on Ctrl-C
// (polled every few thousand rows; throws Interrupted).
struct ScaledLambda {
  double lambda = 0.0;
  int exponent = 0;
};
template <typename T>
ScaledLambda power_lambda_max(const T* X, Index n, Index d, long long iters);

struct NewtonOptions {
  double tol = 1e-10;
  long long max_iter = 100;
};

// Bound as convexify._core.ReluNewtonResult (read-only attributes of these names).
struct NewtonResult {
  Vector<double> w;
  long long iterations = 0;
  double gradient_norm = 0.0;  // ||g(w)||, g = X^T (relu(Xw) - y)  (half-gradient)
  double tolerance = 0.0;      // stopping threshold tol * ||X^T y||
  double relaxed_loss = 0.0;   // L_r(w)
  double loss = 0.0;           // L(w)
  double dual_bound = 0.0;     // ||y||^2 - ||relu(Xw)||^2 (a lower bound of min L_r when g(w) = 0)
  double duality_gap = 0.0;    // L_r(w) - dual_bound = 2 w^T g(w)
  bool converged = false;
  std::string status;      // "converged", "max_iter", "line_search_failed", "diverged"
  Vector<double> history;  // ||g|| per iteration (entry 0 at w0)
};

// Semismooth Newton for min L_r (see docs/relu.md#newton), double precision.  Scale-free: the stopping
// threshold is tol * ||X^T y|| and the Hessian's shift 1e-12 ||X||_F^2 / d, so the iterates on (2^a X, 2^b y)
// are 2^(b-a) times those on (X, y) as long as no intermediate overflows or underflows (the Python layer
// rescales data of extreme magnitude first).  Stops on Ctrl-C (polled per iteration, line-search step and
// panel of the Hessian; throws Interrupted).
NewtonResult newton(Eigen::Ref<const RowMatrix<double>> X, const Vector<double>& y, const Vector<double>& w0,
                    const NewtonOptions& options);

}  // namespace convexify::relu
