"""Lens 5: exact convex training of two-layer ReLU networks with a certificate (Pilanci & Ergen 2020;
Mishkin, Sahiner & Pilanci 2022; docs/convex_nn.md).

The gated program ``min_U L(sum_i D_i X u_i) + lam sum_i ||u_i||_2`` over activation patterns
``D_i = diag(1[X g_i >= 0])`` is solved in the core by FISTA (adaptive restart, backtracking) and stopped on
a duality gap obtained by dual scaling; the ReLU program (the same with ``u_i = v_i - w_i`` and the cone
constraints ``(2 D_i - I) X v_i >= 0``) by ADMM and an active-set finish, certified with its cone
multipliers.  :class:`Certificate` reports primal, dual, gap and scope.
"""

from __future__ import annotations

from ._cones import cone_decomposition
from ._estimators import ConvexReLUClassifier, ConvexReLURegressor
from ._patterns import enumerate_patterns
from ._solve import (
    Certificate,
    ConvexNNResult,
    certify,
    lam_max,
    network_objective,
    network_to_convex,
    relu_network,
    solve,
    to_network,
)

__all__ = [
    "Certificate",
    "ConvexNNResult",
    "ConvexReLUClassifier",
    "ConvexReLURegressor",
    "certify",
    "cone_decomposition",
    "enumerate_patterns",
    "lam_max",
    "network_objective",
    "network_to_convex",
    "relu_network",
    "solve",
    "to_network",
]
