// Newton-CG on the active groups of the gated program.  On the active set the objective is smooth:
//   grad_i = X^T D_i L'(z) + lam u_i / ||u_i||,
//   H v |_i = X^T D_i (L''(z) o sum_j D_j X v_j) + (lam / ||u_i||) (v_i - uhat_i uhat_i^T v_i),
// with L'' the per-sample second derivative of the loss (1/n squared, sigma (1 - sigma) / n logistic,
// 1[y z < 1] / n squared hinge: a generalised Hessian).  The block-Jacobi preconditioner factors the d x d
// diagonal blocks X^T diag(m_i o L'') X + lam / ||u_i|| (I - uhat uhat^T).
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <Eigen/Cholesky>

#include "convex_nn_loss.hpp"
#include "convex_nn_newton.hpp"
#include "convexify/interrupt.hpp"

namespace convexify::convex_nn {

namespace {

using Mat = RowMatrix<double>;
using ColMat = Eigen::MatrixXd;

constexpr int kMaxCG = 500;  // conjugate-gradient iterations per Newton step (a truncated step still descends)

Vec loss_curvature(Loss loss, const Eigen::Ref<const Vec>& y, const Vec& z) {
  const double n = double(z.size());
  Vec w(z.size());
  for (Eigen::Index j = 0; j < z.size(); ++j) {
    if (loss == Loss::squared) {
      w[j] = 1.0 / n;
    } else if (loss == Loss::squared_hinge) {
      w[j] = y[j] * z[j] < 1.0 ? 1.0 / n : 0.0;
    } else {
      const double m = -y[j] * z[j];
      const double sig = m >= 0 ? 1.0 / (1.0 + std::exp(-m)) : std::exp(m) / (1.0 + std::exp(m));
      w[j] = sig * (1.0 - sig) / n;
    }
  }
  return w;
}

}  // namespace

int gated_newton_finish(const Eigen::Ref<const Mat>& X, const Eigen::Ref<const Vec>& y,
                        const Eigen::Ref<const Mat>& masks, double lam, Loss loss, Mat& U, int max_steps) {
  const Eigen::Index n = X.rows(), d = X.cols();
  std::vector<Eigen::Index> act;
  for (Eigen::Index i = 0; i < U.rows(); ++i)
    if (U.row(i).squaredNorm() > 0) act.push_back(i);
  const Eigen::Index k = Eigen::Index(act.size());
  if (k == 0) return 0;
  Mat Ma(n, k), u(k, d);
  for (Eigen::Index a = 0; a < k; ++a) {
    Ma.col(a) = masks.col(act[a]);
    u.row(a) = U.row(act[a]);
  }
  auto predict = [&](const Mat& V) -> Vec { return (X * V.transpose()).cwiseProduct(Ma).rowwise().sum(); };
  auto objective = [&](const Mat& V, const Vec& z) {
    return loss_value(loss, y, z) + lam * V.rowwise().norm().sum();
  };
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
    auto hess = [&](const Mat& V) -> Mat {
      const Vec zv = w.cwiseProduct(predict(V));
      Mat out = (Ma.array().colwise() * zv.array()).matrix().transpose() * X;
      for (Eigen::Index a = 0; a < k; ++a) {
        if (!live[size_t(a)]) {
          out.row(a).setZero();
          continue;
        }
        const double c = lam / nrm[a];
        out.row(a) += c * (V.row(a) - uhat.row(a).dot(V.row(a)) * uhat.row(a));
      }
      return out;
    };
    std::vector<Eigen::LLT<ColMat>> pre(static_cast<size_t>(k));
    for (Eigen::Index a = 0; a < k; ++a) {
      const Vec mw = Ma.col(a).cwiseProduct(w);
      ColMat Bk = X.transpose() * (X.array().colwise() * mw.array()).matrix();
      const double c = live[size_t(a)] ? lam / nrm[a] : 1.0;
      Bk += c * (ColMat::Identity(d, d) - uhat.row(a).transpose() * uhat.row(a));
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
    const double eta = std::min(0.5, gn / g0);
    Mat s = Mat::Zero(k, d), r = -grad, p = precond(r);
    double rz = (r.cwiseProduct(p)).sum();
    for (int it = 0; it < kMaxCG && r.norm() > eta * gn; ++it) {
      if (interrupted()) break;
      const Mat Hp = hess(p);
      const double pHp = (p.cwiseProduct(Hp)).sum();
      if (!(pHp > 0)) break;
      const double alpha = rz / pHp;
      s += alpha * p;
      r -= alpha * Hp;
      const Mat zr = precond(r);
      const double rz_new = (r.cwiseProduct(zr)).sum();
      p = zr + (rz_new / rz) * p;
      rz = rz_new;
    }
    const double slope = (grad.cwiseProduct(s)).sum();
    if (!(slope < 0)) break;
    // Armijo backtracking on the active-set objective
    double t = 1.0;
    bool ok = false;
    for (int bt = 0; bt < 40; ++bt, t *= 0.5) {
      const Mat un = u + t * s;
      const Vec zn = predict(un);
      const double Fn = objective(un, zn);
      if (Fn <= F + 1e-4 * t * slope) {
        ok = Fn < F;
        u = un;
        z = zn;
        F = Fn;
        break;
      }
    }
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
