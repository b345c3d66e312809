"""Lens 4: multi-branch networks, loss landscapes and the duality gap (Zhang, Shao & Salakhutdinov 2019).

The model (docs/branches.md#model) averages I one-hidden-layer ReLU branches,
``f(x) = (1/I) sum_i a_i . relu(U_i x)``, trained on the tau-hinge ``max(0, 1 - y f / tau)`` under the
budget ``(1/I) sum_i ||w_i||^2 <= K``.  ``tau = 1`` is the ordinary hinge (the survey's "tau = 0" is a typo,
docs/branches.md#survey-hinge).

What this module measures, and what it does not claim:

* :func:`gap_bracket` brackets ``inf(P_I)`` and ``sup(D_I)`` (docs/branches.md#bracket): the lower bound
  comes from the infinite-width convex program (valid in every regime, docs/branches.md#lower-bound),
  certified only when the neuron oracle is exact (d <= 3) -- otherwise it holds "modulo global neuron
  search".  The theorem's ``2 Delta / I`` bound is reported only in its own regime (tau >= :func:`tau_min`,
  docs/branches.md#dual), where for these networks the gap is in fact zero for every I
  (docs/branches.md#zero-gap).
* :func:`loss_surface` + :func:`nonconvexity_scores` quantify how non-convex a planar slice looks
  (docs/branches.md#slices, docs/branches.md#scores).  Slice scores are not the duality gap, and at fixed
  total width I is a reparametrisation (docs/branches.md#reparametrisation).
* :func:`exact_separable_benchmark` is the closed-form case with a nonzero gap (docs/branches.md#benchmark).
* :func:`multiclass_loss_surface` evaluates the multi-class margin loss of the paper's landscape figure on a
  three-minima plane of C-output networks (docs/branches.md#figure); :func:`curvature` gives exact a.e.
  Hessian extremes (docs/branches.md#hvp), informative only for smooth losses (docs/branches.md#curvature).

Example::

    from convexify import branches as br
    net = br.MultiBranchMLP(n_branches=8, width=2, d=X.shape[1])
    fit = net.fit(X, y, tau=1.0, K=16.0, restarts=2, steps=400)
    surf = br.loss_surface(net, X, y, br.slice_directions("filter", net, seed=0), grid=41)
    scores = br.nonconvexity_scores(*surf)            # env_max, env_mean, midpoint_frac, ...
    bracket = br.gap_bracket(X, y, tau=1.0, K=16.0, branch_counts=[1, 4, 16], width=2)
    bracket[4].upper, bracket[4].lower, bracket[4].certified, bracket[4].regime, bracket[4].bound
"""

from __future__ import annotations

from ._curvature import Curvature, curvature, hessian_vector_product
from ._gap import (
    Assumptions,
    GapEntry,
    check_assumptions,
    exact_separable_benchmark,
    gap_bracket,
    tau_min,
)
from ._landscape import (
    Barrier,
    SlicePlane,
    Surface,
    interpolation_barrier,
    loss_surface,
    multiclass_loss_surface,
    slice_directions,
)
from ._model import LOSSES, FitResult, MultiBranchMLP
from ._oracle import m_plus_exact, m_plus_heuristic, m_plus_sdp, m_plus_upper
from ._scores import nonconvexity_scores

__all__ = [
    "MultiBranchMLP",
    "FitResult",
    "LOSSES",
    "tau_min",
    "check_assumptions",
    "Assumptions",
    "gap_bracket",
    "GapEntry",
    "exact_separable_benchmark",
    "slice_directions",
    "SlicePlane",
    "loss_surface",
    "multiclass_loss_surface",
    "Surface",
    "interpolation_barrier",
    "Barrier",
    "nonconvexity_scores",
    "hessian_vector_product",
    "curvature",
    "Curvature",
    "m_plus_heuristic",
    "m_plus_exact",
    "m_plus_upper",
    "m_plus_sdp",
]
