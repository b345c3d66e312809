// FISTA (Beck & Teboulle 2009, with the momentum t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2 and
// y = x_k + ((t_k - 1) / t_{k+1}) (x_k - x_{k-1})), O'Donoghue & Candes adaptive restart, backtracking on the
// smoothness constant, and a dual-scaling duality gap as stopping rule; a Newton-CG finish on the active groups
// (convex_nn_newton.cpp) once FISTA has found them.  See docs/convex_nn.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "convex_nn_loss.hpp"
#include "convex_nn_newton.hpp"
#include "convexify/convex_nn.hpp"
#include "convexify/interrupt.hpp"

namespace convexify::convex_nn {

namespace {

using Mat = RowMatrix<double>;

struct Problem {
  const Eigen::Ref<const Mat>& X;
  const Eigen::Ref<const Vec>& y;
  const Eigen::Ref<const Mat>& M;
  double lam;
  LossSpec loss;

  // yhat = sum_i D_i X u_i = rowsum((X U^T) .* M)
  Vec predict(const Mat& U) const {
    Mat XU = X * U.transpose();
    return XU.cwiseProduct(M).rowwise().sum();
  }
  double loss_value(const Vec& z) const { return convex_nn::loss_value(loss, y, z); }
  Vec loss_grad(const Vec& z) const { return convex_nn::loss_grad(loss, y, z); }
  double neg_conj(const Vec& nu) const { return loss_neg_conj(loss, y, nu); }
  // grad wrt U: row i = (X^T (m_i .* g))^T
  Mat grad_U(const Vec& g) const {
    Mat Mg = M.array().colwise() * g.array();  // (n, P)
    return Mg.transpose() * X;                 // (P, d)
  }
  double penalty(const Mat& U) const { return lam * U.rowwise().norm().sum(); }
};

void certificate(const Problem& pb, const Mat& U, const Vec& z, double* primal, double* dual) {
  *primal = pb.loss_value(z) + pb.penalty(U);
  Vec g = pb.loss_grad(z);
  const double mx = pb.grad_U(g).rowwise().norm().maxCoeff();
  const double theta = mx > pb.lam ? pb.lam / mx : 1.0;
  *dual = pb.neg_conj(theta * g);
}

}  // namespace

void gated_certificate(const Eigen::Ref<const Mat>& X, const Eigen::Ref<const Vec>& y,
                       const Eigen::Ref<const Mat>& masks, const Eigen::Ref<const Mat>& U, double lam,
                       const LossSpec& loss, double* primal, double* dual) {
  Problem pb{X, y, masks, lam, loss};
  Mat Uc = U;
  certificate(pb, Uc, pb.predict(Uc), primal, dual);
}

GatedResult solve_gated(const Eigen::Ref<const Mat>& X, const Eigen::Ref<const Vec>& y,
                        const Eigen::Ref<const Mat>& masks, const Eigen::Ref<const Mat>& U0,
                        const GatedOptions& opt) {
  require(X.rows() == y.size() && X.rows() == masks.rows(),
          "X, y and masks must have the same number of rows");
  require(opt.lam >= 0, "lam must be >= 0");
  const Eigen::Index P = masks.cols(), d = X.cols();
  Problem pb{X, y, masks, opt.lam, opt.loss};
  GatedResult res;
  Mat x = (U0.size() == P * d) ? Mat(U0) : Mat::Zero(P, d);
  Mat x_prev = x, v = x;
  // Initial step from a Lipschitz estimate: ||A||^2 / n (squared), / (4 n) (logistic); power iteration.
  double L = 1.0;
  {
    Mat w = Mat::Ones(P, d);
    for (int k = 0; k < 20; ++k) {
      Vec z = pb.predict(w);
      Mat w2 = pb.grad_U(z);
      const double nr = w2.norm();
      if (nr == 0) break;
      L = nr / std::max(w.norm(), 1e-300);
      w = w2 / nr;
    }
    L /= double(X.rows());
    if (opt.loss.kind == Loss::logistic) L *= 0.25;
    L = std::max(L * 0.5, 1e-12);
  }
  double t = 1.0;
  Vec zx = pb.predict(x);
  double fx = pb.loss_value(zx) + pb.penalty(x);
  int k = 0;
  // The Newton finish is tried once the active set {i : u_i != 0} has been stable over 5 certificate checks
  // (50 iterations) and differs from the set of the last try.
  std::vector<char> active(static_cast<size_t>(P), 0), tried;
  int stable = 0;
  for (; k < opt.max_iter; ++k) {
    if (interrupted()) break;
    if (k % 10 == 0) {
      certificate(pb, x, zx, &res.primal, &res.dual);
      res.gap = res.primal - res.dual;
      if (res.gap <= opt.tol * std::abs(res.primal)) {
        res.converged = true;
        break;
      }
      std::vector<char> now(static_cast<size_t>(P));
      for (Eigen::Index i = 0; i < P; ++i) now[size_t(i)] = x.row(i).squaredNorm() > 0;
      stable = now == active ? stable + 1 : 0;
      active = now;
      if (stable >= 5 && active != tried) {
        tried = active;
        Mat xn = x;
        const int acc = gated_newton_finish(X, y, masks, opt.lam, opt.loss, xn, 20);
        if (acc > 0) {
          x = xn;
          zx = pb.predict(x);
          fx = pb.loss_value(zx) + pb.penalty(x);
          t = 1.0;
          v = x;
          certificate(pb, x, zx, &res.primal, &res.dual);
          res.gap = res.primal - res.dual;
          if (res.gap <= opt.tol * std::abs(res.primal)) {
            res.converged = true;
            break;
          }
        }
      }
    }
    Vec zv = pb.predict(v);
    const double fv = pb.loss_value(zv);
    Vec gv = pb.loss_grad(zv);
    Mat G = pb.grad_U(gv);
    Mat xn;
    Vec zn;
    double fn;
    for (int bt = 0; bt < 60; ++bt) {
      xn = v - G / L;
      group_shrink(xn, opt.lam / L);
      zn = pb.predict(xn);
      fn = pb.loss_value(zn);
      Mat dlt = xn - v;
      if (fn <= fv + (G.cwiseProduct(dlt)).sum() + 0.5 * L * dlt.squaredNorm() + 1e-15 * std::abs(fv)) break;
      L *= 2.0;
    }
    const double Fn = fn + pb.penalty(xn);
    // adaptive restart (function scheme)
    if (Fn > fx) {
      t = 1.0;
      v = x;
      L *= 0.9;
      continue;
    }
    const double tn = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
    v = xn + ((t - 1.0) / tn) * (xn - x);
    x_prev = x;
    x = xn;
    zx = zn;
    fx = Fn;
    t = tn;
    L *= 0.95;  // let the step grow again
  }
  throw_if_interrupted();
  if (!res.converged) {
    certificate(pb, x, zx, &res.primal, &res.dual);
    res.gap = res.primal - res.dual;
    res.converged = res.gap <= opt.tol * std::abs(res.primal);
  }
  res.U = x;
  res.n_iter = k;
  return res;
}

}  // namespace convexify::convex_nn
