// The exact finish of a Douglas–Rachford run on the dual of lens 1; see docs/linear.md#exact-finish.
//
// DR certifies the objective to tol, but the map M of its candidate is only within about sqrt(tol) of M*
// (the objective is quadratic around M*).  The run has, however, identified the singular directions of
// Ytilde that M* uses: those along which its candidate carries more than half of the shrunk value
// s_i - gamma.  On them the optimum is known exactly, M = sum_i (s_i - gamma) p_i q_i^T, and it replaces
// the DR candidate when it is no worse (the certificate is then evaluated from it, never assumed).
#include <algorithm>
#include <limits>
#include <vector>

#include "convexify/linear.hpp"

namespace convexify::linear {

bool exact_finish(const Problem& pb, const Candidate& dr, Candidate& out) {
  const Index rY = pb.rY;
  const Mat& U = pb.ysvd.U;  // r x rY
  const Mat& V = pb.ysvd.V;  // dH x rY
  const Vec& s = pb.ysvd.s;
  if (dr.P.rows() != pb.r || dr.Q.rows() != pb.dH) return false;
  // Coefficient of the candidate along p_i q_i^T: c_i = p_i^T P diag(mv) Q^T q_i.
  Vec c = Vec::Zero(rY);
  if (dr.mv.size() > 0 && rY > 0) {
    const Mat A = U.transpose() * dr.P;  // rY x kk
    const Mat B = V.transpose() * dr.Q;  // rY x kk
    c = (A.array() * B.array()).matrix() * dr.mv;
  }
  std::vector<Index> chosen;
  for (Index i = 0; i < rY; ++i)
    if (s(i) > pb.gamma && c(i) > 0.5 * (s(i) - pb.gamma)) chosen.push_back(i);
  const Index m = static_cast<Index>(chosen.size());
  if (m > pb.k) return false;
  Candidate e;
  e.P.resize(pb.r, m);
  e.Q.resize(pb.dH, m);
  e.mv.resize(m);
  for (Index j = 0; j < m; ++j) {
    e.P.col(j) = U.col(chosen[j]);
    e.Q.col(j) = V.col(chosen[j]);
    e.mv(j) = s(chosen[j]) - pb.gamma;
  }
  e.value = pb.primal(e);
  const double dr_value = pb.primal(dr);
  const double rounding = 64.0 * std::numeric_limits<double>::epsilon() * 0.5 * pb.y2;
  if (!(e.value <= dr_value + rounding)) return false;
  out = std::move(e);
  return true;
}

}  // namespace convexify::linear
