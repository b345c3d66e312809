// Newton on the active groups of the gated program.  On the active set the objective is smooth:
//   grad_i = X^T D_i L'(z) + lam u_i / ||u_i||,
//   H = J^T W J + blockdiag(c_i (I - uhat_i uhat_i^T)),   J = [D_1 X, ..., D_k X],  c_i = lam / ||u_i||,
// with W = diag(L'') the per-sample second derivative of the loss (1/n squared, sigma (1 - sigma) / n
// logistic, 1[y z < 1] / n squared hinge: a generalised Hessian).  The Newton system is solved exactly in
// O(n^2 k + n^3) rather than O((k d)^3): H = P - Uc Uc^T with P = C + J^T W J (C = blockdiag(c_i I)) and
// Uc's column i the vector sqrt(c_i) uhat_i in block i, so by Woodbury H^-1 = P^-1 + P^-1 Uc K^-1 Uc^T P^-1 with
// K = I - Uc^T P^-1 Uc (k x k), and again by Woodbury P^-1 = C^-1 - C^-1 J^T W^1/2 S^-1 W^1/2 J C^-1 with
// S = I + W^1/2 [(X X^T) o (M C^-1 M^T)] W^1/2 (n x n).  Then K = At^T S^-1 At with
// At = W^1/2 [m_i o (X uhat_i) / sqrt(c_i)]_i.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Cholesky>

#include "convex_nn_loss.hpp"
#include "convex_nn_newton.hpp"
#include "convexify/interrupt.hpp"

namespace convexify::convex_nn {

namespace {

using Mat = RowMatrix<double>;
using ColMat = Eigen::MatrixXd;

constexpr Eigen::Index kMaxRows = 4000;  // the finish factorises n x n matrices; above this, FISTA alone


}  // namespace

int gated_newton_finish(const Eigen::Ref<const Mat>& X, const Eigen::Ref<const Vec>& y,
                        const Eigen::Ref<const Mat>& masks, double lam, const LossSpec& loss, Mat& U, int max_steps) {
  const Eigen::Index n = X.rows(), d = X.cols();
  std::vector<Eigen::Index> act;
  for (Eigen::Index i = 0; i < U.rows(); ++i)
    if (U.row(i).squaredNorm() > 0) act.push_back(i);
  const Eigen::Index k = Eigen::Index(act.size());
  if (k == 0 || n > kMaxRows) return 0;
  Mat Ma(n, k), u(k, d);
  for (Eigen::Index a = 0; a < k; ++a) {
    Ma.col(a) = masks.col(act[a]);
    u.row(a) = U.row(act[a]);
  }
  auto predict = [&](const Mat& V) -> Vec { return (X * V.transpose()).cwiseProduct(Ma).rowwise().sum(); };
  auto objective = [&](const Mat& V, const Vec& z) {
    return loss_value(loss, y, z) + lam * V.rowwise().norm().sum();
  };
  const ColMat XXt = X * X.transpose();
  Vec z = predict(u);
  double F = objective(u, z);
  const Vec start_norm = u.rowwise().norm();
  std::vector<char> live(static_cast<size_t>(k), 1);  // groups dropped to zero on the way stay out
  int accepted = 0;
  double g0 = -1, g_prev = std::numeric_limits<double>::infinity();
  int slow = 0;
  for (int step = 0; step < max_steps; ++step) {
    if (interrupted()) break;
    const Vec gl = loss_grad(loss, y, z), w = loss_curvature(loss, y, z);
    Vec nrm = u.rowwise().norm();
    Mat uhat = Mat::Zero(k, d);
    for (Eigen::Index a = 0; a < k; ++a)
      if (live[size_t(a)]) uhat.row(a) = u.row(a) / nrm[a];
    Mat grad = (Ma.array().colwise() * gl.array()).matrix().transpose() * X;
    grad += lam * uhat;
    for (Eigen::Index a = 0; a < k; ++a)
      if (!live[size_t(a)]) grad.row(a).setZero();
    const double gn = grad.norm();
    if (g0 < 0) g0 = gn;
    if (!(gn > 0)) break;
    // a group heading for zero keeps the gradient from falling: leave it to the proximal steps
    slow = gn > 0.5 * g_prev ? slow + 1 : 0;
    if (slow >= 3) break;
    g_prev = gn;
    // Newton direction s = -H^-1 grad, exactly (Woodbury twice; see the header comment)
    std::vector<Eigen::Index> L;
    for (Eigen::Index a = 0; a < k; ++a)
      if (live[size_t(a)]) L.push_back(a);
    const Eigen::Index q = Eigen::Index(L.size());
    Mat Ml(n, q), uh(q, d), gq(q, d);
    Vec c(q);
    for (Eigen::Index b = 0; b < q; ++b) {
      Ml.col(b) = Ma.col(L[size_t(b)]);
      uh.row(b) = uhat.row(L[size_t(b)]);
      gq.row(b) = grad.row(L[size_t(b)]);
      c[b] = lam / nrm[L[size_t(b)]];
    }
    const Vec sw = w.cwiseSqrt();
    // S = I + diag(sw) [(X X^T) o (Ml C^-1 Ml^T)] diag(sw)
    ColMat S = (Ml * c.cwiseInverse().asDiagonal()) * Ml.transpose();
    S = S.cwiseProduct(XXt).eval();
    S = sw.asDiagonal() * S * sw.asDiagonal();
    S.diagonal().array() += 1.0;
    Eigen::LLT<ColMat> llt_S(S);
    auto apply_J = [&](const Mat& V) -> Vec { return (X * V.transpose()).cwiseProduct(Ml).rowwise().sum(); };
    auto apply_Jt = [&](const Vec& r) -> Mat {
      return (Ml.array().colwise() * r.array()).matrix().transpose() * X;
    };
    auto apply_Pinv = [&](const Mat& R) -> Mat {  // (C + J^T W J)^-1 R
      const Mat T = c.cwiseInverse().asDiagonal() * R;
      const Vec t = llt_S.solve(Vec(sw.cwiseProduct(apply_J(T))));
      return T - c.cwiseInverse().asDiagonal() * apply_Jt(sw.cwiseProduct(t));
    };
    // H = P - Uc Uc^T with column b of Uc = sqrt(c_b) uhat_b in block b; K = I - Uc^T P^-1 Uc = At^T S^-1 At,
    // At = diag(sw) [m_b o (X uhat_b) / sqrt(c_b)]_b
    ColMat At = (X * uh.transpose()).cwiseProduct(Ml) * c.cwiseSqrt().cwiseInverse().asDiagonal();
    At = sw.asDiagonal() * At;
    ColMat K = At.transpose() * llt_S.solve(At);
    Eigen::LDLT<ColMat> ldlt_K(K);
    // K singular (more active coordinates than the data determine: a degenerate, non-unique optimum) leaves
    // the exact solve ill-posed; conjugate gradients below then stay in the range of H
    const Vec piv = ldlt_K.vectorD();
    const bool direct_ok = llt_S.info() == Eigen::Success && ldlt_K.info() == Eigen::Success && q > 0 &&
                           piv.minCoeff() > 1e-10 * piv.maxCoeff();
    const Mat p = apply_Pinv(gq);
    const Vec utp = (uh.cwiseProduct(p)).rowwise().sum().cwiseProduct(c.cwiseSqrt());  // Uc^T P^-1 g
    const Vec beta = ldlt_K.solve(utp);
    const Mat Ub = (beta.cwiseProduct(c.cwiseSqrt())).asDiagonal() * uh;  // Uc beta
    const Mat hq = p + apply_Pinv(Ub);                                    // H^-1 g
    Mat s = Mat::Zero(k, d);
    for (Eigen::Index b = 0; b < q; ++b) s.row(L[size_t(b)]) = -hq.row(b);
    // fallback where the exact solve fails (a singular H on degenerate problems): block-Jacobi PCG, which
    // solves consistent singular systems
    auto cg_direction = [&]() -> Mat {
      auto hess = [&](const Mat& V) -> Mat {
        const Vec zv = w.cwiseProduct(predict(V));
        Mat out = (Ma.array().colwise() * zv.array()).matrix().transpose() * X;
        for (Eigen::Index a = 0; a < k; ++a) {
          if (!live[size_t(a)]) {
            out.row(a).setZero();
            continue;
          }
          out.row(a) += (lam / nrm[a]) * (V.row(a) - uhat.row(a).dot(V.row(a)) * uhat.row(a));
        }
        return out;
      };
      std::vector<Eigen::LLT<ColMat>> pre(static_cast<size_t>(k));
      for (Eigen::Index a = 0; a < k; ++a) {
        const Vec mw = Ma.col(a).cwiseProduct(w);
        ColMat Bk = X.transpose() * (X.array().colwise() * mw.array()).matrix();
        const double ca = live[size_t(a)] ? lam / nrm[a] : 1.0;
        Bk += ca * (ColMat::Identity(d, d) - uhat.row(a).transpose() * uhat.row(a));
        Bk.diagonal().array() += 1e-12 * std::max(Bk.diagonal().maxCoeff(), 1e-300);
        pre[size_t(a)].compute(Bk);
      }
      auto precond = [&](const Mat& R) {
        Mat out = Mat::Zero(k, d);
        for (Eigen::Index a = 0; a < k; ++a)
          if (live[size_t(a)]) out.row(a) = pre[size_t(a)].solve(R.row(a).transpose()).transpose();
        return out;
      };
      // PCG on H s = -grad, forcing term min(0.5, ||g|| / ||g_0||) (superlinear inexact Newton)
      Mat sc = Mat::Zero(k, d), r = -grad, pc = precond(r);
      double rz = (r.cwiseProduct(pc)).sum();
      for (int it = 0; it < 500 && r.norm() > std::min(0.5, gn / g0) * gn; ++it) {
        if (interrupted()) break;
        const Mat Hp = hess(pc);
        const double pHp = (pc.cwiseProduct(Hp)).sum();
        if (!(pHp > 0)) break;
        const double alpha = rz / pHp;
        sc += alpha * pc;
        r -= alpha * Hp;
        const Mat zr = precond(r);
        const double rz_new = (r.cwiseProduct(zr)).sum();
        pc = zr + (rz_new / rz) * pc;
        rz = rz_new;
      }
      return sc;
    };
    // Armijo backtracking on the active-set objective
    auto try_step = [&](const Mat& dir) {
      const double slope = (grad.cwiseProduct(dir)).sum();
      if (!(slope < 0) || !dir.allFinite()) return false;
      double t = 1.0;
      for (int bt = 0; bt < 40; ++bt, t *= 0.5) {
        const Mat un = u + t * dir;
        const Vec zn = predict(un);
        const double Fn = objective(un, zn);
        if (Fn <= F + 1e-4 * t * slope) {
          if (!(Fn < F)) return false;
          u = un;
          z = zn;
          F = Fn;
          return true;
        }
      }
      return false;
    };
    bool ok = direct_ok && try_step(s);
    if (!ok) ok = try_step(cg_direction());
    if (!ok) break;
    ++accepted;
    // groups that Newton has shrunk below 1% of their size are tried at zero (the group norm is not smooth
    // there, which stalls Newton); kept at zero when that does not raise the objective
    Mat trial = u;
    bool any = false;
    for (Eigen::Index a = 0; a < k; ++a)
      if (live[size_t(a)] && u.row(a).norm() < 1e-2 * start_norm[a]) {
        trial.row(a).setZero();
        any = true;
      }
    if (any) {
      const Vec zt = predict(trial);
      const double Ft = objective(trial, zt);
      if (Ft <= F) {
        for (Eigen::Index a = 0; a < k; ++a)
          if (trial.row(a).squaredNorm() == 0) live[size_t(a)] = 0;
        u = trial;
        z = zt;
        F = Ft;
        slow = 0;
        g_prev = std::numeric_limits<double>::infinity();
      }
    }
  }
  throw_if_interrupted();
  for (Eigen::Index a = 0; a < k; ++a) U.row(act[a]) = u.row(a);
  return accepted;
}

}  // namespace convexify::convex_nn
