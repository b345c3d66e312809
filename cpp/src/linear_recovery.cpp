// Balanced factors from a primal candidate M = P diag(mv) Q^T in reduced coordinates; see
// docs/linear.md#recovery.
//
//   W1 = [ diag(c) P_k^T (X^+)^T ; 0 ],  Wi = [[diag(c), 0], [0, 0]],  WH = [ Q_k diag(c), 0 ],  c = mv^(1/H)
//
// with P_k^T (X^+)^T computed as (P^T) diag(1/s_x) V_x^T, P already expressed in the basis U_x of range(X).
// Balanced factors are unique only up to rotations of the hidden layers.
#include <cmath>

#include "convexify/linear.hpp"

namespace convexify::linear {

std::vector<RowMat> recover_weights(const RangeBasis& basis, const Candidate& c,
                                    const std::vector<Index>& widths, Index dH) {
  require(!widths.empty(), "widths must hold depth - 1 >= 1 hidden widths");
  const Index H = static_cast<Index>(widths.size()) + 1;
  const Index kk = c.mv.size();
  require(c.P.rows() == basis.rank() && c.P.cols() == kk && c.Q.rows() == dH && c.Q.cols() == kk,
          "recover_weights: candidate shapes do not match the problem");
  for (Index w : widths) require(w >= kk, "recover_weights: candidate rank exceeds a hidden width");
  Vec cvec(kk);
  for (Index i = 0; i < kk; ++i)
    cvec(i) = c.mv(i) > 0.0 ? std::pow(c.mv(i), 1.0 / static_cast<double>(H)) : 0.0;

  std::vector<RowMat> W;
  W.reserve(H);
  const Index d0 = basis.d0();
  RowMat W1 = RowMat::Zero(widths[0], d0);
  if (kk > 0) {
    // X = 2^e U_x diag(sx_scaled) V_x^T, so (X^+)^T = 2^-e U_x diag(1/sx_scaled) V_x^T: the power of two is
    // applied last (exact), so W1 is right at every scale of X that it can be represented at.
    const Vec inv_sx = basis.sx_scaled().cwiseInverse();
    const Mat left = cvec.asDiagonal() * c.P.transpose() * inv_sx.asDiagonal();  // kk x r
    W1.topRows(kk).noalias() = left * basis.Vx().transpose();
    W1 *= std::ldexp(1.0, -basis.exponent());
  }
  W.push_back(std::move(W1));
  for (Index i = 1; i + 1 < H; ++i) {
    RowMat Wi = RowMat::Zero(widths[i], widths[i - 1]);
    Wi.topLeftCorner(kk, kk) = cvec.asDiagonal();
    W.push_back(std::move(Wi));
  }
  RowMat WH = RowMat::Zero(dH, widths.back());
  if (kk > 0) WH.leftCols(kk) = c.Q * cvec.asDiagonal();
  W.push_back(std::move(WH));
  return W;
}

}  // namespace convexify::linear
