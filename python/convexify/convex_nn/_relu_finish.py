"""Active-set finish of the ReLU (C-ReLU) program (docs/convex_nn.md#relu-finish).

ADMM (in the core) finds the active neurons and, roughly, which cone rows ``((2 D_i - I) X v_i)_r >= 0`` are
tight.  The finish projects ADMM's neurons into their cones and runs a primal active-set method that keeps
every neuron feasible: with the working set of tight rows held as equalities, neuron j lives in the null space
of those rows, ``v_j = N_j z_j``, and the program is smooth in ``z``; Newton steps on it are cut at the first
row they would cross (which joins the working set); at a stationary point, rows with a negative multiplier
leave it, and inactive neurons whose dual constraint fails are priced in along the non-negative
least-squares residual, a feasible descent direction.  The certificate is the dual point
``(theta g, theta mu)``, ``g = grad L`` at the network's prediction and ``mu`` the cone multipliers (least
squares on the tight rows of active neurons, non-negative least squares for the others).  The caller keeps
whichever of ADMM's point and this one has the smaller certified gap, so the finish can only improve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import scipy.linalg
from scipy.optimize import nnls

MAX_FREE = 3000  # the Newton system is dense in the free coordinates; the finish stops above this
PRICE = 10  # neurons priced in per pricing round
TIGHT = 1e-4  # a row starts in the working set when its margin is below this fraction of the largest
ZERO = 1e-9  # a neuron below this fraction of the largest is set to zero


@dataclass
class ReluFinish:
    V: np.ndarray
    W: np.ndarray
    primal: float
    dual: float
    cone_violation: float
    steps: int


class _Program:
    """The C-ReLU program's data: neuron ``j < P`` is ``v_j`` (sign +1), ``j >= P`` is ``w_{j-P}`` (sign
    -1)."""

    def __init__(self, X, masks, lam, loss_fns=(None,) * 4):
        self.X, self.M, self.lam = X, masks, lam
        self.n, self.d = X.shape
        self.P = masks.shape[1]
        self.S = 2.0 * masks - 1.0
        self.loss, self.grad, self.neg_conj, self.curvature = loss_fns

    def sign(self, j: int) -> float:
        return 1.0 if j < self.P else -1.0

    def rows(self, j: int) -> np.ndarray:
        """The cone rows ``(2 D_j - I) X`` of neuron j, (n, d)."""
        return self.S[:, j % self.P][:, None] * self.X

    def network(self, U: np.ndarray) -> np.ndarray:
        XU = np.maximum(self.X @ U.T, 0.0)
        return XU[:, : self.P].sum(axis=1) - XU[:, self.P :].sum(axis=1)

    def objective(self, U: np.ndarray) -> float:
        return self.loss(self.network(U)) + self.lam * float(np.linalg.norm(U, axis=1).sum())

    def loss_side(self, j: int, g: np.ndarray) -> np.ndarray:
        """``X^T (s_j D_j g)``: neuron j's share of the loss gradient."""
        return self.X.T @ (self.sign(j) * self.M[:, j % self.P] * g)

    def cone_violation(self, U: np.ndarray) -> float:
        worst = 0.0
        for j in np.flatnonzero(np.linalg.norm(U, axis=1) > 0):
            m = self.rows(j) @ U[j]
            worst = max(worst, float(-m.min()) / float(np.abs(m).max()))
        return max(worst, 0.0)


def _null_basis(A: np.ndarray, d: int) -> np.ndarray:
    """Orthonormal basis (d, k) of the null space of the rows A."""
    if A.shape[0] == 0:
        return np.eye(d)
    _, sv, Vt = np.linalg.svd(A, full_matrices=True)
    rank = int((sv > 1e-10 * sv[0]).sum()) if sv.size else 0
    return Vt[rank:].T


def _certificate(pb: _Program, U: np.ndarray, mu_active: Dict[int, np.ndarray]):
    """Primal (the network's objective), dual value, and the inactive neurons whose dual constraint fails
    (see dual_constraint)."""
    yhat = pb.network(U)
    primal = pb.loss(yhat) + pb.lam * float(np.linalg.norm(U, axis=1).sum())
    g = pb.grad(yhat)
    worst, failing = dual_constraint(pb, g, mu_active)
    theta = min(1.0, pb.lam / worst) if worst > 0 else 1.0
    return primal, pb.neg_conj(theta * g), failing


def dual_constraint(pb: _Program, g: np.ndarray, mu_active: Dict[int, np.ndarray]):
    """``max_j min_{mu >= 0} ||X^T (s_j D_j g - (2 D_j - I) mu)||`` over the neurons of both signs (the dual
    point ``(theta g, theta mu)`` is feasible for ``theta <= lam / max``), with ``mu`` given for the neurons
    in ``mu_active`` and by non-negative least squares for the others; and those others whose minimum
    exceeds ``lam``, as (norm, j, residual, mu)."""
    worst, failing = 0.0, []
    for j in range(2 * pb.P):
        c = pb.loss_side(j, g)
        if j in mu_active:
            r = c - pb.rows(j).T @ mu_active[j]
        elif np.linalg.norm(c) <= pb.lam:
            r = c
        else:
            Gt = pb.rows(j).T
            mu, _ = nnls(Gt, c, maxiter=50 * pb.n)
            r = c - Gt @ mu
            if np.linalg.norm(r) > pb.lam * (1 + 1e-12):
                failing.append((float(np.linalg.norm(r)), j, r, mu))
        worst = max(worst, float(np.linalg.norm(r)))
    return worst, failing


class _ActiveSet:
    """Feasible neurons U with working sets of tight rows; Newton steps in the null spaces."""

    def __init__(self, pb: _Program, U: np.ndarray):
        self.pb, self.U = pb, U
        self.tight: Dict[int, np.ndarray] = {}
        self._bases: Dict[int, Tuple[bytes, np.ndarray, np.ndarray]] = {}
        for j in np.flatnonzero(np.linalg.norm(U, axis=1) > 0):
            self._start(int(j))

    def _basis(self, j: int) -> Tuple[np.ndarray, np.ndarray]:
        """Null-space basis N of neuron j's working rows and X N, cached while the working set stays."""
        key = self.tight[j].tobytes()
        hit = self._bases.get(j)
        if hit is None or hit[0] != key:
            N = _null_basis(self.pb.X[self.tight[j]], self.pb.d)
            hit = self._bases[j] = (key, N, self.pb.X @ N)
        return hit[1], hit[2]

    def _start(self, j: int) -> None:
        """Working set of neuron j from a nearly feasible u: the rows within TIGHT of the boundary, made exact
        by projecting u onto their null space (rows the projection pushes out join too)."""
        G = self.pb.rows(j)
        m = G @ self.U[j]
        tight = np.flatnonzero(m <= TIGHT * np.abs(m).max())
        while True:
            N = _null_basis(G[tight], self.pb.d)
            u = N @ (N.T @ self.U[j])
            m = G @ u
            out = np.setdiff1d(np.flatnonzero(m < -1e-12 * np.abs(m).max(initial=0.0)), tight)
            if not out.size:
                break
            tight = np.union1d(tight, out)
        if N.shape[1] == 0 or not np.any(u):
            self.U[j] = 0.0
            return
        self.U[j] = u
        self.tight[j] = tight

    def active(self) -> List[int]:
        return sorted(self.tight)

    def newton_step(self) -> Tuple[str, float]:
        """One Newton step on the working sets, cut at the first row it would cross.  Returns
        ('blocked', _), ('moved', decrease) or ('stationary', 0)."""
        pb, U = self.pb, self.U
        act = self.active()
        bases, XB = zip(*(self._basis(j) for j in act)) if act else ((), ())
        sizes = [B.shape[1] for B in bases]
        off = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        if off[-1] > MAX_FREE and off[-1] <= pb.n:
            raise _TooLarge
        J = np.hstack([pb.sign(j) * pb.M[:, [j % pb.P]] * xb for j, xb in zip(act, XB)])

        def gradient(V):  # of F(z) = L(J z) + lam sum_a ||z_a|| at the neurons V
            out = J.T @ pb.grad(pb.network(V))
            for a, j in enumerate(act):
                out[off[a] : off[a + 1]] += pb.lam * (bases[a].T @ V[j]) / np.linalg.norm(V[j])
            return out

        grad = gradient(U)
        if not grad.size or np.linalg.norm(grad) <= 1e-14 * max(pb.lam, np.abs(grad).max(initial=0.0)):
            return "stationary", 0.0
        norms = np.array([np.linalg.norm(U[j]) for j in act])
        zhats = [B.T @ U[j] / nz for j, B, nz in zip(act, bases, norms)]
        s = -_newton_solve(J, pb.curvature(pb.network(U)), pb.lam / norms, zhats, off, grad)
        slope = float(grad @ s)
        if not (slope < 0 and np.all(np.isfinite(s))):
            return "stationary", 0.0
        D = np.zeros_like(U)
        for a, j in enumerate(act):
            D[j] = bases[a] @ s[off[a] : off[a + 1]]
        # ratio test: the largest t <= 1 keeping every row of every active neuron feasible
        t_max, block = 1.0, None
        for j in act:
            G = pb.rows(j)
            m, dm = G @ U[j], G @ D[j]
            dm[self.tight[j]] = 0.0
            hit = np.flatnonzero(dm < -1e-14 * np.abs(dm).max(initial=0.0))
            if hit.size:
                ratios = np.maximum(m[hit], 0.0) / -dm[hit]
                i = int(np.argmin(ratios))
                if ratios[i] < t_max:
                    t_max, block = float(ratios[i]), (j, int(hit[i]))
        if block is not None and t_max <= 1e-12:  # a row (nearly) at zero blocks: step onto it, it joins
            j, r = block
            self.U = U + t_max * D
            self.tight[j] = np.union1d(self.tight[j], [r])
            return "blocked", 0.0
        f0, t = pb.objective(U), t_max
        while t > 1e-12 * t_max:
            f = pb.objective(U + t * D)
            if f <= f0 + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            f = np.inf
        if not f < f0:
            # F is flat to rounding here, but the certificate sees the gradient linearly: the full Newton step
            # is still taken while F stays within rounding and the gradient halves
            if block is None and pb.objective(U + D) <= f0 + 1e-12 * abs(f0):
                with np.errstate(divide="ignore", invalid="ignore"):
                    shrinks = np.linalg.norm(gradient(U + D)) < 0.5 * np.linalg.norm(grad)
                if shrinks:
                    self.U = U + D
                    return "moved", 0.0
            return "stationary", 0.0
        self.U = U + t * D
        for j in act:  # neurons Newton drives to zero leave the active set
            if np.linalg.norm(self.U[j]) <= ZERO * np.linalg.norm(self.U, axis=1).max():
                trial = self.U.copy()
                trial[j] = 0.0
                if pb.objective(trial) <= pb.objective(self.U):
                    self.U = trial
                    del self.tight[j]
        if block is not None and t == t_max and block[0] in self.tight:
            j, r = block
            self.tight[j] = np.union1d(self.tight[j], [r])
            return "blocked", f0 - f
        return "moved", f0 - f

    def multipliers(self) -> Tuple[Dict[int, np.ndarray], bool]:
        """Cone multipliers of the active neurons (least squares on the tight rows); releases the most
        negative row of each neuron that has one.  Returns (mu, released any)."""
        pb = self.pb
        g = pb.grad(pb.network(self.U))
        mus, released = {}, False
        for j in self.active():
            # complementary slackness: a working row the neuron has left (a degenerate block) is released
            m = pb.rows(j) @ self.U[j]
            slack = m[self.tight[j]] > 1e-9 * np.abs(m).max()
            if np.any(slack):
                self.tight[j] = self.tight[j][~slack]
                released = True
            rows = self.tight[j]
            mu = np.zeros(pb.n)
            if rows.size:
                # grad of the Lagrangian: X^T s_j D_j g + lam u/||u|| = ((2 D_j - I) X)_T^T mu_T
                rhs = pb.loss_side(j, g) + pb.lam * self.U[j] / np.linalg.norm(self.U[j])
                mu[rows] = np.linalg.lstsq(pb.rows(j)[rows].T, rhs, rcond=None)[0]
                i = int(np.argmin(mu[rows]))
                if mu[rows[i]] < -1e-10 * np.abs(mu).max():
                    self.tight[j] = np.delete(rows, i)
                    released = True
            mus[j] = np.maximum(mu, 0.0)
        return mus, released

    def prune(self) -> List[int]:
        """Zero the neurons below ZERO of the largest (what is left of neurons on their way out: their
        contribution is rounding, their direction noise); returns them."""
        norms = np.linalg.norm(self.U, axis=1)
        gone = [j for j in self.active() if norms[j] <= ZERO * norms.max()]
        for j in gone:
            self.U[j] = 0.0
            del self.tight[j]
        return gone

    def price(self, failing) -> None:
        """Start the neurons whose dual constraint fails most, along minus their NNLS residual."""
        scale = float(np.linalg.norm(self.U, axis=1).max()) if self.tight else 1.0
        for _, j, r, _ in sorted(failing, key=lambda t: -t[0])[:PRICE]:
            self.U[j] = -1e-6 * scale * r / np.linalg.norm(r)
            self._start(j)  # its rows with mu > 0 are at zero (to the NNLS's accuracy): made exact


class _TooLarge(Exception):
    pass


def _newton_solve(J, w, c, zhats, off, g) -> np.ndarray:
    """``H^-1 g`` for ``H = J^T diag(w) J + blockdiag(c_a (I - zh_a zh_a^T))``, the reduced Hessian.

    With ``m`` free coordinates above the ``n`` rows, by Woodbury twice (as the gated Newton finish in the
    core): ``H = P - Uc Uc^T`` with ``P = C + J^T W J`` (``C = blockdiag(c_a I)``) and column a of ``Uc`` the
    vector ``sqrt(c_a) zh_a`` in block a; ``P^-1 = C^-1 - C^-1 J^T W^1/2 S^-1 W^1/2 J C^-1`` with
    ``S = I + W^1/2 J C^-1 J^T W^1/2`` (n x n), and ``H^-1 = P^-1 + P^-1 Uc K^-1 Uc^T P^-1`` with
    ``K = I - Uc^T P^-1 Uc`` (one row per neuron).  Otherwise (or where K is singular: a degenerate optimum)
    ``H`` itself is factorised."""
    n, m = J.shape
    k = len(zhats)
    cfull = np.repeat(c, np.diff(off))
    if m > n:
        Jw = np.sqrt(w)[:, None] * J
        JC = Jw / cfull
        S = Jw @ JC.T
        S[np.diag_indices_from(S)] += 1.0
        S_f = scipy.linalg.cho_factor(S)

        def p_inv(R):
            T = R / cfull[:, None]
            return T - JC.T @ scipy.linalg.cho_solve(S_f, Jw @ T)

        Uc = np.zeros((m, k))
        for a in range(k):
            Uc[off[a] : off[a + 1], a] = np.sqrt(c[a]) * zhats[a]
        PU = p_inv(Uc)
        K = np.eye(k) - Uc.T @ PU
        ev = np.linalg.eigvalsh(K)
        if ev.min() > 1e-10 * ev.max():
            p = p_inv(g[:, None])[:, 0]
            return p + PU @ np.linalg.solve(K, Uc.T @ p)
    if m > MAX_FREE:
        raise _TooLarge
    H = J.T @ (w[:, None] * J)
    for a in range(k):
        b = slice(off[a], off[a + 1])
        H[b, b] += c[a] * (np.eye(off[a + 1] - off[a]) - np.outer(zhats[a], zhats[a]))
    H[np.diag_indices_from(H)] += 1e-12 * max(float(np.trace(H)) / max(m, 1), 1e-300)
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(H), g)
    except (np.linalg.LinAlgError, ValueError):
        return np.linalg.lstsq(H, g, rcond=None)[0]


def relu_finish(
    X, masks, lam, V, W, loss_fns: Tuple[Callable, ...], max_steps: int = 500
) -> Optional[ReluFinish]:
    """The active-set finish from ADMM's (V, W); None when it has nothing to start from.  Returns the point of
    smallest certified gap it met."""
    pb = _Program(X, masks, lam, loss_fns)
    U = np.vstack([V, W]).astype(np.float64)
    state = _ActiveSet(pb, U)
    if not state.tight:
        return None
    best: Optional[ReluFinish] = None
    steps = 0
    try:
        while steps < max_steps:
            steps += 1
            status, _ = state.newton_step()
            if status != "stationary":
                continue
            mus, released = state.multipliers()
            if released:
                continue
            for j in state.prune():
                mus.pop(j)
            primal, dual, failing = _certificate(pb, state.U, mus)
            if best is None or primal - dual < best.primal - best.dual:
                U = state.U
                V, W = U[: pb.P].copy(), U[pb.P :].copy()
                best = ReluFinish(V, W, primal, dual, pb.cone_violation(U), steps)
            if not failing:
                break
            state.price(failing)
    except _TooLarge:
        pass
    return best
