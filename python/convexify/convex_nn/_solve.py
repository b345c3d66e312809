"""The gated (C-GReLU) and ReLU (C-ReLU) convex programs solved by the core, their certificates, and the map
to a ReLU network."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from .. import _core
from .._errors import ConvergenceWarning, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real, same_rows
from ._patterns import data_gates, enumerate_gates, gaussian_gates, masks_from_gates
from ._relu_finish import _Program, dual_constraint, relu_finish

LOSSES = ("squared", "logistic", "squared_hinge", "huber")
LABEL_LOSSES = ("logistic", "squared_hinge")  # labels in {-1, +1}
RELU_MAX_ROWS = 10000  # the ReLU program's ADMM factorises an n x n matrix
FORMULATIONS = ("gated", "relu")
MAX_PATTERN_BYTES = 2.0**34  # 16 GiB: beyond it n_patterns is a mistake, not a request
FINISH_MAX_ROWS = 4000  # the ReLU program's active-set finish works with dense (n, free coordinates) matrices


@dataclass(frozen=True, repr=False)
class Certificate(CompactRepr):
    """Primal value, a dual (lower-bound) value, their gap, and what the bound covers.

    ``scope="global"``: the dual point is feasible for every activation pattern (patterns enumerated), so
    ``dual`` lower-bounds the weight-decay objective of every two-layer ReLU network of any width.
    ``scope="sampled"``: ``dual`` lower-bounds the convex program over the sampled patterns only.
    """

    primal: float
    dual: float
    gap: float
    certified: bool
    scope: str


@dataclass(frozen=True, repr=False)
class ConvexNNResult(CompactRepr):
    """Solution of the convex program, its patterns ``masks`` (n, P) and ``gates`` (P, d).

    Gated: ``U`` (P, d) with the model ``sum_i D_i X u_i``; ``V`` and ``W`` are None.  ReLU: ``V`` and ``W``
    (P, d) with the model ``sum_i relu(X v_i) - relu(X w_i)``, ``U = V - W`` (the same model on the training
    rows when the cone constraints hold), and ``cone_violation``, the largest ``((2 D_i - I) X v_i)^-``
    relative to ``max |X v_i|`` (0 for gated).
    """

    U: np.ndarray
    masks: np.ndarray
    gates: np.ndarray
    certificate: Certificate
    n_iter: int
    formulation: str = "gated"
    V: Optional[np.ndarray] = None
    W: Optional[np.ndarray] = None
    cone_violation: float = 0.0


def _huber_delta(value) -> float:
    delta = as_real(value, "huber_delta", minimum=0.0)
    if not delta > 0:
        raise InputError(f"huber_delta must be > 0, got {delta}")
    return delta


def _check_loss_labels(y: np.ndarray, loss: str) -> None:
    if loss in LABEL_LOSSES and not np.all(np.isin(y, (-1.0, 1.0))):
        raise InputError(f"y: the {loss} loss needs labels in {{-1, +1}}")


def make_patterns(
    X: np.ndarray, patterns, n_patterns: int, random_state
) -> Tuple[np.ndarray, np.ndarray, str]:
    """Masks, gates and scope ('global' when enumerated) for the patterns argument."""
    if random_state is not None and not isinstance(random_state, np.random.Generator):
        random_state = as_int(random_state, "random_state", minimum=0)
    rng = np.random.default_rng(random_state)
    if isinstance(patterns, str):
        kind = as_choice(patterns, "patterns", ("gaussian", "data", "all"))
        if kind == "all":
            M, G = masks_from_gates(X, enumerate_gates(X))
            return M, G, "global"
        n_patterns = as_int(n_patterns, "n_patterns", minimum=1)
        need = 8.0 * n_patterns * (X.shape[0] + X.shape[1])  # the gates and their (n, P) masks, float64
        if need > MAX_PATTERN_BYTES:
            raise InputError(
                f"n_patterns={n_patterns}: the gates and masks alone would take {need / 2**30:.0f} GiB "
                f"(limit {MAX_PATTERN_BYTES / 2**30:.0f} GiB); sample fewer patterns"
            )
        G = (
            gaussian_gates(X.shape[1], n_patterns, rng)
            if kind == "gaussian"
            else data_gates(X, n_patterns, rng)
        )
    else:
        G = as_array(patterns, "patterns", 2)
        if G.shape[1] != X.shape[1]:
            raise InputError(
                f"patterns: gates must have {X.shape[1]} columns (d, with the bias), got {G.shape[1]}"
            )
    M, G = masks_from_gates(X, G)
    if M.shape[1] == 0:
        raise InputError("patterns: every gate gives the all-zero pattern")
    return M, G, "sampled"


def solve_masks(
    X,
    y,
    masks,
    lam,
    loss,
    tol,
    max_iter,
    U0=None,
    gates=None,
    scope="sampled",
    formulation="gated",
    huber_delta=1.0,
) -> ConvexNNResult:
    P, d = masks.shape[1], X.shape[1]
    G = gates if gates is not None else np.zeros((P, d))
    if formulation == "relu":
        if X.shape[0] > RELU_MAX_ROWS:
            raise InputError(
                f"X: formulation='relu' factorises an n x n matrix and needs n <= {RELU_MAX_ROWS} rows, got "
                f"{X.shape[0]}; use formulation='gated'"
            )
        r = _core.convex_nn_solve_relu(
            X, y, masks, float(lam), loss, float(tol), int(max_iter), float(huber_delta)
        )
        if not r.converged and X.shape[0] <= FINISH_MAX_ROWS:
            return _relu_finished(X, y, masks, lam, loss, tol, huber_delta, r, G, scope)
    else:
        U0 = np.zeros((0, 0)) if U0 is None else np.ascontiguousarray(U0, dtype=np.float64)
        r = _core.convex_nn_solve_gated(
            X, y, masks, U0, float(lam), loss, float(tol), int(max_iter), float(huber_delta)
        )
    if not r.converged:
        warnings.warn(
            f"convex_nn: stopped at max_iter={max_iter} with duality gap {r.gap:.3e} (tol {tol:.1e})",
            ConvergenceWarning,
            stacklevel=3,
        )
    cert = Certificate(float(r.primal), float(r.dual), float(r.gap), bool(r.converged), scope)
    if formulation == "relu":
        V, W = np.asarray(r.V), np.asarray(r.W)
        return ConvexNNResult(V - W, masks, G, cert, int(r.n_iter), "relu", V, W, float(r.cone_violation))
    return ConvexNNResult(np.asarray(r.U), masks, G, cert, int(r.n_iter))


def _relu_finished(X, y, masks, lam, loss, tol, huber_delta, r, gates, scope) -> ConvexNNResult:
    """ADMM's point or the active-set finish's (docs/convex_nn.md#relu-finish), whichever certifies the
    smaller gap; ConvergenceWarning when neither reaches ``tol``."""
    V, W = np.asarray(r.V), np.asarray(r.W)
    primal, dual, violation = float(r.primal), float(r.dual), float(r.cone_violation)
    try:
        f = relu_finish(X, masks, lam, V, W, loss_functions(loss, y, huber_delta))
    except (np.linalg.LinAlgError, RuntimeError):  # LAPACK or NNLS gave up: ADMM's point stands
        f = None
    if f is not None and f.primal - f.dual < primal - dual:
        V, W, primal, dual, violation = f.V, f.W, f.primal, f.dual, f.cone_violation
    gap = primal - dual
    converged = bool(gap <= tol * abs(primal))
    if not converged:
        warnings.warn(
            f"convex_nn: ADMM stopped at max_iter={int(r.n_iter)} and the active-set finish did not close "
            f"the gap: duality gap {gap:.3e} (tol {tol:.1e})",
            ConvergenceWarning,
            stacklevel=4,
        )
    cert = Certificate(primal, dual, gap, converged, scope)
    return ConvexNNResult(V - W, masks, gates, cert, int(r.n_iter), "relu", V, W, violation)


def solve(
    X,
    y,
    lam: float,
    *,
    formulation: str = "gated",
    loss: str = "squared",
    huber_delta: float = 1.0,
    patterns="gaussian",
    n_patterns: int = 100,
    tol: float = 1e-8,
    max_iter: int = 10000,
    random_state: Optional[int] = 0,
    warm_start: Optional[Tuple[np.ndarray, np.ndarray]] = None,
) -> ConvexNNResult:
    """Solve the gated or the ReLU convex program over the patterns ``D_i = diag(1[X g_i >= 0])``.

    ``formulation='gated'``: ``min_U L(sum_i D_i X u_i) + lam sum_i ||u_i||_2`` (docs/convex_nn.md#gated), by
    FISTA.  ``formulation='relu'``: ``min L(sum_i D_i X (v_i - w_i)) + lam sum_i (||v_i|| + ||w_i||)`` subject
    to ``(2 D_i - I) X v_i >= 0`` and ``(2 D_i - I) X w_i >= 0`` (docs/convex_nn.md#relu), by ADMM
    (``max_iter`` iterations at most) and, where that stops short of ``tol``, an active-set finish
    (docs/convex_nn.md#relu-finish) that holds the tight cone rows as equalities; its
    ``certificate.primal`` is the objective of the ReLU network ``sum_i relu(X v_i) - relu(X w_i)`` itself and
    ``n`` is limited to 10000 rows.

    ``X`` (n, d) includes the bias column if wanted; ``loss`` is ``'squared'`` (``1/(2n)||yhat - y||^2``),
    ``'huber'`` (``(1/n) sum h(yhat - y)``, ``h(r) = r^2/2`` for ``|r| <= huber_delta`` and
    ``huber_delta (|r| - huber_delta/2)`` beyond, in the units of ``y``), ``'logistic'``
    (``(1/n) sum log(1 + exp(-y yhat))``) or ``'squared_hinge'`` (``1/(2n) sum max(0, 1 - y yhat)^2``), the
    last two with labels in {-1, +1}.  Stops when the duality gap
    is ``<= tol * |primal|`` (relative); ``certificate.scope`` is ``'global'`` for ``patterns='all'``.

    ``warm_start=(W1, a)``, a trained network ``relu(X W1^T) a`` (from SGD or Adam, say): its neurons' own
    patterns join the pattern set and, for the gated program, the solve starts from the convex point
    :func:`network_to_convex` makes of it, whose objective is at most the network's.  The ReLU program's ADMM
    starts from zero (it has no warm start) but still sees the network's patterns.
    """
    X = as_array(X, "X", 2)
    y = as_array(y, "y", 1)
    same_rows(("X", X), ("y", y))
    lam = as_real(lam, "lam", minimum=0.0)
    formulation = as_choice(formulation, "formulation", FORMULATIONS)
    loss = as_choice(loss, "loss", LOSSES)
    _check_loss_labels(y, loss)
    huber_delta = _huber_delta(huber_delta)
    tol = as_real(tol, "tol", minimum=0.0)
    max_iter = as_int(max_iter, "max_iter", minimum=1)
    M, G, scope = make_patterns(X, patterns, n_patterns, random_state)
    U0 = None
    if warm_start is not None:
        if not (isinstance(warm_start, (tuple, list)) and len(warm_start) == 2):
            raise InputError("warm_start must be a pair (W1, a) of a two-layer network relu(X W1^T) a")
        W1, a = _network_weights(X, *warm_start)
        U0, M, G = network_to_convex(X, W1, a, gates=G)
    return solve_masks(
        X,
        y,
        M,
        lam,
        loss,
        tol,
        max_iter,
        U0=U0,
        gates=G,
        scope=scope,
        formulation=formulation,
        huber_delta=huber_delta,
    )


def lam_max(X, y, masks, loss: str = "squared", huber_delta: float = 1.0) -> float:
    """Smallest ``lam`` with the all-zero solution optimal: ``max_i ||X^T D_i grad L(0)||``."""
    X = as_array(X, "X", 2)
    y = as_array(y, "y", 1)
    same_rows(("X", X), ("y", y))
    masks = _masks_arg(masks, X.shape[0])
    loss = as_choice(loss, "loss", LOSSES)
    _check_loss_labels(y, loss)
    g = _grad(np.zeros_like(y), y, loss, _huber_delta(huber_delta))  # grad L(0)
    return float(np.linalg.norm((masks * g[:, None]).T @ X, axis=1).max())


def _masks_arg(masks, n: int) -> np.ndarray:
    """Activation patterns ``(n, P)`` with entries in {0, 1}, as float64."""
    masks = as_array(masks, "masks", 2)
    if masks.shape[0] != n:
        raise InputError(f"masks must have one row per sample (n = {n}), got shape {masks.shape}")
    if not np.all((masks == 0) | (masks == 1)):
        raise InputError("masks: activation patterns must hold 0 and 1 only")
    return masks


def _network_args(X, y, W1, a):
    """``X`` (n, d), ``y`` (n,), ``W1`` (m, d) and ``a`` (m,) of a two-layer network (m may be 0)."""
    X = as_array(X, "X", 2)
    y = as_array(y, "y", 1)
    same_rows(("X", X), ("y", y))
    return (X, y, *_network_weights(X, W1, a))


def _network_weights(X: np.ndarray, W1, a) -> Tuple[np.ndarray, np.ndarray]:
    W1 = as_array(W1, "W1", 2, allow_empty=True)
    a = as_array(a, "a", 1, allow_empty=True)
    if W1.shape[0] != a.shape[0] or (W1.shape[0] > 0 and W1.shape[1] != X.shape[1]):
        raise InputError(f"W1 must be (m, {X.shape[1]}) and a (m,), got {W1.shape} and {a.shape}")
    return W1.reshape(-1, X.shape[1]), a


def network_to_convex(
    X, W1, a, gates: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gated convex point of a two-layer network ``relu(X W1^T) a``: ``(U, masks, gates)``.

    Neuron j is ``1[X w_j >= 0] (X w_j) a_j = D_j X u`` with ``u = a_j w_j``; neurons sharing a pattern add
    up.
    The patterns are the network's own (first) and those of ``gates`` (P, d) if given, duplicates and the
    all-zero pattern dropped.  On the training rows ``sum_i D_i X u_i`` equals the network's prediction and
    ``lam sum_i ||u_i|| <= lam/2 (||W1||_F^2 + ||a||^2)`` (AM-GM; equality for balanced neurons of distinct
    patterns), so the convex objective at ``U`` is at most the network's (docs/convex_nn.md#mapping).
    """
    X = as_array(X, "X", 2)
    W1, a = _network_weights(X, W1, a)
    live = (np.linalg.norm(W1, axis=1) > 0) & (a != 0) if W1.size else np.zeros(0, bool)
    W1, a = W1[live], a[live]
    extra = np.zeros((0, X.shape[1])) if gates is None else as_array(gates, "gates", 2)
    if extra.shape[1] != X.shape[1]:
        raise InputError(f"gates must have {X.shape[1]} columns, got {extra.shape}")
    M, G = masks_from_gates(X, np.vstack([W1, extra]))
    if M.shape[1] == 0:
        raise InputError("W1: every neuron and gate gives the all-zero pattern")
    U = np.zeros_like(G)
    col = {M[:, i].tobytes(): i for i in range(M.shape[1])}
    for w, aj in zip(W1, a):
        pattern = (X @ w >= 0).astype(np.float64)
        if pattern.any():  # a neuron dead on every row contributes nothing
            U[col[pattern.tobytes()]] += aj * w
    return U, M, G


def to_network(
    U: np.ndarray, masks: np.ndarray, X: np.ndarray, atol: float = 1e-9
) -> Tuple[np.ndarray, np.ndarray]:
    """The ReLU network ``relu(X W1^T) a`` of a gated solution whose neurons lie in their cones.

    Neuron ``u_i`` with ``(2 D_i - I) X u_i >= 0`` is ``relu(X u_i)`` on the data; with ``(2 D_i - I) X u_i
    <= 0`` it is ``-relu(-X u_i)``.  Weights are balanced, ``w = u / sqrt||u||``, ``a = +-sqrt||u||``, so the
    weight decay ``lam/2 (||w||^2 + a^2) = lam ||u||`` (docs/convex_nn.md#mapping).  A neuron in neither cone
    has no ReLU counterpart (InputError).
    """
    X = as_array(X, "X", 2)
    U = as_array(U, "U", 2, allow_empty=True)
    masks = _masks_arg(masks, X.shape[0])
    if U.shape[0] != masks.shape[1] or (U.size and U.shape[1] != X.shape[1]):
        raise InputError(
            f"U must be (P, {X.shape[1]}) with P = {masks.shape[1]} (the patterns' count), got {U.shape}"
        )
    atol = as_real(atol, "atol", minimum=0.0)
    U = U.reshape(-1, X.shape[1])
    W, a = [], []
    for i in range(U.shape[0]):
        u = U[i]
        nu = float(np.linalg.norm(u))
        if nu == 0:
            continue
        z = X @ u
        s = 2 * masks[:, i] - 1
        tol = atol * max(1.0, float(np.abs(z).max()))
        if np.all(s * z >= -tol):
            sign = 1.0
        elif np.all(s * z <= tol):
            sign = -1.0
        else:
            raise InputError(f"neuron {i}: leaves its pattern's cone in both signs; not a ReLU neuron")
        W.append(sign * u / np.sqrt(nu))
        a.append(sign * np.sqrt(nu))
    if not W:
        return np.zeros((0, X.shape[1])), np.zeros(0)
    return np.array(W), np.array(a)


def relu_network(V: np.ndarray, W: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``(W1, a)`` of the network ``sum_i relu(X v_i) - relu(X w_i)`` with balanced weights.

    Neuron ``v`` becomes ``(v / sqrt||v||, sqrt||v||)`` and ``w`` becomes ``(w / sqrt||w||, -sqrt||w||)``,
    so the weight decay ``lam/2 (||w1||^2 + a^2)`` equals ``lam ||v||`` (docs/convex_nn.md#mapping).  Zero
    neurons are dropped."""
    V = as_array(V, "V", 2, allow_empty=True)
    W = as_array(W, "W", 2, allow_empty=True)
    if V.shape != W.shape:
        raise InputError(f"V and W must have the same shape (P, d), got {V.shape} and {W.shape}")
    rows, outs = [], []
    for U, sign in ((V, 1.0), (W, -1.0)):
        nrm = np.linalg.norm(U, axis=1)
        keep = nrm > 0
        rows.append(U[keep] / np.sqrt(nrm[keep])[:, None])
        outs.append(sign * np.sqrt(nrm[keep]))
    return np.vstack(rows), np.concatenate(outs)


def network_objective(X, y, W1, a, lam, loss="squared", huber_delta: float = 1.0) -> float:
    """Weight-decay objective ``L(relu(X W1^T) a) + lam/2 (||W1||_F^2 + ||a||^2)`` of a two-layer network."""
    X, y, W1, a = _network_args(X, y, W1, a)
    lam = as_real(lam, "lam", minimum=0.0)
    loss = as_choice(loss, "loss", LOSSES)
    _check_loss_labels(y, loss)
    return _objective(X, y, W1, a, lam, loss, _huber_delta(huber_delta))


def _objective(X, y, W1, a, lam, loss, delta=1.0) -> float:
    yhat = np.maximum(X @ W1.T, 0) @ a
    return _loss(yhat, y, loss, delta) + 0.5 * lam * (float(np.sum(W1**2)) + float(np.sum(a**2)))


def _loss(yhat, y, loss, delta=1.0):
    if loss == "huber":
        r = np.abs(yhat - y)
        return float(np.mean(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))))
    if loss == "squared":
        return 0.5 * float(np.mean((yhat - y) ** 2))
    if loss == "squared_hinge":
        return 0.5 * float(np.mean(np.maximum(0.0, 1.0 - y * yhat) ** 2))
    return float(np.mean(np.logaddexp(0.0, -y * yhat)))


def _grad(yhat, y, loss, delta=1.0):
    if loss == "huber":
        return np.clip(yhat - y, -delta, delta) / len(y)
    if loss == "squared":
        return (yhat - y) / len(y)
    if loss == "squared_hinge":
        return -y * np.maximum(0.0, 1.0 - y * yhat) / len(y)
    return -y / (1.0 + np.exp(y * yhat)) / len(y)


def _neg_conj(nu, y, loss, delta=1.0):
    n = len(y)
    if loss == "huber":
        # h*(t) = t^2 / 2 on |t| <= delta: -L*(nu) = -nu^T y - (n/2) ||nu||^2 where n |nu_j| <= delta
        if n * np.abs(nu).max() > delta * (1 + 1e-12):
            return -math.inf
        return float(-nu @ y - 0.5 * n * nu @ nu)
    if loss == "squared" or (loss == "squared_hinge" and np.all(nu * y <= 0)):
        return float(-nu @ y - 0.5 * n * nu @ nu)
    if loss == "squared_hinge":
        return -math.inf
    p = np.clip(-n * nu * y, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0)
    return float(-t.sum() / n)


def certify(
    X, y, W1, a, lam, *, loss: str = "squared", tol: float = 1e-6, huber_delta: float = 1.0
) -> Certificate:
    """Certificate of any two-layer network ``relu(X W1^T) a`` (``X`` with its bias column, d <= 3).

    The dual point ``nu = theta grad L(yhat)`` of the ReLU program over every enumerated pattern, with the
    cone multipliers found by non-negative least squares and ``theta`` scaling it feasible, gives
    ``dual <= min over all networks of any width`` (weak duality, docs/convex_nn.md#certificate).  Being the
    ReLU program's dual, not the gated relaxation's, it closes on a network that is globally optimal.
    """
    X, y, W1, a = _network_args(X, y, W1, a)
    lam = as_real(lam, "lam", minimum=0.0)
    loss = as_choice(loss, "loss", LOSSES)
    _check_loss_labels(y, loss)
    M, _ = masks_from_gates(X, enumerate_gates(X))
    delta = _huber_delta(huber_delta)
    primal = _objective(X, y, W1, a, lam, loss, delta)
    g = _grad(np.maximum(X @ W1.T, 0) @ a, y, loss, delta)
    mx, _ = dual_constraint(_Program(X, M, lam), g, {})
    theta = min(1.0, lam / mx) if mx > 0 else 1.0
    dual = _neg_conj(theta * g, y, loss, delta)
    gap = primal - dual
    return Certificate(primal, dual, gap, bool(gap <= tol * abs(primal)), "global")


def loss_functions(loss: str, y: np.ndarray, delta: float) -> Tuple[Callable, ...]:
    """(value, gradient, -conjugate, curvature) of the loss ``L(yhat)`` on the user's scale."""
    n = len(y)

    def curvature(yhat):
        if loss == "squared":
            return np.full(n, 1.0 / n)
        if loss == "huber":
            return (np.abs(yhat - y) <= delta) / n
        if loss == "squared_hinge":
            return (y * yhat < 1.0) / n
        s = 1.0 / (1.0 + np.exp(-y * yhat))
        return s * (1.0 - s) / n

    return (
        lambda yhat: _loss(yhat, y, loss, delta),
        lambda yhat: _grad(yhat, y, loss, delta),
        lambda nu: _neg_conj(nu, y, loss, delta),
        curvature,
    )
