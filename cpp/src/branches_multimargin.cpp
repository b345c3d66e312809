// Loss surface of the multi-class margin loss, the loss of Zhang et al.'s landscape figure (see
// docs/branches.md#figure): mean_j (1/C) sum_{c != y_j} max(0, 1 - F_{j,y_j} + F_{j,c}) (PyTorch
// multi_margin_loss, margin 1), for networks with C outputs F = (1/I) sum_k relu(X u_k) A_k, A (P, C)
// (the model of docs/branches.md#model).
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

constexpr Eigen::Index kBlock = 64;  // samples per tile: the (n_beta, C, block) accumulator stays in cache

// F[(b C + c) kBlock + s] = sum_k (A0 + al A1 + be_b A2)_{kc} relu(z0_ks + al z1_ks + be_b z2_ks).
void tile_outputs_multi(Eigen::Index bs, Eigen::Index n, Eigen::Index P, Eigen::Index C, const double* Z0,
                        const double* Z1, const double* Z2, const double* A0, const double* A1,
                        const double* A2, double al, const double* betas, Eigen::Index nb, double* F,
                        double* base, double* h) {
  for (Eigen::Index i = 0; i < nb * C * kBlock; ++i) F[i] = 0.0;
  for (Eigen::Index k = 0; k < P; ++k) {
    const double* z0 = Z0 + k * n;
    const double* z1 = Z1 + k * n;
    const double* z2 = Z2 + k * n;
    for (Eigen::Index s = 0; s < bs; ++s) base[s] = z0[s] + al * z1[s];
    for (Eigen::Index b = 0; b < nb; ++b) {
      const double be = betas[b];
      for (Eigen::Index s = 0; s < bs; ++s) h[s] = std::max(base[s] + be * z2[s], 0.0);
      for (Eigen::Index c = 0; c < C; ++c) {
        const double coef = A0[k * C + c] + al * A1[k * C + c] + be * A2[k * C + c];
        double* Fc = F + (b * C + c) * kBlock;
        for (Eigen::Index s = 0; s < bs; ++s) Fc[s] += coef * h[s];
      }
    }
  }
}

void check_output_weights(const Eigen::Ref<const RowMatrix<double>>& U,
                          const Eigen::Ref<const RowMatrix<double>>& A, Eigen::Index d, Eigen::Index C,
                          int n_branches, const char* nU, const char* nA) {
  require(n_branches >= 1, "n_branches must be >= 1, got " + std::to_string(n_branches));
  require_nonempty(U, nU);
  require_shape(U.rows(), U.cols(), U.rows(), d, nU);
  require_shape(A.rows(), A.cols(), U.rows(), C, nA);
  if (U.rows() % n_branches != 0)
    fail(std::string(nU) + " has " + std::to_string(U.rows()) +
         " units, not a multiple of n_branches = " + std::to_string(n_branches));
  require_finite(U, nU);
  require_finite(A, nA);
}

}  // namespace

RowMatrix<double> surface_multimargin(
    const Eigen::Ref<const ColMatrix<double>>& Xt, const Eigen::Ref<const Vector<double>>& labels,
    const Eigen::Ref<const RowMatrix<double>>& U0, const Eigen::Ref<const RowMatrix<double>>& A0,
    const Eigen::Ref<const RowMatrix<double>>& U1, const Eigen::Ref<const RowMatrix<double>>& A1,
    const Eigen::Ref<const RowMatrix<double>>& U2, const Eigen::Ref<const RowMatrix<double>>& A2,
    const Eigen::Ref<const Vector<double>>& alphas, const Eigen::Ref<const Vector<double>>& betas,
    int n_branches) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  const Eigen::Index d = Xt.rows(), n = Xt.cols(), C = A0.cols();
  require(C >= 2, "A0 must have at least 2 columns (classes), got " + std::to_string(C));
  require(labels.size() == n, "labels must have one entry per row of X: X has " + std::to_string(n) +
                                  " rows, labels has " + std::to_string(labels.size()));
  for (Eigen::Index j = 0; j < n; ++j) {
    const double v = labels[j];
    if (!(v >= 0.0 && v < static_cast<double>(C) && v == static_cast<double>(static_cast<long long>(v))))
      fail("labels must be integers in [0, " + std::to_string(C - 1) + "], got labels[" + std::to_string(j) +
           "] = " + std::to_string(v));
  }
  check_output_weights(U0, A0, d, C, n_branches, "U0", "A0");
  check_output_weights(U1, A1, d, C, n_branches, "U1", "A1");
  check_output_weights(U2, A2, d, C, n_branches, "U2", "A2");
  require(U1.rows() == U0.rows() && U2.rows() == U0.rows(),
          "U0, U1 and U2 must have the same number of units");
  require_nonempty(alphas, "alphas");
  require_nonempty(betas, "betas");
  require_finite(alphas, "alphas");
  require_finite(betas, "betas");

  const Eigen::Index P = U0.rows(), na = alphas.size(), nb = betas.size();
  const double inv_I = 1.0 / static_cast<double>(n_branches);
  const ColMatrix<double> Z0 = Xt.transpose() * U0.transpose();
  const ColMatrix<double> Z1 = Xt.transpose() * U1.transpose();
  const ColMatrix<double> Z2 = Xt.transpose() * U2.transpose();
  // contiguous row-major copies of the output weights (the Refs may carry an outer stride)
  const RowMatrix<double> B0 = A0, B1 = A1, B2 = A2;
  RowMatrix<double> S(na, nb);
  const int nt = threads_for(static_cast<long long>(na) * nb * n * P * C, 4'000'000LL);
  // Ctrl-C: polled by the calling thread between sample tiles, shared through `stop` (as in surface()).
  std::atomic<bool> stop{false};
#ifdef CONVEXIFY_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic)
#endif
  for (Eigen::Index i = 0; i < na; ++i) {
    if (stop.load(std::memory_order_relaxed)) continue;
    std::vector<double> F(static_cast<size_t>(nb * C * kBlock)), base(kBlock), h(kBlock);
    std::vector<double> total(static_cast<size_t>(nb), 0.0);
    for (Eigen::Index j0 = 0; j0 < n; j0 += kBlock) {
      if (stop.load(std::memory_order_relaxed)) break;
      if (interrupted()) {
        stop.store(true, std::memory_order_relaxed);
        break;
      }
      const Eigen::Index bs = std::min(kBlock, n - j0);
      tile_outputs_multi(bs, n, P, C, Z0.data() + j0, Z1.data() + j0, Z2.data() + j0, B0.data(), B1.data(),
                         B2.data(), alphas[i], betas.data(), nb, F.data(), base.data(), h.data());
      for (Eigen::Index b = 0; b < nb; ++b) {
        double acc = 0.0;
        for (Eigen::Index s = 0; s < bs; ++s) {
          const auto yc = static_cast<Eigen::Index>(labels[j0 + s]);
          const double fy = F[(b * C + yc) * kBlock + s] * inv_I;
          double l = 0.0;
          for (Eigen::Index c = 0; c < C; ++c)
            if (c != yc) l += std::max(0.0, 1.0 - fy + F[(b * C + c) * kBlock + s] * inv_I);
          acc += l / static_cast<double>(C);
        }
        total[b] += acc;
      }
    }
    for (Eigen::Index b = 0; b < nb; ++b) S(i, b) = total[b] / static_cast<double>(n);
  }
  throw_if_interrupted();
  return S;
}

}  // namespace convexify::branches
