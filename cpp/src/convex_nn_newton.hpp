// Second-order finish for the gated program (docs/convex_nn.md#gated): Newton on the active groups.
#pragma once

#include "convexify/convex_nn.hpp"

namespace convexify::convex_nn {

// With the active set A = {i : u_i != 0} fixed, F(U) = L(sum_{i in A} D_i X u_i) + lam sum_{i in A} ||u_i||
// is twice differentiable; take up to `max_steps` damped Newton steps on it, each solved exactly through two
// Woodbury identities (an n x n and a |A| x |A| factorisation; skipped for n > 4000).  Groups outside A stay
// zero.
// U is replaced only by points of lower objective; returns the number of accepted steps.
int gated_newton_finish(const Eigen::Ref<const RowMatrix<double>>& X, const Eigen::Ref<const Vector<double>>& y,
                        const Eigen::Ref<const RowMatrix<double>>& masks, double lam, const LossSpec& loss,
                        RowMatrix<double>& U, int max_steps);

}  // namespace convexify::convex_nn
