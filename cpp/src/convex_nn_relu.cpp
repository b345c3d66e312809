// ADMM for the C-ReLU program (docs/convex_nn.md#relu).  With u = (v_1..v_P, w_1..w_P) and sigma_j = +1
// for the v-rows, -1 for the w-rows, the splitting is
//   min L(z) + lam sum_j ||s_j|| + 1[t >= 0]
//   s.t. z = F u,  omega u = omega s,  t_j = tau (2 D_j - I) X u_j,   F u = sum_j sigma_j D_j X u_j.
// Since (2 D - I)^2 = I, the u-update's matrix is blockdiag(B) + F^T F with B = omega^2 I + tau^2 X^T X,
// and by Woodbury only B (d x d) and S = I + F blockdiag(B)^-1 F^T = I + 2 H o (M M^T), H = X B^-1 X^T
// (n x n), are factorised, once: rho does not enter, so it adapts for free (Boyd et al. 2011, sec. 3.4.1).
// The duals of the cone rows, mu = -rho tau gamma >= 0, certify: (theta g, theta mu) with g = grad L at the
// network's prediction is dual feasible once theta scales max_j ||X^T (sigma_j D_j g - (2 D_j - I) mu_j)||
// down to lam.
#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

#include "convex_nn_loss.hpp"
#include "convexify/convex_nn.hpp"
#include "convexify/interrupt.hpp"

namespace convexify::convex_nn {

namespace {

using Mat = RowMatrix<double>;
using ColMat = Eigen::MatrixXd;

// Row weights of the splitting: omega on s = u (times the rms column norm of X, so the weights follow X's
// scale) and tau on the cone rows t = tau (2 D - I) X u.  Chosen on breast_cancer and small enumerated
// problems (docs/convex_nn.md#relu): unit weights converge ~10x slower.
constexpr double kOmega = 0.03;
constexpr double kTau = 0.03;

struct Relu {
  const Eigen::Ref<const Mat>& X;
  const Eigen::Ref<const Vec>& y;
  const Eigen::Ref<const Mat>& M;
  LossSpec loss;
  double lam;
  Eigen::Index n, d, P;
  Mat Sg;   // 2 M - 1
  Mat Sg2;  // [Sg, Sg]: the signs of the cone rows of every v and w column

  // F u for the (n, 2P) products XU = X u^T
  Vec apply_F(const Mat& XU) const {
    return XU.leftCols(P).cwiseProduct(M).rowwise().sum() - XU.rightCols(P).cwiseProduct(M).rowwise().sum();
  }
  // The ReLU network's prediction sum_i relu(X v_i) - relu(X w_i)
  Vec network(const Mat& XU) const {
    return XU.leftCols(P).cwiseMax(0.0).rowwise().sum() - XU.rightCols(P).cwiseMax(0.0).rowwise().sum();
  }
  // max_j ||X^T (sigma_j D_j g - (2 D_j - I) mu_j)||, mu (n, 2P)
  double dual_norm(const Vec& g, const Mat& mu) const {
    Mat Q(n, 2 * P);
    Q.leftCols(P) = (M.array().colwise() * g.array()).matrix() - Sg.cwiseProduct(mu.leftCols(P));
    Q.rightCols(P) = -(M.array().colwise() * g.array()).matrix() - Sg.cwiseProduct(mu.rightCols(P));
    Mat R = Q.transpose() * X;
    return R.rowwise().norm().maxCoeff();
  }
  double cone_violation(const Mat& XU) const {
    double worst = 0, scale = 0;
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < 2 * P; ++j) {
        const double v = XU(i, j), s = Sg(i, j % P);
        worst = std::max(worst, -s * v);
        scale = std::max(scale, std::abs(v));
      }
    return scale > 0 ? worst / scale : 0.0;
  }
};

}  // namespace

ReluResult solve_relu(const Eigen::Ref<const Mat>& X, const Eigen::Ref<const Vec>& y,
                      const Eigen::Ref<const Mat>& masks, const ReluOptions& opt) {
  require(X.rows() == y.size() && X.rows() == masks.rows(),
          "X, y and masks must have the same number of rows");
  require(opt.lam >= 0, "lam must be >= 0");
  const Eigen::Index n = X.rows(), d = X.cols(), P = masks.cols(), K = 2 * P;
  require(n >= 1 && d >= 1 && P >= 1, "X and masks must be non-empty");
  require(n <= 10000, "formulation='relu' factorises an n x n matrix: n must be <= 10000");
  Relu pb{X, y, masks, opt.loss, opt.lam, n, d, P, (2.0 * masks.array() - 1.0).matrix(), {}};
  pb.Sg2 = pb.Sg.replicate(1, 2);
  ReluResult res;

  // omega balances the weight rows against the prediction rows (scale-equivariant in X).
  const double xs = X.squaredNorm() / double(std::max<Eigen::Index>(d, 1));
  const double omega = kOmega * (xs > 0 ? std::sqrt(xs) : 1.0);
  const double tau = kTau;
  ColMat B = tau * tau * (X.transpose() * X);
  B.diagonal().array() += omega * omega;
  Eigen::LLT<ColMat> llt_B(B);
  ColMat S;
  {
    ColMat BiXt = llt_B.solve(ColMat(X.transpose()));  // (d, n)
    S = masks * masks.transpose();
    ColMat H = X * BiXt;
    S = (2.0 * H.cwiseProduct(S)).eval();  // H = X B^-1 X^T, independent of tau
  }
  S.diagonal().array() += 1.0;
  Eigen::LLT<ColMat> llt_S(S);
  S.resize(0, 0);
  require(llt_B.info() == Eigen::Success && llt_S.info() == Eigen::Success,
          "the ADMM factorisation failed (X holds non-finite values?)");

  Mat u = Mat::Zero(K, d), sp = Mat::Zero(K, d), beta = Mat::Zero(K, d);
  Mat t = Mat::Zero(n, K), gamma = Mat::Zero(n, K);
  Vec z = Vec::Zero(n), alpha = Vec::Zero(n);
  double rho = 1.0 / double(n);  // the curvature of the losses, 1/n
  int wait = 10, next_change = 0;
  Mat XU(n, K), R(n, K);
  int k = 0;
  for (; k < opt.max_iter; ++k) {
    if (interrupted()) break;
    // u-update: (blockdiag(B) + F^T F) u = F^T (z - alpha) + omega (sp - beta) + G^T (t - gamma)
    const Vec za = z - alpha;
    R.leftCols(P) = (masks.array().colwise() * za.array()).matrix() +
                    tau * pb.Sg.cwiseProduct(t.leftCols(P) - gamma.leftCols(P));
    R.rightCols(P) = -(masks.array().colwise() * za.array()).matrix() +
                     tau * pb.Sg.cwiseProduct(t.rightCols(P) - gamma.rightCols(P));
    Mat r = R.transpose() * X + omega * (sp - beta);
    Mat q = llt_B.solve(ColMat(r.transpose())).transpose();
    XU.noalias() = X * q.transpose();
    const Vec w = llt_S.solve(pb.apply_F(XU));
    Mat C = (masks.array().colwise() * w.array()).matrix().transpose() * X;  // (P, d)
    Mat CB = llt_B.solve(ColMat(C.transpose())).transpose();
    u.topRows(P) = q.topRows(P) - CB;
    u.bottomRows(P) = q.bottomRows(P) + CB;
    XU.noalias() = X * u.transpose();

    // y-update (z, s, t) and the scaled duals
    const Vec Fu = pb.apply_F(XU);
    const Vec cz = Fu + alpha;
    const Vec z_old = z;
    z = loss_prox(opt.loss, y, cz, rho);
    alpha = cz - z;
    const Mat cs = omega * u + beta;
    const Mat sp_old = sp;
    sp = cs;
    group_shrink(sp, opt.lam / (omega * rho));
    beta = cs - sp;
    const Mat ct = tau * pb.Sg2.cwiseProduct(XU) + gamma;
    const Mat t_old = t;
    t = ct.cwiseMax(0.0);
    gamma = ct - t;

    if (k % 10 == 9 || k + 1 == opt.max_iter) {
      // certificate of the sparse iterate s = sp / omega, as a ReLU network
      const Mat Uc = sp / omega;
      const Mat XUc = X * Uc.transpose();
      const Vec yhat = pb.network(XUc);
      res.primal = loss_value(opt.loss, y, yhat) + opt.lam * Uc.rowwise().norm().sum();
      const Vec g = loss_grad(opt.loss, y, yhat);
      const double mx = pb.dual_norm(g, (-rho * tau * gamma).cwiseMax(0.0));
      const double theta = mx > opt.lam ? opt.lam / mx : 1.0;
      res.dual = loss_neg_conj(opt.loss, y, theta * g);
      res.gap = res.primal - res.dual;
      res.cone_violation = pb.cone_violation(XUc);
      if (res.gap <= opt.tol * std::abs(res.primal)) {
        res.converged = true;
        ++k;
        break;
      }
      // residual balancing (Boyd et al. 2011, eq. 3.13); the scaled duals follow rho
      const double rp = std::sqrt((Fu - z).squaredNorm() + (omega * u - sp).squaredNorm() +
                                  (tau * pb.Sg2.cwiseProduct(XU) - t).squaredNorm());
      const double rd = rho * std::sqrt((z - z_old).squaredNorm() + (sp - sp_old).squaredNorm() +
                                        (t - t_old).squaredNorm());
      // (each change doubles the wait before the next one: unbounded changes can cycle and stall ADMM)
      const double f = k < next_change ? 1.0 : rp > 10 * rd ? 2.0 : (rd > 10 * rp ? 0.5 : 1.0);
      if (f != 1.0) {
        wait *= 2;
        next_change = k + wait;
        rho *= f;
        alpha /= f;
        beta /= f;
        gamma /= f;
      }
    }
  }
  throw_if_interrupted();
  res.V = sp.topRows(P) / omega;
  res.W = sp.bottomRows(P) / omega;
  res.n_iter = k;
  return res;
}

}  // namespace convexify::convex_nn
