"""Lens 1 -- regularised deep linear networks and their convex dual (Zhang, Shao & Salakhutdinov 2019).

Data ``X`` has shape ``(n, d0)`` (samples are rows), targets ``Y`` shape ``(n, dH)``; weights are stored like
``torch.nn.Linear.weight``: ``W_i`` has shape ``(d_i, d_{i-1})`` and the network computes
``F(X) = X @ W_1.T @ ... @ W_H.T``.  The primal problem (survey eq. 2; docs/linear.md#primal) is::

    P(W) = 1/2 ||Y - X W_1^T ... W_H^T||_F^2
           + gamma/H * ( ||X W_1^T||_{S_H}^H + sum_{i>=2} ||W_i||_{S_H}^H )

with Schatten-H norms ``||A||_{S_H}^H = sum_i sigma_i(A)^H`` (the first penalty acts on the first layer's
output on the data).  It reduces to one matrix (docs/linear.md#closed-form): with ``Ytilde = P_X Y``
(projection onto range(X)), singular values ``s_1 >= ... >= s_rY > 0`` and
``k = min(d0, d1, ..., d_{H-1}, dH, n)``::

    P* = 1/2 ||Y||^2 - 1/2 sum_{i <= min(k, rY)} (s_i - gamma)_+^2        (independent of H >= 2)

The dual (survey eq. 3-4; docs/linear.md#dual) maximises ``D(L) = 1/2||Y||^2 - 1/2||Ytilde - L||_(k)^2``
(Ky Fan (2,k) norm: the k largest squared singular values) over ``||L||_2 <= gamma`` (spectral norm) with
columns in range(X).  **The duality gap is zero for every gamma >= 0**:
``L* = sum_i min(s_i, gamma) p_i q_i^T`` attains ``P*``.  The survey's condition
``gamma <= sigma_min(Ytilde)`` is not needed; it only marks where ``L* = gamma U V^T``
(docs/linear.md#survey-gamma).

Two subtleties the results expose:

* **Bottleneck.** The dual is the dual of the *rank-constrained* problem (rank(M) <= k).  When a hidden width
  binds (more than k singular values above gamma), the convex nuclear-norm problem without rank bound has a
  strictly smaller value; a solver that ignores ``widths`` is wrong there.
* **Non-unique dual optimum / recovery.** When ``k < rY`` many ``L`` are dual-optimal, and the survey's
  recovery ``svd_k(Ytilde - L)`` can pick the wrong singular branch (the example of
  docs/linear.md#dual: X = I_2, Ytilde = diag(4, 3), k = 1, gamma = 1).  :func:`solve` therefore
  recovers the weights from whichever candidate -- the Douglas–Rachford shadow ``(z - L)/t`` or
  ``svd_k(Ytilde - L)`` -- attained the certified primal value, then finishes exactly on the singular subspace
  the run identified (docs/linear.md#exact-finish), and reports which one (``certified_by``; ``certified`` is
  the bool "the certificate met tol").

Balanced weights (docs/linear.md#recovery) are unique only up to rotations of the hidden layers
(``W_i -> R_i W_i R_{i-1}^T`` with orthogonal ``R_i``); compare products ``X W_1^T ... W_H^T`` and objective
values, not individual matrices.
"""

from __future__ import annotations

from ._baseline import train_gd
from ._inputs import default_widths
from ._objectives import dual_objective, primal_objective, prox_topk
from ._results import LinearHistory, LinearSolution, LocalTrainResult, TrainResult
from ._solve import solve

__all__ = [
    "LinearHistory",
    "LinearSolution",
    "LocalTrainResult",
    "TrainResult",
    "solve",
    "primal_objective",
    "dual_objective",
    "prox_topk",
    "train_gd",
    "default_widths",
]
