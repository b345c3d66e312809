// Forward pass, tau-hinge / squared tau-hinge loss and gradient of a multi-branch network (SPEC 5.1).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "convexify/branches.hpp"

namespace convexify::branches {

namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CONVEXIFY_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CONVEXIFY_SIMD_CLONES
#endif

constexpr Eigen::Index kRows = 4;   // samples per register tile
constexpr Eigen::Index kUnits = 8;  // units per register tile (the unit count is padded to a multiple)

// Fused pass over the samples, kRows at a time: z = X U^T (register-tiled), f, r_j = dR/df_j, then
// dR/da and dR/dU^T accumulated in a fixed order.  Xr: (n, d) row-major; UT, gUT: (d, Pp) row-major with
// Pp a multiple of kUnits (padding units have a = 0 and contribute nothing).  Returns the summed loss.
CONVEXIFY_SIMD_CLONES
double fused_loss_gradient(Eigen::Index n, Eigen::Index d, Eigen::Index Pp, const double* __restrict Xr,
                           const double* __restrict UT, const double* __restrict a, const double* __restrict y,
                           double inv_I, double tau, int loss_kind, double* __restrict gUT, double* __restrict ga,
                           double* __restrict zbuf, double* __restrict wbuf) {
  const Loss loss = static_cast<Loss>(loss_kind);
  double total = 0.0;
  for (Eigen::Index j0 = 0; j0 < n; j0 += kRows) {
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
    for (Eigen::Index r = 0; r < kRows; ++r) {
      double* z = zbuf + r * Pp;
      double* w = wbuf + r * Pp;
      if (r >= jb) {
        for (Eigen::Index k = 0; k < Pp; ++k) w[k] = 0.0;
        continue;
      }
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
      const double ra = rj * inv_I;
      for (Eigen::Index k = 0; k < Pp; ++k) ga[k] += ra * std::max(z[k], 0.0);
      for (Eigen::Index k = 0; k < Pp; ++k) w[k] = ra * a[k];
      for (Eigen::Index k = 0; k < Pp; ++k) w[k] = z[k] > 0.0 ? w[k] : 0.0;
    }
    for (Eigen::Index t = 0; t < d; ++t) {
      for (Eigen::Index r = 0; r < kRows; ++r) xs[r] = r < jb ? Xr[(j0 + r) * d + t] : 0.0;
      double* g = gUT + t * Pp;
      for (Eigen::Index k = 0; k < Pp; ++k)
        g[k] += xs[0] * wbuf[k] + xs[1] * wbuf[Pp + k] + xs[2] * wbuf[2 * Pp + k] + xs[3] * wbuf[3 * Pp + k];
    }
  }
  return total;
}

}  // namespace

Loss loss_from_int(int kind) {
  require(kind == 0 || kind == 1, "loss must be 0 (tau-hinge) or 1 (squared tau-hinge), got " + std::to_string(kind));
  return static_cast<Loss>(kind);
}

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
    fail(std::string(name_U) + " has " + std::to_string(U.rows()) + " units, not a multiple of n_branches = " +
         std::to_string(n_branches));
  require_finite(U, name_U);
  require_finite(a, name_a);
}

Vector<double> forward(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const RowMatrix<double>>& U,
                       const Eigen::Ref<const Vector<double>>& a, int n_branches) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  check_params(U, a, Xt.rows(), n_branches, "U", "a");
  // H = relu(X U^T), (n, P); f = H a / I.
  const ColMatrix<double> H = (Xt.transpose() * U.transpose()).cwiseMax(0.0);
  return (H * a) / static_cast<double>(n_branches);
}

LossGradient loss_gradient(const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y,
                           const Eigen::Ref<const RowMatrix<double>>& U, const Eigen::Ref<const Vector<double>>& a,
                           int n_branches, double tau, Loss loss) {
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
  std::vector<double> zbuf(static_cast<size_t>(kRows * Pp)), wbuf(static_cast<size_t>(kRows * Pp));
  const double total = fused_loss_gradient(n, d, Pp, Xr, UT.data(), ap.data(), y.data(),
                                           1.0 / static_cast<double>(n_branches), tau, static_cast<int>(loss),
                                           gUT.data(), ga.data(), zbuf.data(), wbuf.data());
  LossGradient out;
  out.loss = total / static_cast<double>(n);
  out.grad_a = ga.head(P);
  out.grad_U = gUT.leftCols(P).transpose();
  return out;
}

}  // namespace convexify::branches
