// Douglas–Rachford on the dual of lens 1 in reduced form, with per-iteration certificates; see
// docs/linear.md#dr.
//
//   min_l f(l) + indicator_C(l),  f(l) = 1/2 ||yr - l||_(k)^2,  C = { ||l||_2 <= gamma }
//   L_j = proj_C(z_j),  z_{j+1} = z_j + prox_{t f}(2 L_j - z_j) - L_j
//
// proj_C clips singular values at gamma; prox_{t f}(v) = yr - U diag(prox_topk(a; k, t)) V^T with
// U diag(a) V^T = svd(yr - v).  Both primal candidates are certified against D_j at every iterate:
// M_svd = svd_k(yr - L_j) (the survey's recovery) and the DR shadow M_shadow = svd_k((z_j - L_j) / t).
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>

#include "convexify/linear.hpp"

namespace convexify::linear {

namespace {

Candidate top_k(const Eigen::Ref<const Mat>& U, const Eigen::Ref<const Mat>& V, const Vec& values, Index k) {
  const Index kk = std::min<Index>(k, values.size());
  Candidate c;
  c.P = U.leftCols(kk);
  c.Q = V.leftCols(kk);
  c.mv = values.head(kk);
  return c;
}

// The loop's SVDs: one-sided Jacobi (Eigen::JacobiSVD; column-pivoting QR first when not square, see
// docs/conventions.md#linalg) for a matrix that is already diagonal up to a relative 1e-8 (quadratic
// convergence: at most two sweeps), BDCSVD (QR first above aspect ratio 2) otherwise.  From z0 = 0 every
// iterate is diagonal in the singular bases of yr (see docs/linear.md#dr), up to rounding, so in those
// coordinates Jacobi finishes in one sweep that rotates almost nothing (about 50x faster than BDCSVD at 20 x
// 20); on a general matrix it would take 6-10 full sweeps and lose to BDCSVD.  Both are backward stable with
// no Gram matrix.
constexpr double kNearlyDiagonal = 1e-8;  // ||offdiag(A)||_F <= this * ||A||_F

// Thin SVD of a fixed-shape matrix, called once or more per DR iteration: the Jacobi workspace is allocated
// once.
class LoopSvd {
 public:
  LoopSvd(Index rows, Index cols, bool vectors) : vectors_(vectors), small_(std::min(rows, cols) > 0) {
    if (small_)
      jac_ = Eigen::JacobiSVD<Mat>(rows, cols, vectors ? (Eigen::ComputeThinU | Eigen::ComputeThinV) : 0u);
  }
  void compute(const Mat& A) {
    jacobi_ = small_ && nearly_diagonal(A);
    if (jacobi_) {
      jac_.compute(A);
    } else if (vectors_) {
      big_ = thin_svd(A);
    } else {
      big_.s = singular_values(A);
    }
  }
  const Vec& s() const { return jacobi_ ? jac_.singularValues() : big_.s; }
  const Mat& U() const { return jacobi_ ? jac_.matrixU() : big_.U; }
  const Mat& V() const { return jacobi_ ? jac_.matrixV() : big_.V; }

 private:
  // Off-diagonal mass summed directly (total - diagonal would cancel at rounding level, about sqrt(eps)).
  static bool nearly_diagonal(const Mat& A) {
    double off = 0.0;
    for (Index j = 0; j < A.cols(); ++j)
      for (Index i = 0; i < A.rows(); ++i)
        if (i != j) off += A(i, j) * A(i, j);
    return off <= kNearlyDiagonal * kNearlyDiagonal * A.squaredNorm();
  }
  bool vectors_, small_, jacobi_ = false;
  Eigen::JacobiSVD<Mat> jac_;
  Svd big_;
};

DrResult dr_loop(const Problem& pb, const Mat& z0, const DrOptions& opt) {
  require(opt.tol >= 0.0 && std::isfinite(opt.tol), "tol must be a finite non-negative number");
  require(opt.max_iter >= 0, "max_iter must be >= 0");
  const double gamma = pb.gamma, t = opt.t;
  const Index q = pb.yr.rows(), dH = pb.yr.cols();
  // Floor of the relative-gap denominator: values below rounding of 1/2||Y||^2 are treated as zero.
  const double floor = 64.0 * std::numeric_limits<double>::epsilon() * 0.5 * pb.y2;
  // Without a binding rank bound (k >= min(r, dH)) M_svd is the whole of yr - L, so yr - M_svd = L and
  // P(M_svd) needs only the singular values; the vectors are computed once at the end.
  const bool full_rank_candidate = pb.k >= std::min(q, dH);

  DrResult out;
  Mat z = z0;
  // Workspaces reused by every iteration.
  LoopSvd zs(q, dH, true), rs(q, dH, !full_rank_candidate), ws(q, dH, true);
  Mat L(q, dH), R(q, dH), W(q, dH), scaled(q, dH);
  Vec excess, shadow_values;
  for (long j = 0;; ++j) {
    // L_j = clip_gamma(z_j) = z_j - U diag((sigma - gamma)_+) V^T  (exact where sigma <= gamma).
    zs.compute(z);
    excess = (zs.s().array() - gamma).max(0.0).matrix();
    Index ne = 0;
    while (ne < excess.size() && excess(ne) > 0.0) ++ne;
    L = z;
    if (ne > 0) {
      scaled.leftCols(ne).noalias() = zs.U().leftCols(ne) * excess.head(ne).asDiagonal();
      L.noalias() -= scaled.leftCols(ne) * zs.V().leftCols(ne).transpose();
    }

    // Certificates.
    R = pb.yr - L;
    rs.compute(R);
    const Vec& rsv = rs.s();
    const double D = pb.dual_from_sv(rsv);
    double p_svd;
    if (full_rank_candidate) {
      p_svd = 0.5 * pb.res2 + 0.5 * L.squaredNorm() + gamma * rsv.sum();
    } else {
      Candidate c = top_k(rs.U(), rs.V(), rsv, pb.k);
      p_svd = pb.primal(c);
    }
    shadow_values = excess / t;
    const Index ks = std::min<Index>(pb.k, ne);
    double p_shadow;
    {
      // P(M_shadow) with M_shadow = U_ks diag(excess_ks / t) V_ks^T.
      W = pb.yr;
      if (ks > 0) {
        scaled.leftCols(ks).noalias() = zs.U().leftCols(ks) * shadow_values.head(ks).asDiagonal();
        W.noalias() -= scaled.leftCols(ks) * zs.V().leftCols(ks).transpose();
      }
      p_shadow = 0.5 * pb.res2 + 0.5 * W.squaredNorm() + gamma * shadow_values.head(ks).sum();
    }
    const DrCertificate cert = dr_certificate(D, p_svd, p_shadow, floor, opt.record_history, out.history);
    const bool shadow_wins = cert.shadow_wins;
    const double P = cert.primal, gap = cert.gap;
    const bool finite = std::isfinite(D) && std::isfinite(P) && z.allFinite();
    const bool stop_gap = finite && gap <= opt.tol;
    if (!finite || stop_gap || j >= opt.max_iter) {
      out.l = L;
      out.z = z;
      if (shadow_wins) {
        out.best = top_k(zs.U(), zs.V(), shadow_values, ks);
        out.best.value = p_shadow;
      } else {
        if (full_rank_candidate) {
          const Svd full = thin_svd(R);
          out.best = top_k(full.U, full.V, full.s, pb.k);
        } else {
          out.best = top_k(rs.U(), rs.V(), rsv, pb.k);
        }
        out.best.value = pb.primal(out.best);
      }
      dr_finish(out, cert, D, j, finite, stop_gap);
      return out;
    }

    // z_{j+1} = z_j + prox_{t f}(2 L_j - z_j) - L_j = z_j + (yr - L_j) - U diag(x) V^T, yr - v = yr - 2 L_j +
    // z_j.
    W = R - L + z;
    ws.compute(W);
    const Vec x = prox_topk_sorted(ws.s(), pb.k, t);
    z += R;
    scaled.leftCols(x.size()).noalias() = ws.U() * x.asDiagonal();
    z.noalias() -= scaled.leftCols(x.size()) * ws.V().transpose();
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
  // When that space is smaller than r, iterate in an orthonormal basis B of it (q x dH instead of r x dH):
  // the iteration is unitarily equivariant, so iterates and certificates are the same up to rounding.  For z0
  // = 0, B = Pr and, on the right, the row space stays in range(Qr), so the iterates are B^T z Qr (rY x rY),
  // which are diagonal up to rounding (the "diagonal form" of docs/linear.md#dr); the loop still runs its
  // general SVDs on them.
  Mat B, C;
  const bool zero_start = z0.isZero(0.0);
  if (zero_start) {
    B = pb.ysvd.U;
    C = pb.ysvd.V;
  } else {
    Mat both(pb.r, 2 * pb.dH);
    both << pb.yr, z0;
    Svd sv = thin_svd(both);
    const double tol = (sv.s.size() > 0 ? sv.s(0) : 0.0) * static_cast<double>(std::max(pb.r, 2 * pb.dH)) *
                       std::numeric_limits<double>::epsilon();
    Index q = 0;
    while (q < sv.s.size() && sv.s(q) > tol) ++q;
    B = sv.U.leftCols(q);
    if (B.cols() >= pb.r) return dr_loop(pb, z0, opt);
  }
  Problem small;
  small.n = pb.n;
  small.d0 = pb.d0;
  small.dH = zero_start ? C.cols() : pb.dH;
  small.r = B.cols();
  small.k = pb.k;
  small.rY = pb.rY;
  small.gamma = pb.gamma;
  small.y2 = pb.y2;
  small.res2 = pb.res2;
  small.yr2 = pb.yr2;
  DrResult out;
  if (zero_start) {
    small.yr = B.transpose() * pb.yr * C;
    out = dr_loop(small, Mat::Zero(small.r, small.dH), opt);
    out.l = B * out.l * C.transpose();
    out.z = B * out.z * C.transpose();
    out.best.Q = C * out.best.Q;
  } else {
    small.yr = B.transpose() * pb.yr;
    out = dr_loop(small, B.transpose() * z0, opt);
    out.l = B * out.l;
    out.z = B * out.z;
  }
  out.best.P = B * out.best.P;
  return out;
}

DrCertificate dr_certificate(double dual, double p_svd, double p_shadow, double floor, bool record,
                             DrHistory& history) {
  DrCertificate c;
  c.shadow_wins = p_shadow < p_svd;
  c.primal = c.shadow_wins ? p_shadow : p_svd;
  const double denom = std::max({std::abs(c.primal), std::abs(dual), floor});
  c.gap = denom > 0.0 ? (c.primal - dual) / denom : 0.0;
  if (record) {
    history.dual.push_back(dual);
    history.primal_svd.push_back(p_svd);
    history.primal_shadow.push_back(p_shadow);
    history.gap.push_back(c.gap);
  }
  return c;
}

void dr_finish(DrResult& out, const DrCertificate& cert, double dual, long j, bool finite, bool stop_gap) {
  out.certified = cert.shadow_wins ? "shadow" : "svd";
  out.iterations = j;
  out.converged = stop_gap;
  out.status = !finite ? "diverged" : (stop_gap ? "converged" : "max_iter");
  out.dual = dual;
  out.primal = cert.primal;
  out.gap = cert.gap;
}

}  // namespace convexify::linear
