"""Regimes, the duality-gap bracket versus the number of branches, and the closed-form benchmark.

Problem (P_I): min R(theta) s.t. (1/I) sum_i ||w_i||^2 <= K, with the tau-hinge R (docs/branches.md#model).
Zhang et al.'s theorem (docs/branches.md#dual) bounds 0 <= inf(P_I) - sup(D_I) <= 2 Delta_worst / I, but only
when the hinge never clips (regime A, tau >= tau_min; docs/branches.md#dual); there, for one-hidden-layer ReLU
branches with weight decay, the gap is in fact zero for every I (docs/branches.md#zero-gap), so the bound is
vacuous.  In every regime, C* (the infinite-width convex program) satisfies C* <= sup(D_I) <= inf(P_I)
(docs/branches.md#lower-bound), which gives the bracket computed here (docs/branches.md#bracket).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .._errors import InputError
from .._repr import CompactRepr
from .._validate import as_array, as_int, as_real
from ._model import (
    MAX_INT,
    MAX_RESTARTS,
    MAX_STEPS,
    MultiBranchMLP,
    check_data,
    check_size,
    loss_gradient,
    projection_scales,
)
from ._oracle import _exact as m_plus_exact
from ._oracle import _heuristic as m_plus_heuristic
from ._oracle import _sdp as m_plus_sdp
from ._oracle import _upper as m_plus_upper
from ._scale import exponent, ldexp, normalise

__all__ = [
    "Assumptions",
    "GapEntry",
    "tau_min",
    "check_assumptions",
    "gap_bracket",
    "exact_separable_benchmark",
]

EXACT_MAX_N_3D = 600  # largest n for which the d = 3 arrangement is enumerated (about 2 n^2 vertices)
UNCERTIFIED_NOTE = "lower bound modulo global neuron search (heuristic oracle; not a certificate)"
MAX_ROUNDS = 10**4  # column-generation rounds
MAX_UNITS = 10**7  # random / trained dictionary units


def tau_min(X: Any, K: float) -> float:
    """tau_min = B max_j ||x_j|| with B = K/2, over the rows of X as given (bias column included).

    An upper bound on |f(x_j)| over the feasible set {(1/I) sum ||w_i||^2 <= K}: for tau >= tau_min the
    tau-hinge never clips (regime A, the theorem's setting; docs/branches.md#dual).

    Equivariant (docs/branches.md#scales): tau_min(s X, t K) = s t tau_min(X, K) for s, t > 0.  The row norms
    are computed as LAPACK's dnrm2 does (on X / 2^e with max|X / 2^e| in [1/2, 1)) and the product in
    mantissa-exponent form, so nothing overflows or underflows unless tau_min itself does.

    Args:
        X: data, shape (n, d).
        K: budget > 0.

    Returns:
        tau_min.

    Raises:
        InputError: X not a finite 2-D array, K <= 0, or tau_min beyond float64's range.
    """
    X = as_array(X, "X", 2)
    K = as_real(K, "K", minimum=0.0, strict_min=True)
    e = exponent(X)
    r = float(np.max(np.linalg.norm(np.ldexp(X, -e), axis=1)))  # in [1/2, sqrt(d))
    fK, eK = math.frexp(K)
    tm = ldexp(0.5 * r * fK, e + eK)
    if not math.isfinite(tm):
        raise InputError(
            f"X, K: tau_min = K/2 max_j ||x_j|| = 2^{e + eK + math.frexp(0.5 * r * fK)[1]} overflows "
            "float64; rescale X and tau together (docs/branches.md#scales)"
        )
    return tm


@dataclass(frozen=True, repr=False)
class Assumptions(CompactRepr):
    """Which regime (X, tau, K) is in, and what of the theorem's hypotheses fails (docs/branches.md#dual).

    Attributes:
        regime: "A" (tau >= tau_min: the hinge is affine on the feasible set, the theorem applies) or "B".
        tau_min: K/2 max_j ||x_j||.
        violated: hypotheses of the theorem that fail, in words (empty in regime A).
        warnings: facts the user should know when reading a result in this regime.
    """

    regime: str
    tau_min: float
    violated: Tuple[str, ...]
    warnings: Tuple[str, ...]


def check_assumptions(X: Any, tau: float, K: float, R2: Optional[float] = None) -> Assumptions:
    """Regime A/B of (X, tau, K) with the violated assumptions and warnings.

    The regimes are defined in docs/branches.md#dual, the facts behind the warnings in docs/branches.md#facts
    and docs/branches.md#survey.

    Args:
        X: data, shape (n, d).
        tau: hinge scale > 0.
        K: budget > 0.
        R2: optional per-branch ball ||w_i||^2 <= R2.

    Returns:
        Assumptions.

    Raises:
        InputError: X not a finite 2-D array, tau <= 0 or K <= 0.
    """
    X = as_array(X, "X", 2)
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    K = as_real(K, "K", minimum=0.0, strict_min=True)
    tm = tau_min(X, K)
    violated: List[str] = []
    notes: List[str] = []
    if tau < tm:
        violated.append(
            f"tau >= tau_min: tau = {tau:.6g} < tau_min = {tm:.6g}, so the hinge clips on the feasible "
            "set and the objective is not separable over branches; the 2 Delta / I bound does not apply"
        )
    if R2 is None:
        notes.append(
            "no per-branch ball given: each W_i is taken as the ball ||w_i||^2 <= I K implied by the budget "
            "(the theorem needs compact W_i)"
        )
    if tau == 1.0:
        notes.append(
            "tau = 1 is the ordinary hinge (the survey's 'tau = 0' is a typo: the loss is undefined there)"
        )
    if tau >= tm:
        notes.append(
            "regime A with weight decay: for one-hidden-layer ReLU branches the gap is exactly zero for "
            "every I (docs/branches.md#zero-gap); the 2 Delta / I bound is true but vacuous here"
        )
        if tau > 10 * tm:
            notes.append("tau >> tau_min: the loss is close to the constant 1 on the feasible set")
    return Assumptions("A" if tau >= tm else "B", tm, tuple(violated), tuple(notes))


def exact_separable_benchmark(K_over_R: float, I: int) -> float:
    """gap(I) / rho_v = 4 s (R - s) / (R^2 I) of the closed-form case with a nonzero gap.

    Regime A, norm budget h = ||w|| (not squared), W_i = {||w_i|| <= R}, 0 < K <= R
    (docs/branches.md#benchmark).  With q = floor(I K / R) and s = I K - q R (in units of R:
    s/R = frac(I K / R)), the gap is (M / (2 n tau)) s (R - s) / I and rho_v = M R^2 / (8 n tau).  The ratio
    depends only on K/R and I, is <= 1/I, and is 0 exactly when I K / R is an integer.

    Args:
        K_over_R: K / R in (0, 1].
        I: number of branches >= 1.

    Returns:
        gap(I) / rho_v.

    Raises:
        InputError: K_over_R outside (0, 1], or I outside [1, 2^53].
    """
    k = as_real(K_over_R, "K_over_R", minimum=0.0, maximum=1.0, strict_min=True)
    I = as_int(I, "I", minimum=1, maximum=2**53)  # I K / R exact in float64
    x = I * k
    q = math.floor(x + 1e-12 * x)  # frac of an integer computed with round-off stays an integer
    s = max(0.0, x - q)
    if abs(s - 1.0) < 1e-12 * max(1.0, x):
        s = 0.0
    return 4.0 * s * (1.0 - s) / I


@dataclass(frozen=True, repr=False)
class GapEntry(CompactRepr):
    """Bracket of inf(P_I) and sup(D_I) at one branch count I (docs/branches.md#bracket).

    Attributes:
        upper: UB_I = min(upper_trained, upper_pruned) >= inf(P_I) (feasible networks' losses).
        lower: the best lower bound on sup(D_I) (and on C*): certified if ``certified``, else computed with
            the heuristic neuron oracle, i.e. valid "modulo global neuron search".
        certified: whether ``lower`` is a certificate (exact oracle for d <= 3, or the certified bound).
        lower_certified: an always-valid lower bound (closed-form or SDP upper bound on M), often loose.
        gap_upper: upper - lower, an upper bound on inf(P_I) - sup(D_I) (same certification as ``lower``).
        regime: "A" or "B".  tau_min: K/2 max ||x_j||.
        bound: 2 Delta_hi / I in regime A (the theorem's bound with a certified Delta_hi), else None.
        bound_reason: why ``bound`` is None, or how Delta was bracketed.
        delta: (Delta_lo, Delta_hi) in regime A, else None.
        closed_form: regime A only: the interval [1 - B M_cert/(n tau), 1 - B M_heur/(n tau)] containing
            inf(P_I) = sup(D_I) for every I (docs/branches.md#zero-gap).
        upper_trained, upper_pruned: the two upper bounds.
        v_lp: value of the last column-generation LP (a feasible infinite-width network, >= C*).
        n_active: units with nonzero weight in that LP solution.
        note: text for reports.
        extra: column-generation diagnostics (rounds, converged, dictionary_size, oracle, M_bar_certified,
            lower_heuristic).
    """

    upper: float
    lower: float
    certified: bool
    regime: str
    bound: Optional[float]
    lower_certified: float
    gap_upper: float
    tau_min: float
    bound_reason: str
    delta: Optional[Tuple[float, float]]
    closed_form: Optional[Tuple[float, float]]
    upper_trained: float
    upper_pruned: float
    v_lp: float
    n_active: int
    note: str
    extra: Dict[str, Any] = field(default_factory=dict)


def _solve_lp(Phi: np.ndarray, y: np.ndarray, tau: float, B: float) -> Tuple[float, np.ndarray, np.ndarray]:
    """min (1/n) sum xi s.t. xi_j >= 1 - (y_j/tau)(Phi alpha)_j, xi >= 0, ||alpha||_1 <= B (HiGHS).

    Solved in z = (m / tau) alpha with m = max |Phi_jk|: the margin rows see Phi / m (entries in [-1, 1]) and
    the budget is ||z||_1 <= B m / tau, so the LP's matrix is scale-free whatever the scale of X
    (docs/branches.md#scales); a budget beyond HiGHS's infinite bound (1e20) is then inactive, as it is in
    exact arithmetic once it exceeds the norm of an optimal vertex.  Returns (value, alpha, beta) with
    beta_j = n x (multiplier of margin constraint j), in [0, 1].
    """
    from scipy import sparse
    from scipy.optimize import linprog

    n, p = Phi.shape
    m = float(np.max(np.abs(Phi))) if Phi.size else 0.0
    if m == 0.0:  # every feature is 0: alpha does not enter the margins, xi = 1
        return 1.0, np.zeros(p), np.ones(n)
    budget = (B / tau) * m  # may overflow to inf: then the budget row is dropped (inactive)
    Yp = y[:, None] * (Phi / m)
    A_margin = sparse.hstack(
        [sparse.csr_matrix(-Yp), sparse.csr_matrix(Yp), -sparse.identity(n, format="csr")], format="csr"
    )
    rows, rhs = [A_margin], [-np.ones(n)]
    if np.isfinite(budget):
        rows.append(sparse.csr_matrix(np.concatenate([np.ones(2 * p), np.zeros(n)])[None, :]))
        rhs.append([budget])
    A = sparse.vstack(rows, format="csr")
    b = np.concatenate(rhs)
    cost = np.concatenate([np.zeros(2 * p), np.full(n, 1.0 / n)])
    res = linprog(cost, A_ub=A, b_ub=b, bounds=(0, None), method="highs-ipm")  # IPM + crossover
    if res.status != 0:
        raise RuntimeError(f"gap_bracket: the LP failed ({res.message})")
    # alpha = tau beta / m, written so that neither factor overflows.
    alpha = (res.x[:p] - res.x[p : 2 * p]) / m * tau
    beta = np.clip(-n * res.ineqlin.marginals[:n], 0.0, 1.0)
    return float(res.fun), alpha, beta


def _value_of(X: np.ndarray, c: np.ndarray, U: np.ndarray) -> np.ndarray:
    return np.maximum(U @ X.T, 0.0) @ c


def _network_loss(X: np.ndarray, y: np.ndarray, U: np.ndarray, a: np.ndarray, I: int, tau: float) -> float:
    return loss_gradient(X, y, U, a, I, tau, "hinge").loss


def _pruned_network(
    X: np.ndarray,
    y: np.ndarray,
    tau: float,
    B: float,
    D: np.ndarray,
    alpha: np.ndarray,
    I: int,
    m: int,
    R2: Optional[float] = None,
) -> Tuple[float, np.ndarray, np.ndarray]:
    """The LP solution pruned to a network of I branches with m units; returns (loss, U, a).

    Keeps the I m dictionary units with largest |alpha|, re-solves the LP on them and maps unit k to
    a_k = sign(alpha_k) sqrt(I |alpha_k|), u_k = sqrt(I |alpha_k|) d_k (rebalanced: (1/I) sum ||w_i||^2 =
    2 ||alpha||_1 <= K).  If all units fit in one branch, every branch gets a copy of each with weight
    |alpha_k| (so every branch has the average norm); otherwise units are dealt to branches greedily (largest
    first, to the lightest branch with a free slot).  With per-branch balls ||w_i||^2 <= R2 the network is
    then projected (docs/branches.md#model), so it stays feasible.  One of the upper bounds of
    docs/branches.md#bracket.
    """
    P = I * m
    support = np.flatnonzero(alpha != 0.0)
    if support.size <= P:  # the LP solution fits: it is already optimal on any sub-dictionary containing it
        keep = support[np.argsort(-np.abs(alpha[support]), kind="stable")]
        Dk, alpha_k = D[keep], alpha[keep].copy()
    else:
        keep = np.argsort(-np.abs(alpha), kind="stable")[:P]
        Dk = D[keep]
        _, alpha_k, _ = _solve_lp(np.maximum(X @ Dk.T, 0.0), y, tau, B)
    # HiGHS may exceed the budget by its feasibility tolerance; rescale into it so the network is feasible.
    l1 = np.abs(alpha_k).sum()
    if l1 > B:
        alpha_k *= B / l1
    r = np.sqrt(I * np.abs(alpha_k))
    U = np.zeros((I, m, X.shape[1]))
    a = np.zeros((I, m))
    if keep.size <= m:
        # every branch gets a copy of every unit with a share 1/I: (a, u) = (sign sqrt|alpha_k|,
        # sqrt|alpha_k| d_k); f is unchanged and every branch has the average norm 2 ||alpha||_1 (the most
        # balanced mapping)
        r1 = np.sqrt(np.abs(alpha_k))
        U[:, : keep.size] = (r1[:, None] * Dk)[None]
        a[:, : keep.size] = (np.sign(alpha_k) * r1)[None]
        keep = keep[:0]
    load = np.zeros(I)
    used = np.zeros(I, dtype=int)
    for k in np.argsort(-np.abs(alpha_k), kind="stable")[: keep.size]:
        free = np.flatnonzero(used < m)
        i = int(free[np.argmin(load[free])])
        U[i, used[i]] = r[k] * Dk[k]
        a[i, used[i]] = np.sign(alpha_k[k]) * r[k]
        load[i] += 2 * r[k] ** 2
        used[i] += 1
    if R2 is not None:
        sq = np.einsum("imd,imd->i", U, U) + np.einsum("im,im->i", a, a)
        scale = projection_scales(sq, I * 2 * B, R2)
        U *= scale[:, None, None]
        a *= scale[:, None]
    Uf, af = U.reshape(P, -1), a.reshape(P)
    return _network_loss(X, y, Uf, af, I, tau), Uf, af


def _bar(iterable: Any, desc: str, show: bool) -> Any:
    """``iterable`` wrapped in a tqdm bar on stderr when ``show``; the plain iterable otherwise."""
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False, dynamic_ncols=True)


def gap_bracket(
    X: Any,
    y: Any,
    tau: float,
    K: float,
    branch_counts: Sequence[int],
    width: Union[int, Sequence[int]] = 4,
    restarts: int = 3,
    steps: int = 300,
    seed: int = 0,
    R2: Optional[float] = None,
    rounds: int = 8,
    n_random_units: int = 200,
    certify: str = "auto",
    max_trained_units: int = 200,
    units_per_round: int = 4,
    optimizer: str = "gd",
    progress: bool = False,
) -> Dict[int, GapEntry]:
    """Bracket inf(P_I) and sup(D_I) for each I in ``branch_counts`` (docs/branches.md#bracket).

    * Lower bound: column generation on the infinite-width convex program C* (LP with scipy's HiGHS over a
      dictionary of unit neurons: normalised trained first-layer rows plus ``n_random_units`` random ones;
      up to ``rounds`` rounds, each adding the neuron oracle's best units).  For every LP dual beta in
      [0, 1]^n, C* >= mean(beta) - (B / (n tau)) Mbar(beta o y) with Mbar >= M (B = K/2), and C* <= sup(D_I)
      for every I (docs/branches.md#lower-bound).  With the heuristic oracle this is a bound *modulo global
      neuron search* (``certified=False``); for d <= 3 the arrangement is enumerated exactly and the bound is
      certified.  ``lower_certified`` always holds (closed-form upper bound on M, or the SDP bound when
      ``certify="sdp"`` and cvxpy is installed).
    * Upper bound: UB_I = min(best of ``restarts`` training runs (``optimizer``, see
      :meth:`MultiBranchMLP.fit`) with I branches of ``width`` units, the network pruned from the LP solution
      to I * width units).  ``width`` may be one value per I (e.g. a fixed total width I m), so that every I
      shares one column generation.
    * Regime A (docs/branches.md#dual): the closed-form value 1 - B M / (n tau) as an interval, Delta's
      interval [R2 ||X^T y|| / (4 n tau), R2 M_cert / (n tau)] (R2 = I K when no per-branch ball is given)
      and the theorem's bound 2 Delta_hi / I.  Regime B: ``bound`` is None with the reason.

    Args:
        X: data, shape (n, d).
        y: labels, shape (n,), in {-1, +1}.
        tau: hinge scale > 0.
        K: budget > 0.
        branch_counts: distinct integers I >= 1 (or one integer).
        width: m >= 1 units per branch, or one value per I.
        restarts: training restarts >= 1 per I.
        steps: training steps >= 0 per restart.
        seed: seed >= 0 of every random draw.
        R2: optional per-branch ball ||w_i||^2 <= R2.
        rounds: column-generation rounds >= 1.
        n_random_units: random unit neurons >= 1 in the initial dictionary.
        certify: "auto" (exact oracle for d <= 2, and for d = 3 with n <= 600; otherwise the heuristic oracle
            plus the closed-form certified bound), "sdp" (as "auto", plus the SDP bound; needs cvxpy), "none"
            (heuristic oracle only).
        max_trained_units: trained units >= 0 kept in the dictionary (largest path-norm share first).
        units_per_round: extra local maxima >= 0 of the oracle added per sign and round.
        optimizer: "gd" or "adam", see :meth:`MultiBranchMLP.fit`.
        progress: show tqdm progress bars (on stderr) over the training runs, the column-generation rounds
            and the pruned networks; off by default.

    Scales (docs/branches.md#scales): the losses and bounds depend on (X, tau, K, R2) only through
    X K / tau and R2 / K, so they are unchanged when X (bias column included) and tau are scaled together, or
    X by s and K, R2 by 1/s; ``tau_min`` scales like X K.  The bracket is computed on X / 2^e (max entry in
    [1/2, 1)) and the LP in the scale-free form of :func:`_solve_lp`.

    Returns:
        {I: GapEntry}.  Invariants: lower <= v_lp, lower <= upper for every I.

    Raises:
        InputError: an invalid argument, named (counts and sizes are bounded: branch counts and widths by
            2^31 - 1 and the network size, rounds by 10^4, dictionary units by 10^7, restarts and steps as
            in :meth:`MultiBranchMLP.fit`).
    """
    X, y = check_data(X, y)
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    K = as_real(K, "K", minimum=0.0, strict_min=True)
    if isinstance(branch_counts, (int, np.integer)) and not isinstance(branch_counts, bool):
        branch_counts = [int(branch_counts)]
    try:
        counts = [as_int(I, "branch_counts", minimum=1, maximum=MAX_INT) for I in branch_counts]
    except TypeError:
        raise InputError("branch_counts must be a sequence of integers >= 1") from None
    if not counts:
        raise InputError("branch_counts must be non-empty")
    if isinstance(width, (list, tuple, np.ndarray)):
        if len(width) != len(counts):
            raise InputError(
                f"width must be an integer or one per branch count ({len(counts)}), got {len(width)}"
            )
        widths = {I: as_int(w, "width", minimum=1, maximum=MAX_INT) for I, w in zip(counts, width)}
    else:
        widths = {I: as_int(width, "width", minimum=1, maximum=MAX_INT) for I in counts}
    if len(set(counts)) != len(counts):
        raise InputError(f"branch_counts must not repeat a value, got {counts}")
    restarts = as_int(restarts, "restarts", minimum=1, maximum=MAX_RESTARTS)
    steps = as_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
    seed = as_int(seed, "seed", minimum=0)
    rounds = as_int(rounds, "rounds", minimum=1, maximum=MAX_ROUNDS)
    n_random_units = as_int(n_random_units, "n_random_units", minimum=1, maximum=MAX_UNITS)
    max_trained_units = as_int(max_trained_units, "max_trained_units", minimum=0, maximum=MAX_UNITS)
    units_per_round = as_int(units_per_round, "units_per_round", minimum=0, maximum=MAX_ROUNDS)
    if R2 is not None:
        R2 = as_real(R2, "R2", minimum=0.0, strict_min=True)
    if certify not in ("auto", "sdp", "none"):
        raise InputError(f"certify must be one of ['auto', 'sdp', 'none'], got {certify!r}")
    n, d = X.shape
    for I in counts:  # the network sizes, before any work
        check_size(I, widths[I], d)
    B = K / 2.0
    rng = np.random.default_rng(seed)
    assumptions = check_assumptions(X, tau, K, R2)
    # the same problem on data of order one: R(theta; X, tau) = R(theta; X / 2^e, tau / 2^e)
    X, tau, _ = normalise(X, tau)
    # exact arrangement enumeration: O(n^2) vertices with O(n) work each for d = 3, so only for moderate n
    exact = certify != "none" and (d <= 2 or (d == 3 and n <= EXACT_MAX_N_3D))

    # --- upper bounds from training, and the trained units for the dictionary
    trained: Dict[int, float] = {}
    rows = []
    for I in _bar(counts, "gap_bracket: training", progress):
        model = MultiBranchMLP(I, widths[I], d, seed=seed)
        fit = model.fit(
            X, y, tau, K, restarts=restarts, steps=steps, seed=seed + I, R2=R2, optimizer=optimizer
        )
        trained[I] = fit.value
        # a unit's share of the path norm, |a_k| ||u_k||, ranks it for the dictionary
        rows.append(
            (fit.U.reshape(-1, d), np.abs(fit.a.reshape(-1)) * np.linalg.norm(fit.U.reshape(-1, d), axis=1))
        )
    units = np.vstack([r[0] for r in rows])
    weight = np.concatenate([r[1] for r in rows])
    units = units[np.argsort(-weight, kind="stable")[:max_trained_units]]
    D = np.vstack([units, rng.standard_normal((n_random_units, d))])
    norms = np.linalg.norm(D, axis=1)
    D = D[norms > 0] / norms[norms > 0][:, None]

    def oracle(c: np.ndarray) -> Tuple[float, np.ndarray, np.ndarray, List[np.ndarray]]:
        """max(M+(c), M+(-c)), the maximisers of both signs, and new dictionary units (unit vectors)."""
        if exact:
            vp, up = m_plus_exact(X, c)
            vm, um = m_plus_exact(X, -c)
            return max(vp, vm), up, um, [up, um]
        vp, up, sp = m_plus_heuristic(X, c, rng)
        vm, um, sm = m_plus_heuristic(X, -c, rng)
        new = [up, um]
        for sign, starts in (
            (1.0, sp),
            (-1.0, sm),
        ):  # a few more good local maxima speed column generation up
            vals = _value_of(X, sign * c, starts)
            new += [starts[k] for k in np.argsort(-vals, kind="stable")[:units_per_round] if vals[k] > 0]
        return max(vp, vm), up, um, new

    lb_best, beta_best, u_best = -math.inf, np.zeros(n), np.zeros(d)
    v_lp, alpha = math.inf, np.zeros(D.shape[0])
    rounds_run = 0
    for _ in _bar(range(rounds), "gap_bracket: column generation", progress):
        rounds_run += 1
        v_lp, alpha, beta = _solve_lp(np.maximum(X @ D.T, 0.0), y, tau, B)
        c = beta * y
        M, up, um, new = oracle(c)
        lb = float(beta.mean() - (B / tau) / n * M)
        if lb > lb_best:
            lb_best, beta_best, u_best = lb, beta, (up if np.abs(up).sum() else um)
        new = [u for u in new if np.linalg.norm(u) > 0]
        if new:
            D = np.vstack([D] + [u[None, :] / np.linalg.norm(u) for u in new])
        if v_lp - lb_best < 1e-4:
            break
    n_active = int(np.sum(np.abs(alpha) > 1e-9 * max(B, 1e-300)))

    # --- always-valid lower bound at the best dual point
    cb = beta_best * y
    mbar = max(m_plus_upper(X, cb), m_plus_upper(X, -cb))
    if certify == "sdp":
        try:
            mbar = min(mbar, max(m_plus_sdp(X, cb, u_best), m_plus_sdp(X, -cb, u_best)))
        except ImportError:
            warnings.warn(
                "gap_bracket: cvxpy is not installed; using the closed-form certified bound", stacklevel=2
            )
    lb_cert = float(beta_best.mean() - (B / tau) / n * mbar)
    certified = exact
    if certified:
        lb_cert = max(lb_cert, lb_best)

    # --- regime A closed form and Delta
    closed = None
    delta_common = None
    if assumptions.regime == "A":
        M_heur = (
            oracle(y.astype(float))[0] if not exact else max(m_plus_exact(X, y)[0], m_plus_exact(X, -y)[0])
        )
        M_cert = M_heur if exact else max(m_plus_upper(X, y), m_plus_upper(X, -y))
        closed = (1.0 - (B / tau) / n * M_cert, 1.0 - (B / tau) / n * M_heur)
        delta_common = (float(np.linalg.norm(X.T @ y)) / (4 * n * tau), M_cert / (n * tau))

    out: Dict[int, GapEntry] = {}
    for I in _bar(counts, "gap_bracket: pruned networks", progress):
        pruned, _, _ = _pruned_network(X, y, tau, B, D, alpha, I, widths[I], R2)
        upper = min(trained[I], pruned)
        # C* <= V_LP always: a heuristic bound above V_LP proves the oracle missed the maximum; cap it (it
        # stays uncertified).
        lower = lb_cert if certified else min(lb_best, v_lp)
        if assumptions.regime == "A" and delta_common is not None:
            r2 = R2 if R2 is not None else I * K
            delta = (r2 * delta_common[0], r2 * delta_common[1])
            bound: Optional[float] = 2.0 * delta[1] / I
            reason = (
                f"Delta in [R2 ||X^T y|| / (4 n tau), R2 M_cert / (n tau)] with R2 = {r2:.6g}"
                + (" (implied ball I K)" if R2 is None else "")
                + "; the true gap is 0 here (docs/branches.md#zero-gap)"
            )
        else:
            delta, bound = None, None
            reason = "regime B (tau < tau_min): the theorem's assumption fails; only the bracket applies"
        note = "certified lower bound" if certified else UNCERTIFIED_NOTE
        out[I] = GapEntry(
            upper=float(upper),
            lower=float(lower),
            certified=bool(certified),
            regime=assumptions.regime,
            bound=bound,
            lower_certified=float(lb_cert),
            gap_upper=float(upper - lower),
            tau_min=assumptions.tau_min,
            bound_reason=reason,
            delta=delta,
            closed_form=closed,
            upper_trained=float(trained[I]),
            upper_pruned=float(pruned),
            v_lp=float(v_lp),
            n_active=n_active,
            note=note,
            extra={
                "rounds": rounds_run,
                "converged": bool(v_lp - lb_best < 1e-4),
                "dictionary_size": int(alpha.size),
                "oracle": "exact (d <= 3)" if exact else "heuristic multistart ascent",
                "M_bar_certified": float(mbar),
                "lower_heuristic": float(lb_best),
            },
        )
    return out
