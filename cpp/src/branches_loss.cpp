// Forward pass, tau-hinge / squared tau-hinge loss and gradient of a multi-branch network (survey eqs. 16-17;
// see docs/branches.md#model).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "convexify/branches.hpp"
#include "convexify/interrupt.hpp"
#include "convexify/simd.hpp"

namespace convexify::branches {

namespace {

constexpr Eigen::Index kRows = 4;   // samples per register tile
constexpr Eigen::Index kUnits = 8;  // units per register tile (the unit count is padded to a multiple)

// Backward tile: gUT[t][k] += sum_{r < kBack} X[rows[r]][t] w[r][k] (rows beyond `count` are zero).
constexpr Eigen::Index kBack = 8;

// Samples between two Ctrl-C polls of the fused pass (a multiple of kRows).
constexpr Eigen::Index kPollRows = 64 * kRows;

// Fused pass over the samples, kRows at a time: z = X U^T (register-tiled), f, r_j = dR/df_j, then dR/da.
// Samples with r_j != 0 (the hinge is active) are queued, kBack at a time, for dR/dU^T; the others contribute
// nothing and are skipped.  Everything runs in sample order, so the result is deterministic.  Xr: (n, d)
// row-major; UT, gUT: (d, Pp) row-major with Pp a multiple of kUnits (padding units have a = 0).
double fused_loss_gradient(Eigen::Index n, Eigen::Index d, Eigen::Index Pp, const double* __restrict Xr,
                           const double* __restrict UT, const double* __restrict a,
                           const double* __restrict y, double inv_I, double tau, Loss loss,
                           double* __restrict gUT, double* __restrict ga, double* __restrict zbuf,
                           double* __restrict wbuf) {
  double total = 0.0;
  Eigen::Index queued = 0;
  Eigen::Index rows[kBack] = {};
  auto flush = [&]() {
    if (queued == 0) return;
    for (Eigen::Index r = queued; r < kBack; ++r)
      for (Eigen::Index k = 0; k < Pp; ++k) wbuf[r * Pp + k] = 0.0;
    double xs[kBack];
    for (Eigen::Index t = 0; t < d; ++t) {
      for (Eigen::Index r = 0; r < kBack; ++r) xs[r] = r < queued ? Xr[rows[r] * d + t] : 0.0;
      double* g = gUT + t * Pp;
      const double* w = wbuf;
      for (Eigen::Index k = 0; k < Pp; ++k)
        g[k] += xs[0] * w[k] + xs[1] * w[Pp + k] + xs[2] * w[2 * Pp + k] + xs[3] * w[3 * Pp + k] +
                xs[4] * w[4 * Pp + k] + xs[5] * w[5 * Pp + k] + xs[6] * w[6 * Pp + k] + xs[7] * w[7 * Pp + k];
    }
    queued = 0;
  };
  for (Eigen::Index j0 = 0; j0 < n; j0 += kRows) {
    // Ctrl-C: poll every kPollRows samples (the check itself is rate-limited); the caller throws.
    if (j0 % kPollRows == 0 && interrupted()) return total;
    const Eigen::Index jb = std::min(kRows, n - j0);
    double xs[kRows];
    for (Eigen::Index k0 = 0; k0 < Pp; k0 += kUnits) {
      double acc[kRows][kUnits] = {};
      for (Eigen::Index t = 0; t < d; ++t) {
        const double* ut = UT + t * Pp + k0;
        for (Eigen::Index r = 0; r < kRows; ++r) xs[r] = r < jb ? Xr[(j0 + r) * d + t] : 0.0;
        for (Eigen::Index r = 0; r < kRows; ++r)
          for (Eigen::Index c = 0; c < kUnits; ++c) acc[r][c] += xs[r] * ut[c];
      }
      for (Eigen::Index r = 0; r < kRows; ++r)
        for (Eigen::Index c = 0; c < kUnits; ++c) zbuf[r * Pp + k0 + c] = acc[r][c];
    }
    for (Eigen::Index r = 0; r < jb; ++r) {
      const double* z = zbuf + r * Pp;
      // kUnits partial sums (Pp is a multiple of kUnits): vectorisable, in a fixed order
      double part[kUnits] = {};
      for (Eigen::Index k0 = 0; k0 < Pp; k0 += kUnits)
        for (Eigen::Index c = 0; c < kUnits; ++c) part[c] += a[k0 + c] * std::max(z[k0 + c], 0.0);
      double f = 0.0;
      for (Eigen::Index c = 0; c < kUnits; ++c) f += part[c];
      f *= inv_I;
      const double yj = y[j0 + r];
      const double m = yj * f / tau;
      total += margin_loss(m, loss);
      const double rj = margin_loss_slope(m, loss) * yj / (tau * static_cast<double>(n));
      if (rj == 0.0) continue;
      const double ra = rj * inv_I;
      for (Eigen::Index k = 0; k < Pp; ++k) ga[k] += ra * std::max(z[k], 0.0);
      double* w = wbuf + queued * Pp;
      for (Eigen::Index k = 0; k < Pp; ++k) w[k] = ra * a[k];
      for (Eigen::Index k = 0; k < Pp; ++k) w[k] = z[k] > 0.0 ? w[k] : 0.0;
      rows[queued++] = j0 + r;
      if (queued == kBack) flush();
    }
  }
  flush();
  return total;
}

}  // namespace

void check_data(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  require(y.size() == Xt.cols(), "y must have one label per row of X: X has " + std::to_string(Xt.cols()) +
                                     " rows, y has " + std::to_string(y.size()));
  for (Eigen::Index j = 0; j < y.size(); ++j)
    if (!(y[j] == 1.0 || y[j] == -1.0))
      fail("y must contain labels in {-1, +1}, got y[" + std::to_string(j) + "] = " + std::to_string(y[j]));
}

void check_params(const Eigen::Ref<const RowMatrix<double>>& U, const Eigen::Ref<const Vector<double>>& a,
                  Eigen::Index d, int n_branches, const char* name_U, const char* name_a) {
  require(n_branches >= 1, "n_branches must be >= 1, got " + std::to_string(n_branches));
  require_nonempty(U, name_U);
  require_shape(U.rows(), U.cols(), U.rows(), d, name_U);
  require_shape(a.rows(), a.cols(), U.rows(), 1, name_a);
  if (U.rows() % n_branches != 0)
    fail(std::string(name_U) + " has " + std::to_string(U.rows()) +
         " units, not a multiple of n_branches = " + std::to_string(n_branches));
  require_finite(U, name_U);
  require_finite(a, name_a);
}

Vector<double> forward(const Eigen::Ref<const ColMatrix<double>>& Xt,
                       const Eigen::Ref<const RowMatrix<double>>& U,
                       const Eigen::Ref<const Vector<double>>& a, int n_branches) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  check_params(U, a, Xt.rows(), n_branches, "U", "a");
  // H = relu(X U^T), (n, P); f = H a / I.
  const ColMatrix<double> H = (Xt.transpose() * U.transpose()).cwiseMax(0.0);
  return (H * a) / static_cast<double>(n_branches);
}

LossGradient loss_gradient(const Eigen::Ref<const ColMatrix<double>>& Xt,
                           const Eigen::Ref<const Vector<double>>& y,
                           const Eigen::Ref<const RowMatrix<double>>& U,
                           const Eigen::Ref<const Vector<double>>& a, int n_branches, double tau, Loss loss) {
  check_data(Xt, y);
  check_params(U, a, Xt.rows(), n_branches, "U", "a");
  require_positive(tau, "tau");
  const Eigen::Index n = Xt.cols(), d = Xt.rows(), P = U.rows();
  const Eigen::Index Pp = (P + kUnits - 1) / kUnits * kUnits;
  // U^T padded to Pp units; Xt's columns are the rows of the row-major (n, d) data (contiguous).
  RowMatrix<double> UT = RowMatrix<double>::Zero(d, Pp);
  UT.leftCols(P) = U.transpose();
  Vector<double> ap = Vector<double>::Zero(Pp);
  ap.head(P) = a;
  ColMatrix<double> Xc;  // a copy only if the caller's view is not contiguous
  const double* Xr = Xt.data();
  if (Xt.outerStride() != d) {
    Xc = Xt;
    Xr = Xc.data();
  }
  RowMatrix<double> gUT = RowMatrix<double>::Zero(d, Pp);
  Vector<double> ga = Vector<double>::Zero(Pp);
  std::vector<double> zbuf(static_cast<size_t>(kRows * Pp)), wbuf(static_cast<size_t>(kBack * Pp));
  const double total =
      fused_loss_gradient(n, d, Pp, Xr, UT.data(), ap.data(), y.data(), 1.0 / static_cast<double>(n_branches),
                          tau, loss, gUT.data(), ga.data(), zbuf.data(), wbuf.data());
  throw_if_interrupted();
  LossGradient out;
  out.loss = total / static_cast<double>(n);
  out.grad_a = ga.head(P);
  out.grad_U = gUT.leftCols(P).transpose();
  return out;
}

}  // namespace convexify::branches
