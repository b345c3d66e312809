// Douglas–Rachford on the dual of lens 1 in diagonal form; see docs/linear.md#dr.
//
// With yr = Pr diag(s) Qr^T, an iterate z = Pr diag(zeta) Qr^T has clip_gamma(z) = Pr diag(clamp(zeta)) Qr^T
// and prox_{t f}(Pr diag(v) Qr^T) = Pr diag(s - prox_topk(s - v; k, t)) Qr^T (prox_topk acts on |s - v| and
// restores the signs).  Starting from z0 = 0 every iterate stays of this form, so the reduced iteration runs
// exactly on vectors of length rY.  Certificates are those of the reduced form, evaluated on the vectors.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "convexify/linear.hpp"

namespace convexify::linear {

namespace {

// Top-k entries of a diagonal matrix diag(m) in Pr/Qr coordinates, as a Candidate (values |m|, signs in Q).
Candidate diagonal_candidate(const Problem& pb, const Vec& m, Index k) {
  const Index len = m.size();
  std::vector<Index> order(len);
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index i, Index j) { return std::abs(m(i)) > std::abs(m(j)); });
  Index kk = 0;
  while (kk < std::min(k, len) && m(order[kk]) != 0.0) ++kk;
  Candidate c;
  c.P.resize(pb.r, kk);
  c.Q.resize(pb.dH, kk);
  c.mv.resize(kk);
  for (Index i = 0; i < kk; ++i) {
    const Index j = order[i];
    c.P.col(i) = pb.ysvd.U.col(j);
    c.Q.col(i) = (m(j) < 0 ? -1.0 : 1.0) * pb.ysvd.V.col(j);
    c.mv(i) = std::abs(m(j));
  }
  return c;
}

// Keep the k entries of largest magnitude (ties: lowest index first), zero the rest.
Vec keep_top_k(const Vec& m, Index k) {
  const Index len = m.size();
  if (k >= len) return m;
  std::vector<Index> order(len);
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index i, Index j) { return std::abs(m(i)) > std::abs(m(j)); });
  Vec out = Vec::Zero(len);
  for (Index i = 0; i < k; ++i) out(order[i]) = m(order[i]);
  return out;
}

}  // namespace

DrResult douglas_rachford_diagonal(const Problem& pb, const DrOptions& opt) {
  require_positive(opt.t, "t");
  require(opt.tol >= 0.0 && std::isfinite(opt.tol), "tol must be a finite non-negative number");
  require(opt.max_iter >= 0, "max_iter must be >= 0");
  const double gamma = pb.gamma, t = opt.t;
  const double floor = 64.0 * std::numeric_limits<double>::epsilon() * 0.5 * pb.y2;
  const Vec& s = pb.ysvd.s;
  const Index rY = s.size();
  // ||yr||^2 - ||s||^2 is rounding only (yr has rank rY); keep P and D consistent with the reduced form.
  const double base = 0.5 * pb.res2 + 0.5 * (pb.yr2 - s.squaredNorm());
  auto primal = [&](const Vec& m) { return base + 0.5 * (s - m).squaredNorm() + gamma * m.cwiseAbs().sum(); };

  DrResult out;
  Vec z = Vec::Zero(rY);
  for (long j = 0;; ++j) {
    const Vec L = z.cwiseMax(-gamma).cwiseMin(gamma);
    const Vec A = s - L;
    Vec a2 = A.cwiseAbs2();
    const Index kk = std::min<Index>(pb.k, rY);
    std::partial_sort(a2.data(), a2.data() + kk, a2.data() + rY, std::greater<double>());
    const double D = 0.5 * pb.res2 + 0.5 * (pb.yr2 - a2.head(kk).sum());
    const Vec m_svd = keep_top_k(A, pb.k);
    const Vec m_shadow = keep_top_k((z - L) / t, pb.k);
    const double p_svd = primal(m_svd), p_shadow = primal(m_shadow);
    const DrCertificate cert = dr_certificate(D, p_svd, p_shadow, floor, opt.record_history, out.history);
    const bool shadow_wins = cert.shadow_wins;
    const double P = cert.primal, gap = cert.gap;
    const bool finite = std::isfinite(D) && std::isfinite(P) && z.allFinite();
    const bool stop_gap = finite && gap <= opt.tol;
    if (!finite || stop_gap || j >= opt.max_iter) {
      out.l = pb.ysvd.U * L.asDiagonal() * pb.ysvd.V.transpose();
      if (out.l.rows() != pb.r || out.l.cols() != pb.dH) out.l = Mat::Zero(pb.r, pb.dH);
      out.z = pb.ysvd.U * z.asDiagonal() * pb.ysvd.V.transpose();
      if (out.z.rows() != pb.r || out.z.cols() != pb.dH) out.z = Mat::Zero(pb.r, pb.dH);
      out.best = diagonal_candidate(pb, shadow_wins ? m_shadow : m_svd, pb.k);
      out.best.value = pb.primal(out.best);
      dr_finish(out, cert, D, j, finite, stop_gap);
      return out;
    }
    const Vec v = 2.0 * L - z;
    z += (s - prox_topk(s - v, pb.k, t)) - L;
  }
}

}  // namespace convexify::linear
