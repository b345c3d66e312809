"""Multi-branch one-hidden-layer ReLU networks: model, budget, projection, training.

f(theta; x) = (1/I) sum_i a_i relu(U_i x) (Zhang, Shao & Salakhutdinov 2019; docs/branches.md#model),
tau-hinge loss l_tau = max(0, 1 - y f / tau) (tau = 1 is the ordinary hinge, not tau = 0 as the survey says,
docs/branches.md#survey-hinge), budget (1/I) sum_i ||w_i||^2 <= K (the survey's K; kappa in the docs).  The
model, loss and budget are in docs/branches.md#model, the training of the bracket's upper bound in
docs/branches.md#bracket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

from .. import _core
from .._boundary import from_core
from .._errors import DivergenceError, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real, same_rows
from ._scale import exponent, normalise, safe_norm

__all__ = [
    "MultiBranchMLP",
    "FitResult",
    "LOSSES",
    "check_data",
    "check_loss",
    "check_size",
    "loss_gradient",
]

#: Loss names accepted by the API; they cross into the compiled core as these strings.
LOSSES = ("hinge", "squared_hinge")

#: Largest count that crosses into the core as a C ``int`` (n_branches, iterations) and largest number of
#: parameters I m (d + 1) of a network.
MAX_INT = 2**31 - 1
#: Largest number of training restarts and of steps per restart accepted by :meth:`MultiBranchMLP.fit`.
MAX_RESTARTS = 10**6
MAX_STEPS = 10**8


def check_loss(loss: Any) -> str:
    """The validated loss name.

    Args:
        loss: "hinge" (tau-hinge max(0, 1 - t)) or "squared_hinge" (max(0, 1 - t)^2) of the margin
            t = y f / tau (docs/branches.md#model).

    Returns:
        ``loss`` itself.

    Raises:
        InputTypeError: ``loss`` is not a string.
        InputError: ``loss`` is not one of :data:`LOSSES`.
    """
    return as_choice(loss, "loss", LOSSES)


@dataclass(frozen=True, repr=False)
class LossGradient(CompactRepr):
    """R(theta) and its a.e. gradient over the P = I m units, built from the core's result.

    Attributes:
        loss: R(theta) = mean_j l(y_j f(x_j) / tau).
        grad_U: dR/dU, shape (P, d).
        grad_a: dR/da, shape (P,).
    """

    loss: float
    grad_U: np.ndarray
    grad_a: np.ndarray


def loss_gradient(
    X: np.ndarray, y: np.ndarray, U: np.ndarray, a: np.ndarray, n_branches: int, tau: float, loss: str
) -> LossGradient:
    """R(theta) and its a.e. gradient by the compiled fused kernel (docs/branches.md#model).

    With f_j = (1/I) sum_k a_k relu(u_k . x_j) (docs/branches.md#model), R = mean_j l(y_j f_j / tau) and
    r_j = dR/df_j: dR/da_k = (1/I) sum_j r_j relu(u_k . x_j) and
    dR/du_k = (1/I) sum_j r_j a_k 1[u_k . x_j > 0] x_j (relu'(0) = 0, hinge'(0) = 0).  Arguments are
    validated already (C-contiguous float64); the core re-checks them.

    Args:
        X: data (n, d).  y: labels (n,) in {-1, +1}.
        U: units (P, d), branch-major.  a: output weights (P,).
        n_branches: I >= 1, dividing P.  tau: hinge scale > 0.  loss: a name in :data:`LOSSES`.

    Returns:
        LossGradient with writable arrays.

    Raises:
        InputError: an argument the core rejects, named.
    """
    return from_core(LossGradient, _core.branches_loss_gradient(X, y, U, a, n_branches, tau, loss))


def check_size(n_branches: Any, width: Any, d: Any) -> Tuple[int, int, int]:
    """Validated (I, m, d): each >= 1 and the network's I m (d + 1) parameters at most :data:`MAX_INT`.

    Raises:
        InputTypeError: a count that is not an integer.
        InputError: a count < 1 or a network too large, named.
    """
    I = as_int(n_branches, "n_branches", minimum=1, maximum=MAX_INT)
    m = as_int(width, "width", minimum=1, maximum=MAX_INT)
    d = as_int(d, "d", minimum=1, maximum=MAX_INT)
    if I * m * (d + 1) > MAX_INT:
        raise InputError(
            f"n_branches * width * (d + 1) must be <= {MAX_INT} parameters, got {I} * {m} * {d + 1}"
        )
    return I, m, d


def check_data(X: Any, y: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Validate a binary data set (docs/branches.md#model).

    Args:
        X: data, shape (n, d), finite.
        y: labels, shape (n,), in {-1, +1}.

    Returns:
        (X, y) as C-contiguous float64 arrays.

    Raises:
        InputError: non-finite values, mismatched rows or labels outside {-1, +1}.
    """
    X = as_array(X, "X", 2)
    y = as_array(y, "y", 1)
    same_rows(("X", X), ("y", y))
    bad = ~((y == 1.0) | (y == -1.0))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise InputError(f"y must contain labels in {{-1, +1}}, got y[{j}] = {y[j]!r}")
    return X, y


@dataclass(frozen=True, repr=False)
class FitResult(CompactRepr):
    """Result of :meth:`MultiBranchMLP.fit`.

    Attributes:
        value: best training loss R(theta) over all restarts (after rebalancing and the scale search).
        values: best loss of each restart, shape (restarts,).
        U: first-layer weights of the best network, shape (I, m, d).
        a: output weights of the best network, shape (I, m).
        budget: (1/I) sum_i ||w_i||^2 of the best network (<= K up to round-off).
    """

    value: float
    values: np.ndarray
    U: np.ndarray
    a: np.ndarray
    budget: float


class MultiBranchMLP:
    """I parallel one-hidden-layer ReLU branches of width m, averaged (docs/branches.md#model).

    ``f(x) = (1/I) sum_i a_i . relu(U_i x)`` with ``U`` of shape (I, m, d) (rows are units; a bias is a
    constant column the user appends to ``X``) and ``a`` of shape (I, m).  Branch i's parameters are
    ``w_i = (U_i, a_i)``.  Only one hidden layer and ``activation="relu"`` are implemented.

    Scales (docs/branches.md#scales): f is positively homogeneous in x, ``f(s x) = s f(x)``, so scaling the
    whole of ``X`` by s > 0 -- the bias column included, which then holds s instead of 1 -- together with tau
    leaves the loss, its gradient and every trained network unchanged; scaling X by s with tau fixed and the
    budget K by 1/s maps trained parameters to theta / sqrt(s).  Every method computes on X / 2^e (max entry
    in [1/2, 1)) internally, so this holds across the whole float64 range.

    Threads: evaluation methods (:meth:`forward`, :meth:`loss`, :meth:`gradient`) only read the parameters
    and may run concurrently (the core releases the GIL).  An instance being fitted is not safe to share
    between threads: :meth:`fit`, :meth:`set_params`, :meth:`rebalance` and :meth:`project` replace ``U``
    and ``a``; give each thread its own :meth:`copy`.

    Args:
        n_branches: I >= 1.
        width: m >= 1 hidden units per branch.
        d: input dimension (bias column included).
        activation: "relu".
        seed: seed of the random initialisation (Gaussian, U ~ N(0, 1/d), a ~ N(0, 1/m)).
    """

    def __init__(
        self, n_branches: int, width: int, d: int, activation: str = "relu", seed: Optional[int] = None
    ) -> None:
        self.n_branches, self.width, self.d = check_size(n_branches, width, d)
        self.activation = as_choice(activation, "activation", ["relu"])
        rng = np.random.default_rng(None if seed is None else as_int(seed, "seed", minimum=0))
        I, m = self.n_branches, self.width
        self._U = rng.standard_normal((I, m, self.d)) / math.sqrt(self.d)
        self._a = rng.standard_normal((I, m)) / math.sqrt(m)

    # ----------------------------------------------------------------------------------- parameters
    @property
    def U(self) -> np.ndarray:
        """First-layer weights, shape (I, m, d) (a copy)."""
        return self._U.copy()

    @property
    def a(self) -> np.ndarray:
        """Output weights, shape (I, m) (a copy)."""
        return self._a.copy()

    @property
    def n_params(self) -> int:
        return self.n_branches * self.width * (self.d + 1)

    def set_params(self, U: Any = None, a: Any = None) -> MultiBranchMLP:
        """Replace the parameters.

        Args:
            U: first-layer weights, shape (I, m, d), or None to keep them.
            a: output weights, shape (I, m), or None to keep them.

        Returns:
            ``self``.

        Raises:
            InputError: a shape that does not match the architecture, or non-finite values.
        """
        I, m, d = self.n_branches, self.width, self.d
        if U is not None:
            U = as_array(U, "U", 3)
            if U.shape != (I, m, d):
                raise InputError(f"U must have shape {(I, m, d)}, got {U.shape}")
            self._U = U.copy()
        if a is not None:
            a = as_array(a, "a", 2)
            if a.shape != (I, m):
                raise InputError(f"a must have shape {(I, m)}, got {a.shape}")
            self._a = a.copy()
        return self

    def copy(self) -> MultiBranchMLP:
        """An independent copy of the network."""
        other = MultiBranchMLP(self.n_branches, self.width, self.d, self.activation, seed=0)
        other._U = self._U.copy()
        other._a = self._a.copy()
        return other

    def units(self) -> Tuple[np.ndarray, np.ndarray]:
        """All P = I m units as (U (P, d), a (P,)), branch-major (unit i m + j is unit j of branch i)."""
        P = self.n_branches * self.width
        return (
            np.ascontiguousarray(self._U.reshape(P, self.d)),
            np.ascontiguousarray(self._a.reshape(P)),
        )

    # ------------------------------------------------------------------------------------ evaluation
    def _check_X(self, X: Any) -> np.ndarray:
        X = as_array(X, "X", 2)
        if X.shape[1] != self.d:
            raise InputError(f"X must have d = {self.d} columns, got shape {X.shape}")
        return X

    def forward(self, X: Any) -> np.ndarray:
        """Network outputs f(x_j) = (1/I) sum_k a_k relu(u_k . x_j) (docs/branches.md#model).

        Args:
            X: data, shape (n, d).

        Returns:
            f, shape (n,); ``forward(s X) = s forward(X)`` for s > 0 (computed on X / 2^e,
            docs/branches.md#scales).

        Raises:
            InputError: X not a finite 2-D array with d columns, or outputs beyond float64's range.
        """
        X = self._check_X(X)
        U, a = self.units()
        e = exponent(X)
        with np.errstate(over="ignore"):  # reported below
            f = np.ldexp(_core.branches_forward(np.ldexp(X, -e), U, a, self.n_branches), e)
        if not np.isfinite(f).all():
            raise InputError("X: the network's outputs f(x_j) exceed float64's range for this X")
        return f

    def loss(self, X: Any, y: Any, tau: float = 1.0, loss: str = "hinge") -> float:
        """The training loss R(theta) = mean_j l(y_j f(x_j) / tau) (docs/branches.md#model).

        Args:
            X: data, shape (n, d).
            y: labels, shape (n,), in {-1, +1}.
            tau: hinge scale > 0.
            loss: "hinge" (l(t) = max(0, 1 - t)) or "squared_hinge" (l(t) = max(0, 1 - t)^2).

        Returns:
            R(theta).

        Raises:
            InputError: bad data, tau <= 0 or an unknown loss.
        """
        return self.gradient(X, y, tau, loss)[0]

    def gradient(
        self, X: Any, y: Any, tau: float = 1.0, loss: str = "hinge"
    ) -> Tuple[float, np.ndarray, np.ndarray]:
        """R(theta) and its a.e. gradient, with relu'(0) = 0 and hinge'(0) = 0 (docs/branches.md#model).

        Args:
            X: data, shape (n, d).
            y: labels, shape (n,), in {-1, +1}.
            tau: hinge scale > 0.
            loss: "hinge" or "squared_hinge".

        Returns:
            (R, dR/dU of shape (I, m, d), dR/da of shape (I, m)); unchanged when X and tau are scaled together
            (docs/branches.md#scales).

        Raises:
            InputError: bad data, tau <= 0 or out of scale with X, or an unknown loss.
        """
        X, y = check_data(X, y)
        if X.shape[1] != self.d:
            raise InputError(f"X must have d = {self.d} columns, got shape {X.shape}")
        tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
        X, tau, _ = normalise(X, tau)
        U, a = self.units()
        g = loss_gradient(X, y, U, a, self.n_branches, tau, check_loss(loss))
        I, m = self.n_branches, self.width
        return float(g.loss), g.grad_U.reshape(I, m, self.d), g.grad_a.reshape(I, m)

    # --------------------------------------------------------------------------------------- budget
    def branch_sq_norms(self) -> np.ndarray:
        """||w_i||^2 = ||U_i||_F^2 + ||a_i||^2 per branch, shape (I,)."""
        return np.einsum("imd,imd->i", self._U, self._U) + np.einsum("im,im->i", self._a, self._a)

    def budget(self) -> float:
        """(1/I) sum_i ||w_i||^2, the left side of the budget constraint (docs/branches.md#model)."""
        return float(self.branch_sq_norms().mean())

    def path_norm(self) -> float:
        """pn(theta) = sum_units |a_k / I| ||u_k||; after :meth:`rebalance`, budget() = 2 pn.

        See docs/branches.md#model.
        """
        return float(np.sum(np.abs(self._a) * np.linalg.norm(self._U, axis=2)) / self.n_branches)

    def rebalance(self) -> MultiBranchMLP:
        """(a, u) -> (a c, u / c), c = sqrt(||u|| / |a|): |a| = ||u|| per unit, f unchanged, budget minimal.

        Units with a = 0 or u = 0 contribute nothing and are set to zero.
        """
        nu = np.linalg.norm(self._U, axis=2)
        na = np.abs(self._a)
        live = (nu > 0) & (na > 0)
        c = np.ones_like(nu)
        c[live] = np.sqrt(nu[live] / na[live])
        self._a = np.where(live, self._a * c, 0.0)
        self._U = np.where(live[..., None], self._U / c[..., None], 0.0)
        return self

    def project(self, K: float, R2: Optional[float] = None) -> MultiBranchMLP:
        """Exact Euclidean projection onto {(1/I) sum ||w_i||^2 <= K} (and ||w_i||^2 <= R2 for all i).

        Each branch becomes ``w_i * min(1/(1 + nu), sqrt(R2)/||w_i||)`` with the smallest nu >= 0 meeting the
        sum constraint (docs/branches.md#model; closed form on the sorted norms, :func:`projection_scales`).
        Without R2 this is one global rescaling.

        Args:
            K: budget > 0.
            R2: optional per-branch ball ||w_i||^2 <= R2.

        Returns:
            ``self``.

        Raises:
            InputError: K <= 0.
        """
        K = as_real(K, "K", minimum=0.0, strict_min=True)
        scale = projection_scales(self.branch_sq_norms(), self.n_branches * K, R2)
        self._U = self._U * scale[:, None, None]
        self._a = self._a * scale[:, None]
        return self

    # ------------------------------------------------------------------------------------- training
    def fit(
        self,
        X: Any,
        y: Any,
        tau: float,
        K: float,
        restarts: int = 4,
        steps: int = 300,
        seed: int = 0,
        lr: Optional[float] = None,
        loss: str = "hinge",
        R2: Optional[float] = None,
        optimizer: str = "gd",
    ) -> FitResult:
        """Projected first-order training on (P_I): min R(theta) s.t. (1/I) sum ||w_i||^2 <= K.

        The upper bound of the duality-gap bracket (docs/branches.md#bracket).

        ``optimizer="gd"`` (default): normalised projected gradient descent, theta <- theta - lr_t ||theta||
        g / ||g||, a relative step that does not depend on the scale of K, tau or the data.
        ``optimizer="adam"``: projected Adam as written in docs/branches.md#bracket.  On the digits problem of
        the reproduce section (tau = 1, K = 16) projected Adam stalled at losses 0.40-0.44 for every step size
        tried, where normalised projected GD reached 0.29 (the infinite-width LP value there is about 0.30),
        hence the default.
        Both: full batch, cosine step decay, exact projection after every step; each restart ends with
        rebalancing (frees budget) and an exact 1-D search over a global scale t = s^2 in [0, K / budget]
        (f is 2-homogeneous in theta and R is convex in t); the best iterate of each restart is kept.  The
        model's parameters are set to the best network.  A local method: its value is an upper bound on
        inf(P_I), never a certificate of optimality.

        Args:
            X: data, shape (n, d).
            y: labels, shape (n,), in {-1, +1}.
            tau: hinge scale > 0.
            K: budget > 0.
            restarts: >= 1 random initialisations (seeded from ``seed``).
            steps: >= 0 steps per restart.
            seed: seed >= 0 of the initialisations.
            lr: initial step.  "gd": relative step, default 0.1.  "adam": absolute step, default
                0.1 sqrt(K / (m (d + 1))) (the rms coordinate on the budget sphere).
            loss: "hinge" or "squared_hinge".
            R2: optional per-branch ball ||w_i||^2 <= R2.
            optimizer: "gd" or "adam".

        Scales (docs/branches.md#scales): the result is unchanged when X (bias column included) and tau are
        scaled together; scaling X by s with tau fixed and K, R2 by 1/s gives value unchanged and parameters
        theta / sqrt(s).  Training runs on X / 2^e, and its norms are computed scaled.

        Threads: fit replaces ``U`` and ``a``; do not share an instance being fitted between threads.

        Returns:
            FitResult of the best restart.

        Raises:
            InputError: an invalid argument, named (restarts <= 10^6, steps <= 10^8).
            DivergenceError: a non-finite loss during training.
        """
        X, y = check_data(X, y)
        if X.shape[1] != self.d:
            raise InputError(f"X must have d = {self.d} columns, got shape {X.shape}")
        tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
        K = as_real(K, "K", minimum=0.0, strict_min=True)
        restarts = as_int(restarts, "restarts", minimum=1, maximum=MAX_RESTARTS)
        steps = as_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
        seed = as_int(seed, "seed", minimum=0)
        if R2 is not None:
            R2 = as_real(R2, "R2", minimum=0.0, strict_min=True)
        loss = check_loss(loss)
        I, m, d = self.n_branches, self.width, self.d
        optimizer = as_choice(optimizer, "optimizer", ["gd", "adam"])
        if lr is None:
            lr = 0.1 if optimizer == "gd" else 0.1 * math.sqrt(K / (m * (d + 1)))
        lr = as_real(lr, "lr", minimum=0.0, strict_min=True)
        X, tau, _ = normalise(X, tau)  # R(theta; X, tau) = R(theta; X / 2^e, tau / 2^e), on data of order one

        def evaluate(U: np.ndarray, a: np.ndarray) -> Tuple[float, np.ndarray, np.ndarray]:
            g = loss_gradient(X, y, U, a, I, tau, loss)
            return float(g.loss), g.grad_U, g.grad_a

        values = np.empty(restarts)
        best: Tuple[float, np.ndarray, np.ndarray] = (math.inf, self._U, self._a)
        for r, child in enumerate(np.random.SeedSequence(seed).spawn(restarts)):
            init = MultiBranchMLP(I, m, d, seed=np.random.default_rng(child).integers(2**63))
            # start on the budget sphere: f is 2-homogeneous, so the scale matters as much as the direction
            sq = init.budget()
            init._U *= math.sqrt(K / sq)
            init._a *= math.sqrt(K / sq)
            init.project(K, R2)
            U, a = init.units()
            mU, vU = np.zeros_like(U), np.zeros_like(U)
            ma, va = np.zeros_like(a), np.zeros_like(a)
            b1, b2, eps = 0.9, 0.999, 0.0
            run_best = (math.inf, U.copy(), a.copy())
            for t in range(steps + 1):
                v, gU, ga = evaluate(U, a)
                if not math.isfinite(v):
                    raise DivergenceError(f"fit: non-finite loss at restart {r}, step {t}")
                if v < run_best[0]:
                    run_best = (v, U.copy(), a.copy())
                if t == steps:
                    break
                step = lr * 0.5 * (1.0 + math.cos(math.pi * t / steps))
                if optimizer == "gd":
                    gnorm = safe_norm(np.concatenate([gU.ravel(), ga]))
                    if gnorm == 0.0:
                        break  # a stationary point of a piecewise-linear loss: nothing moves it
                    scale = step * (safe_norm(np.concatenate([U.ravel(), a])) / gnorm)
                    U = U - scale * gU
                    a = a - scale * ga
                    U, a = _project_units(U, a, I, m, K, R2)
                    continue
                if t == 0:  # Adam's epsilon relative to the gradient's scale (docs/branches.md#scales)
                    grms = safe_norm(np.concatenate([gU.ravel(), ga])) / math.sqrt(gU.size + ga.size)
                    eps = 1e-12 * grms if grms > 0.0 else float(np.finfo(float).tiny)
                mU = b1 * mU + (1 - b1) * gU
                vU = b2 * vU + (1 - b2) * gU * gU
                ma = b1 * ma + (1 - b1) * ga
                va = b2 * va + (1 - b2) * ga * ga
                c1, c2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
                U = U - step * (mU / c1) / (np.sqrt(vU / c2) + eps)
                a = a - step * (ma / c1) / (np.sqrt(va / c2) + eps)
                U, a = _project_units(U, a, I, m, K, R2)
            net = MultiBranchMLP(I, m, d)
            net._U = run_best[1].reshape(I, m, d)
            net._a = run_best[2].reshape(I, m)
            net.rebalance()
            net._scale_search(X, y, tau, K, loss, R2)
            Uf, af = net.units()
            vf = evaluate(Uf, af)[0]
            if vf <= run_best[0]:
                run_best = (vf, Uf, af)
            values[r] = run_best[0]
            if run_best[0] < best[0]:
                best = run_best
        self._U = best[1].reshape(I, m, d).copy()
        self._a = best[2].reshape(I, m).copy()
        return FitResult(float(best[0]), values, self.U, self.a, self.budget())

    def _scale_search(self, X: np.ndarray, y: np.ndarray, tau: float, K: float, loss: str, R2: Any) -> None:
        """theta -> s theta with the best t = s^2 in [0, t_max]; R(t) = mean l(t y f / tau) is convex in t."""
        from scipy.optimize import minimize_scalar

        sq = self.branch_sq_norms()
        total = float(sq.mean())
        if total <= 0.0:
            return
        t_max = K / total
        if R2 is not None and sq.max() > 0:
            t_max = min(t_max, R2 / float(sq.max()))
        U, a = self.units()
        margin = y * _core.branches_forward(X, U, a, self.n_branches) / tau

        def risk(t: float) -> float:
            h = np.maximum(1.0 - t * margin, 0.0)
            return float(np.mean(h if loss == "hinge" else h * h))

        res = minimize_scalar(risk, bounds=(0.0, t_max), method="bounded", options={"xatol": 1e-10 * t_max})
        candidates = [(risk(t_max), t_max), (risk(1.0), 1.0), (risk(float(res.x)), float(res.x))]
        t = min(candidates)[1]
        s = math.sqrt(t)
        self._U *= s
        self._a *= s


def _project_units(
    U: np.ndarray, a: np.ndarray, I: int, m: int, K: float, R2: Optional[float]
) -> Tuple[np.ndarray, np.ndarray]:
    """The exact projection (docs/branches.md#model) on units U (I m, d), a (I m,) grouped branch-major."""
    sq = (U * U).reshape(I, -1).sum(1) + (a * a).reshape(I, m).sum(1)
    s = np.repeat(projection_scales(sq, I * K, R2), m)
    return U * s[:, None], a * s


def projection_scales(sq_norms: np.ndarray, total: float, R2: Optional[float]) -> np.ndarray:
    """Per-branch factors min(1/(1 + nu), sqrt(R2)/||w_i||) of the exact projection (docs/branches.md#model).

    ``sq_norms`` are ||w_i||^2, ``total`` = I K is the bound on their sum.  With s = 1/(1 + nu) the budget
    reads g(s) = sum_i min(s^2 ||w_i||^2, R2) = total.  g is increasing and, with the k largest branches
    capped, g(s) = k R2 + s^2 S_k (S_k the sum of the other squared norms), so s solves a linear equation in
    s^2 on each of the I pieces; the piece is the first k whose solution leaves branch k + 1 uncapped
    (O(I log I), no iteration).  Bisection on nu is kept only for degenerate inputs (S_k = 0).
    """
    sq = np.asarray(sq_norms, dtype=float)
    norms = np.sqrt(sq)
    if R2 is None:
        s = float(sq.sum())
        return np.full(sq.shape, 1.0 if s <= total else math.sqrt(total / s))
    cap = np.where(norms > 0, math.sqrt(R2) / np.where(norms > 0, norms, 1.0), np.inf)

    def scales(nu: float) -> np.ndarray:
        return np.minimum(1.0 / (1.0 + nu), cap)

    def excess(nu: float) -> float:
        return float(np.sum(scales(nu) ** 2 * sq)) - total

    if excess(0.0) <= 0.0:
        return np.minimum(1.0, cap)
    q = np.sort(sq)[::-1]  # descending
    k = np.arange(q.size)
    rest = np.concatenate([np.cumsum(q[::-1])[::-1], [0.0]])[: q.size]  # S_k = sum_{j >= k} q_j (0-based)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (total - k * R2) / rest
        ok = (rest > 0) & (s2 > 0) & (s2 <= 1.0) & (q * s2 <= R2 * (1 + 1e-12))
    if ok.any():
        s = math.sqrt(float(s2[int(np.argmax(ok))]))
        out = np.minimum(s, cap)
        over = float(np.sum(out**2 * sq))
        if over > total:  # round-off: step onto the feasible side
            out = out * math.sqrt(total / over)
        return out
    lo, hi = 0.0, 1.0
    while excess(hi) > 0.0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if excess(mid) > 0.0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * (1.0 + hi):
            break
    return scales(hi)
