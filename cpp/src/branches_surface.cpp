// Batched loss-surface evaluation on a plane of parameter space (see docs/branches.md#slices).
#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "convexify/branches.hpp"
#include "convexify/interrupt.hpp"
#include "convexify/threads.hpp"
#include "convexify/simd.hpp"

namespace convexify::branches {

namespace {
constexpr Eigen::Index kSampleBlock =
    256;  // samples per tile: the (n_beta, block) accumulator stays in cache

// F[b * kSampleBlock + s] = sum_k (a0_k + al a1_k + be_b a2_k) relu(z0_ks + al z1_ks + be_b z2_ks) for the
// samples s < bs of one tile; zk point at column 0 of the (n, P) column-major matrices, offset to the tile.
void tile_outputs(Eigen::Index bs, Eigen::Index n, Eigen::Index P, const double* Z0, const double* Z1,
                  const double* Z2, const double* a0, const double* a1, const double* a2, double al,
                  const double* betas, Eigen::Index nb, double* F, double* base) {
  for (Eigen::Index i = 0; i < nb * kSampleBlock; ++i) F[i] = 0.0;
  for (Eigen::Index k = 0; k < P; ++k) {
    const double* z0 = Z0 + k * n;
    const double* z1 = Z1 + k * n;
    const double* z2 = Z2 + k * n;
    for (Eigen::Index s = 0; s < bs; ++s) base[s] = z0[s] + al * z1[s];
    const double ak = a0[k] + al * a1[k];
    const double a2k = a2[k];
    for (Eigen::Index b = 0; b < nb; ++b) {
      const double be = betas[b];
      const double coef = ak + be * a2k;
      double* Fb = F + b * kSampleBlock;
      for (Eigen::Index s = 0; s < bs; ++s) Fb[s] += coef * std::max(base[s] + be * z2[s], 0.0);
    }
  }
}
}  // namespace

RowMatrix<double> surface(
    const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& y,
    const Eigen::Ref<const RowMatrix<double>>& U0, const Eigen::Ref<const Vector<double>>& a0,
    const Eigen::Ref<const RowMatrix<double>>& U1, const Eigen::Ref<const Vector<double>>& a1,
    const Eigen::Ref<const RowMatrix<double>>& U2, const Eigen::Ref<const Vector<double>>& a2,
    const Eigen::Ref<const Vector<double>>& alphas, const Eigen::Ref<const Vector<double>>& betas,
    int n_branches, double tau, Loss loss) {
  check_data(Xt, y);
  const Eigen::Index d = Xt.rows();
  check_params(U0, a0, d, n_branches, "U0", "a0");
  check_params(U1, a1, d, n_branches, "U1", "a1");
  check_params(U2, a2, d, n_branches, "U2", "a2");
  require(U1.rows() == U0.rows() && U2.rows() == U0.rows(),
          "U0, U1 and U2 must have the same number of units");
  require_positive(tau, "tau");
  require_nonempty(alphas, "alphas");
  require_nonempty(betas, "betas");
  require_finite(alphas, "alphas");
  require_finite(betas, "betas");

  const Eigen::Index n = Xt.cols(), P = U0.rows(), na = alphas.size(), nb = betas.size();
  const double inv_I = 1.0 / static_cast<double>(n_branches);
  // The three GEMMs: Zk = X Uk^T, (n, P), column k = unit k's pre-activations over the samples.
  const ColMatrix<double> Z0 = Xt.transpose() * U0.transpose();
  const ColMatrix<double> Z1 = Xt.transpose() * U1.transpose();
  const ColMatrix<double> Z2 = Xt.transpose() * U2.transpose();
  RowMatrix<double> S(na, nb);

  const int nt = threads_for(static_cast<long long>(na) * nb * n * P, 4'000'000LL);
  // Ctrl-C: the calling thread polls between sample tiles; every thread skips the rows left once it is seen
  // (dynamic schedule, so that the calling thread keeps polling until the last rows).  Each value is still
  // computed in a fixed order, whichever thread computes it.
  std::atomic<bool> stop{false};
#ifdef CONVEXIFY_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic)
#endif
  for (Eigen::Index i = 0; i < na; ++i) {
    if (stop.load(std::memory_order_relaxed)) continue;
    const double al = alphas[i];
    std::vector<double> F(static_cast<size_t>(nb * kSampleBlock));
    std::vector<double> base(static_cast<size_t>(kSampleBlock));
    std::vector<double> total(static_cast<size_t>(nb), 0.0);
    for (Eigen::Index j0 = 0; j0 < n; j0 += kSampleBlock) {
      if (stop.load(std::memory_order_relaxed)) break;
      if (interrupted()) {
        stop.store(true, std::memory_order_relaxed);
        break;
      }
      const Eigen::Index bs = std::min(kSampleBlock, n - j0);
      tile_outputs(bs, n, P, Z0.data() + j0, Z1.data() + j0, Z2.data() + j0, a0.data(), a1.data(), a2.data(),
                   al, betas.data(), nb, F.data(), base.data());
      for (Eigen::Index b = 0; b < nb; ++b) {
        const double* Fb = F.data() + b * kSampleBlock;
        double acc = 0.0;
        for (Eigen::Index s = 0; s < bs; ++s) acc += margin_loss(y[j0 + s] * Fb[s] * inv_I / tau, loss);
        total[b] += acc;
      }
    }
    for (Eigen::Index b = 0; b < nb; ++b) S(i, b) = total[b] / static_cast<double>(n);
  }
  throw_if_interrupted();
  return S;
}

}  // namespace convexify::branches
