"""Result objects of lens 1: the certified solution, its per-iteration history, the local-method run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np

from .._repr import CompactRepr


@dataclass(frozen=True, repr=False)
class LinearHistory(CompactRepr):
    """Douglas–Rachford certificates per iterate ``j = 0..iterations`` (docs/linear.md#dr).

    Attributes:
        dual: ``D_j = 1/2||Y||^2 - 1/2||Ytilde - L_j||_(k)^2`` (``L_j`` is feasible by construction).
        primal_svd: ``P(M_svd)`` with ``M_svd = svd_k(Ytilde - L_j)`` (the survey's recovery).
        primal_shadow: ``P(M_shadow)`` with the DR shadow ``M_shadow = svd_k((z_j - L_j) / t)``.
        gap: relative gap ``(P_j - D_j) / max(|P_j|, |D_j|)`` with ``P_j = min(primal_svd, primal_shadow)``.
    """

    dual: np.ndarray
    primal_svd: np.ndarray
    primal_shadow: np.ndarray
    gap: np.ndarray

    @property
    def primal(self) -> np.ndarray:
        """``P_j = min(P(M_svd), P(M_shadow))``."""
        return np.minimum(self.primal_svd, self.primal_shadow)

    def __len__(self) -> int:
        return int(self.gap.shape[0])


@dataclass(frozen=True, repr=False)
class LinearSolution(CompactRepr):
    """Result of :func:`solve` (docs/linear.md#outputs).

    Attributes:
        primal_value: literal ``P(W)`` (survey eq. 2) evaluated from the returned ``weights``.
        dual_value: ``D(Lambda)`` (survey eq. 3) evaluated from the returned ``Lambda``.
        gap: ``primal_value - dual_value`` (both evaluated, not assumed); >= 0 up to rounding.
        weights: ``[W_1, ..., W_H]``, ``W_i`` of shape ``(d_i, d_{i-1})``; balanced, unique up to rotations.
        Lambda: dual point, shape ``(n, dH)``, ``||Lambda||_2 <= gamma``, columns in range(X).
        Ytilde: projection ``P_X Y`` of ``Y`` onto range(X), shape ``(n, dH)``.
        M: the product ``X W_1^T ... W_H^T`` the weights were built from, shape ``(n, dH)``.
        k: ``d_min = min(d0, d_1, ..., d_{H-1}, dH, n)``.
        r: numerical rank of ``X`` (tolerance ``s_1(X) max(n, d0) eps``, docs/conventions.md#linalg).
        rY: rank of ``Ytilde``.
        s: singular values of ``Ytilde`` (length ``rY``, descending).
        optimal_value: ``P*`` from the closed form (docs/linear.md#closed-form).
        iterations: Douglas–Rachford iterations (0 for ``method="closed"``).
        converged: whether the certificate reached ``tol``.
        status: ``"converged"``, ``"max_iter"`` or ``"diverged"``.
        certified: ``True`` when the certificate met ``tol`` (DR converged, or ``method="closed"``).
        certified_by: the candidate the weights come from: ``"exact"`` (the exact finish on the singular
            subspace DR identified, docs/linear.md#exact-finish), ``"shadow"``, ``"svd"`` or ``"closed"``.
        relative_gap: certified relative gap ``(P_j - D_j) / max(|P_j|, |D_j|)`` of the final iterate.
        recovery_error: ``|P(W) - P*| / max(1, P*)`` (docs/linear.md#recovery).
        history: per-iteration certificates (empty for ``method="closed"``).
        depth, gamma, widths, method, t: the problem and solver settings.
        rank_tolerance: the rank threshold used for ``X``.
    """

    primal_value: float
    dual_value: float
    gap: float
    weights: List[np.ndarray]
    Lambda: np.ndarray
    Ytilde: np.ndarray
    M: np.ndarray
    k: int
    r: int
    rY: int
    s: np.ndarray
    optimal_value: float
    iterations: int
    converged: bool
    status: str
    certified: bool
    certified_by: str
    relative_gap: float
    recovery_error: float
    history: LinearHistory
    depth: int
    gamma: float
    widths: Tuple[int, ...]
    method: str
    t: float
    rank_tolerance: float = field(default=0.0)


@dataclass(frozen=True, repr=False)
class LocalTrainResult(CompactRepr):
    """Result of :func:`train_gd`: the local-method baseline on the factorised primal (survey eq. 2).

    The factors ``W_1, ..., W_H`` are trained directly (L-BFGS or gradient descent from a random
    initialisation), so ``final_value >= P*`` of :func:`solve` up to rounding (docs/linear.md#primal).

    Attributes:
        weights: final ``[W_1, ..., W_H]``.
        losses: objective ``P(W)`` after each iteration (index 0: the initialisation).
        final_value: ``P(W)`` of the final weights.
        iterations: iterations performed.
        method: ``"lbfgs"`` or ``"gd"``.
        seed: the seed of the random initialisation.
        grad_norm: ``||grad P(W)||_F`` at the final weights (the stationarity certificate).
        status: ``"converged"`` (``grad_norm <= grad_tol * max(1, P(W))``), ``"stalled"`` (relative decrease
            below ``tol`` or a failed line search before that) or ``"max_iter"``.
    """

    weights: List[np.ndarray]
    losses: np.ndarray
    final_value: float
    iterations: int
    method: str
    seed: int
    grad_norm: float = float("nan")
    status: str = "max_iter"


#: Backward-compatible alias of :class:`LocalTrainResult` (the name before the result said what it holds).
TrainResult = LocalTrainResult
