// Douglas–Rachford on the dual of lens 1 in reduced form, with per-iteration certificates (SPEC 2.5).
//
//   min_l f(l) + indicator_C(l),  f(l) = 1/2 ||yr - l||_(k)^2,  C = { ||l||_2 <= gamma }
//   L_j = proj_C(z_j),  z_{j+1} = z_j + prox_{t f}(2 L_j - z_j) - L_j
//
// proj_C clips singular values at gamma; prox_{t f}(v) = yr - U diag(prox_topk(a; k, t)) V^T with
// U diag(a) V^T = svd(yr - v).  Both primal candidates are certified against D_j at every iterate:
// M_svd = svd_k(yr - L_j) (the survey's recovery) and the DR shadow M_shadow = svd_k((z_j - L_j) / t).
#include <algorithm>
#include <cmath>
#include <limits>

#include "convexify/linear.hpp"

namespace convexify::linear {

namespace {

Candidate top_k(const Svd& svd, const Vec& values, Index k) {
  const Index kk = std::min<Index>(k, values.size());
  Candidate c;
  c.P = svd.U.leftCols(kk);
  c.Q = svd.V.leftCols(kk);
  c.mv = values.head(kk);
  return c;
}

}  // namespace

namespace {

DrResult dr_loop(const Problem& pb, const Mat& z0, const DrOptions& opt) {
  require(opt.tol >= 0.0 && std::isfinite(opt.tol), "tol must be a finite non-negative number");
  require(opt.max_iter >= 0, "max_iter must be >= 0");
  const double gamma = pb.gamma, t = opt.t;
  // Floor of the relative-gap denominator: values below rounding of 1/2||Y||^2 are treated as zero.
  const double floor = 64.0 * std::numeric_limits<double>::epsilon() * 0.5 * pb.y2;

  DrResult out;
  Mat z = z0;
  for (long j = 0;; ++j) {
    // L_j = clip_gamma(z_j) = z_j - U diag((sigma - gamma)_+) V^T  (exact where sigma <= gamma).
    const Svd zs = thin_svd(z);
    const Vec excess = (zs.s.array() - gamma).max(0.0).matrix();
    Index ne = 0;
    while (ne < excess.size() && excess(ne) > 0.0) ++ne;
    const Mat above = zs.U.leftCols(ne) * excess.head(ne).asDiagonal() * zs.V.leftCols(ne).transpose();
    const Mat L = z - above;

    // Certificates.  Without a binding rank bound (k >= min(r, dH)) M_svd is the whole of yr - L, so
    // yr - M_svd = L and P(M_svd) needs only the singular values; the vectors are computed once at the end.
    const bool full_rank_candidate = pb.k >= std::min(pb.r, pb.dH);
    Svd rs;
    if (full_rank_candidate) {
      rs.s = singular_values(pb.yr - L);
    } else {
      rs = thin_svd(pb.yr - L);
    }
    const double D = pb.dual_from_sv(rs.s);
    Candidate c_svd;
    if (full_rank_candidate) {
      c_svd.mv = rs.s;
      c_svd.value = 0.5 * pb.res2 + 0.5 * L.squaredNorm() + gamma * rs.s.sum();
    } else {
      c_svd = top_k(rs, rs.s, pb.k);
      c_svd.value = pb.primal(c_svd);
    }
    Candidate c_shadow = top_k(zs, excess / t, std::min<Index>(pb.k, ne));
    c_shadow.value = pb.primal(c_shadow);
    const bool shadow_wins = c_shadow.value < c_svd.value;
    const double P = shadow_wins ? c_shadow.value : c_svd.value;
    const double denom = std::max({std::abs(P), std::abs(D), floor});
    const double gap = denom > 0.0 ? (P - D) / denom : 0.0;
    if (opt.record_history) {
      out.history.dual.push_back(D);
      out.history.primal_svd.push_back(c_svd.value);
      out.history.primal_shadow.push_back(c_shadow.value);
      out.history.gap.push_back(gap);
    }
    const bool finite = std::isfinite(D) && std::isfinite(P) && z.allFinite();
    const bool stop_gap = finite && gap <= opt.tol;
    if (!finite || stop_gap || j >= opt.max_iter) {
      out.l = L;
      out.z = z;
      if (!shadow_wins && full_rank_candidate) {
        const Svd full = thin_svd(pb.yr - L);
        c_svd = top_k(full, full.s, pb.k);
        c_svd.value = pb.primal(c_svd);
      }
      out.best = shadow_wins ? std::move(c_shadow) : std::move(c_svd);
      out.certified = shadow_wins ? "shadow" : "svd";
      out.iterations = j;
      out.converged = stop_gap;
      out.status = !finite ? "diverged" : (stop_gap ? "converged" : "max_iter");
      out.dual = D;
      out.primal = P;
      out.gap = gap;
      return out;
    }

    // z_{j+1} = z_j + prox_{t f}(2 L_j - z_j) - L_j.
    const Mat v = 2.0 * L - z;
    const Svd ws = thin_svd(pb.yr - v);
    const Vec x = prox_topk_sorted(ws.s, pb.k, t);
    z += pb.yr - ws.U * x.asDiagonal() * ws.V.transpose() - L;
  }
}

}  // namespace

DrResult douglas_rachford(const Problem& pb, const Mat& z0, const DrOptions& opt) {
  require_positive(opt.t, "t");
  require(opt.tol >= 0.0 && std::isfinite(opt.tol), "tol must be a finite non-negative number");
  require(opt.max_iter >= 0, "max_iter must be >= 0");
  require_shape(z0.rows(), z0.cols(), pb.r, pb.dH, "z0 (reduced warm start)");
  require_finite(z0, "z0");
  // Every iterate's column space stays in range([yr, z0]): the projection and the prox only rescale singular
  // values of matrices built from yr and earlier iterates (zero singular values stay zero under prox_topk).
  // When that space is smaller than r, iterate in an orthonormal basis B of it (q x dH instead of r x dH): the
  // iteration is unitarily equivariant, so iterates and certificates are the same.  For z0 = 0, B = Pr.
  Mat B;
  if (z0.isZero(0.0)) {
    B = pb.ysvd.U;
  } else {
    Mat both(pb.r, 2 * pb.dH);
    both << pb.yr, z0;
    Svd sv = thin_svd(both);
    const double tol = (sv.s.size() > 0 ? sv.s(0) : 0.0) * static_cast<double>(std::max(pb.r, 2 * pb.dH)) *
                       std::numeric_limits<double>::epsilon();
    Index q = 0;
    while (q < sv.s.size() && sv.s(q) > tol) ++q;
    B = sv.U.leftCols(q);
  }
  if (B.cols() >= pb.r) return dr_loop(pb, z0, opt);
  Problem small;
  small.n = pb.n;
  small.d0 = pb.d0;
  small.dH = pb.dH;
  small.r = B.cols();
  small.k = pb.k;
  small.rY = pb.rY;
  small.gamma = pb.gamma;
  small.y2 = pb.y2;
  small.res2 = pb.res2;
  small.yr2 = pb.yr2;
  small.yr = B.transpose() * pb.yr;
  DrResult out = dr_loop(small, B.transpose() * z0, opt);
  out.l = B * out.l;
  out.z = B * out.z;
  out.best.P = B * out.best.P;
  return out;
}

}  // namespace convexify::linear
