"""`convexify reproduce` section for lens 5: convex training of a two-layer ReLU network with a certificate,
against Adam-trained networks of the same architecture,
on scikit-learn's diabetes data (docs/convex_nn.md)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ._report import Claim, Section, progress, save_figure


def _adam(X, y, m, lam, seed, steps):
    rng = np.random.default_rng(seed)
    n, d = X.shape
    W = rng.standard_normal((m, d)) / np.sqrt(d)
    a = rng.standard_normal(m) / np.sqrt(m)
    params = [W, a]
    mom = [np.zeros_like(p) for p in params]
    vel = [np.zeros_like(p) for p in params]
    lr, b1, b2 = 1e-2, 0.9, 0.999
    for t in range(1, steps + 1):
        Z = X @ W.T
        H = np.maximum(Z, 0)
        r = (H @ a - y) / n
        ga = H.T @ r + lam * a
        gW = ((r[:, None] * (Z > 0)) * a[None, :]).T @ X + lam * W
        for k, g in enumerate((gW, ga)):
            mom[k] = b1 * mom[k] + (1 - b1) * g
            vel[k] = b2 * vel[k] + (1 - b2) * g * g
            params[k] -= lr * (mom[k] / (1 - b1**t)) / (np.sqrt(vel[k] / (1 - b2**t)) + 1e-8)
        W, a = params
    return W, a


def run(out_dir: Path, quick: bool) -> Section:
    from sklearn.datasets import load_diabetes

    from .. import convex_nn

    Xd, yd = load_diabetes(return_X_y=True)
    # Two features (bmi, s5) and the bias: d = 3, so the patterns are enumerated and the bound is global.
    X = np.hstack([Xd[:, [2, 8]] / Xd[:, [2, 8]].std(axis=0), np.ones((len(yd), 1))])
    y = (yd - yd.mean()) / yd.std()
    if quick:
        X, y = X[:30], y[:30]
    else:
        X, y = X[:60], y[:60]
    lam = 1e-2
    t0 = time.perf_counter()
    r = convex_nn.solve(X, y, lam, patterns="all", tol=1e-7, max_iter=50000)
    t_convex = time.perf_counter() - t0
    runs = 8 if quick else 64
    objs = []
    t0 = time.perf_counter()
    for s in progress(range(runs), "convex_nn: Adam runs", total=runs):
        W, a = _adam(X, y, 32, lam, s, 300 if quick else 2000)
        objs.append(convex_nn.network_objective(X, y, W, a, lam))
    t_adam = time.perf_counter() - t0
    objs = np.array(objs)
    cert = r.certificate
    below = int(np.sum(objs < cert.dual - 1e-12))
    claim = Claim(
        "Weight-decay training of a two-layer ReLU network has a convex dual; its value lower-bounds every "
        "trained network (Pilanci & Ergen 2020)",
        f"n={len(y)}, d=3 (patterns enumerated: {r.masks.shape[1]}), lam={lam}: certified lower bound "
        f"{cert.dual:.6f} (gated optimum {cert.primal:.6f}, gap {cert.gap:.1e}, {t_convex:.2f} s); "
        f"{runs} Adam "
        f"runs (width 32): objective min {objs.min():.6f}, median {np.median(objs):.6f}, {t_adam:.1f} s; "
        f"runs below the bound: {below}",
        "confirmed" if below == 0 and cert.certified else "refuted",
        key="dual_lower_bounds_training",
    )
    global_claim, relu_metrics = _global_optimum(X, y, lam, objs, runs, cert.primal)
    path_claim, path_figure, path_metrics = _path(out_dir, X, y, r.masks, quick)
    metrics = {
        "dual": cert.dual,
        "primal": cert.primal,
        "gap": cert.gap,
        "adam": objs.tolist(),
        **relu_metrics,
        **path_metrics,
    }
    return Section(
        lens="convex_nn",
        title="Lens 5: exact convex training of two-layer ReLU networks",
        claims=[claim, global_claim, path_claim],
        figures=[
            _figure(out_dir, objs, cert.dual, cert.primal, relu_metrics["relu_primal"], lam),
            path_figure,
        ],
        metrics=metrics,
    )


def _global_optimum(X: np.ndarray, y: np.ndarray, lam: float, objs: np.ndarray, runs: int, gated: float):
    """The ReLU program over every pattern is weight-decay training itself (at its width): its solution is a
    network, and certify's ReLU dual proves that network globally optimal."""
    from .. import convex_nn

    t0 = time.perf_counter()
    for stage in progress(["solve", "certify"], "convex_nn: ReLU program over every pattern"):
        if stage == "solve":  # ADMM, then the active-set finish (docs/convex_nn.md#relu-finish)
            r = convex_nn.solve(X, y, lam, formulation="relu", patterns="all", tol=1e-8, max_iter=5000)
            W1, a = convex_nn.relu_network(r.V, r.W)
        else:
            cert = convex_nn.certify(X, y, W1, a, lam, tol=1e-8)
    t_relu = time.perf_counter() - t0
    near = int(np.sum(objs <= cert.primal * (1 + 1e-3)))
    below = int(np.sum(objs < cert.dual - 1e-12))
    claim = Claim(
        "The ReLU program over every activation pattern is the weight-decay training problem itself: its "
        "solution is a network, certified globally optimal (Pilanci & Ergen 2020, Theorem 1)",
        f"ReLU program: network of width {len(a)} with objective {cert.primal:.6f}, certified by certify's "
        f"ReLU dual {cert.dual:.6f} (gap {cert.gap:.1e}, cone violation {r.cone_violation:.0e}, "
        f"{t_relu:.1f} s; the gated relaxation's optimum, {gated:.6f}, is the weaker bound); {runs} Adam "
        f"runs (width 32): {near} within 0.1% of the global optimum, best {objs.min():.6f}, {below} below it",
        "confirmed" if cert.certified and r.certificate.certified and below == 0 else "refuted",
        key="relu_program_global_optimum",
    )
    metrics = {
        "relu_primal": cert.primal,
        "relu_dual": cert.dual,
        "relu_width": len(a),
        "relu_seconds": t_relu,
    }
    return claim, metrics


def _path(out_dir: Path, X: np.ndarray, y: np.ndarray, masks: np.ndarray, quick: bool):
    """The regularisation path of the gated program over every pattern, from lam_max down to 1e-3 lam_max,
    each solve warm-started from the previous one and certified (docs/convex_nn.md#gated)."""
    from .. import convex_nn
    from ..convex_nn._solve import solve_masks

    lmax = convex_nn.lam_max(X, y, masks)
    lams = lmax * np.logspace(0, -3, 6 if quick else 13)
    results, U0 = [], None
    t0 = time.perf_counter()
    for lam_k in progress(lams, "convex_nn: regularisation path", total=len(lams)):
        rk = solve_masks(X, y, masks, lam_k, "squared", 1e-7, 50000, U0=U0, scope="global")
        U0 = rk.U
        results.append(rk)
    seconds = time.perf_counter() - t0
    primal = np.array([rk.certificate.primal for rk in results])
    dual = np.array([rk.certificate.dual for rk in results])
    active = np.array([int((np.linalg.norm(rk.U, axis=1) > 0).sum()) for rk in results])
    certified = all(rk.certificate.certified for rk in results)
    rel_gap = float(np.max((primal - dual) / primal))
    claim = Claim(
        "The regularisation path of the convex program is computed exactly: every point certified, the "
        "solution exactly zero at lam_max, neurons entering as lam decreases (Pilanci & Ergen 2020)",
        f"{len(lams)} values of lam from lam_max = {lmax:.4g} down to {lams[-1]:.3g}, warm-started, "
        f"{seconds:.1f} s: certified at every lam: {certified} (largest relative gap {rel_gap:.1e}); "
        f"neurons at lam_max: {active[0]}; active neurons along the path: {active.tolist()}",
        "confirmed" if certified and active[0] == 0 and active[-1] > 0 else "refuted",
        key="path_certified",
    )
    fig = _path_figure(out_dir, lams / lmax, primal, dual, active)
    return (
        claim,
        fig,
        {"path_lams": lams.tolist(), "path_primal": primal.tolist(), "path_active": active.tolist()},
    )


def _path_figure(out_dir: Path, ratio, primal, dual, active) -> str:
    """Objective with its certified lower bound, and the number of active neurons, along the path."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.0, 3.0))
    a1.semilogx(ratio, primal, "o-", color="tab:blue", label="primal (convex optimum)")
    a1.semilogx(ratio, dual, "k--", lw=1, label="certified lower bound")
    a1.set_xlabel(r"$\lambda / \lambda_{max}$")
    a1.set_ylabel("objective")
    a1.legend(fontsize=8)
    a2.semilogx(ratio, active, "s-", color="tab:green")
    a2.set_xlabel(r"$\lambda / \lambda_{max}$")
    a2.set_ylabel("active neurons")
    fig.suptitle("Regularisation path of the gated program (every pattern enumerated)", fontsize=10)
    metrics = {"lam_over_lam_max": ratio, "primal": primal, "dual": dual, "active_neurons": active}
    return save_figure(fig, out_dir, "convex_nn_path", metrics)


def _figure(out_dir: Path, objs: np.ndarray, dual: float, primal: float, relu: float, lam: float) -> str:
    """Trained networks' objectives against the convex programs' bounds and the certified global optimum."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    runs = np.arange(1, len(objs) + 1)
    ax.plot(runs, np.sort(objs), "o", color="tab:red", label="Adam, width 32 (sorted)")
    ax.axhline(dual, color="k", ls="--", lw=1, label="certified lower bound (convex dual)")
    ax.axhline(primal, color="tab:blue", lw=1, label="convex optimum (gated program)")
    ax.axhline(relu, color="tab:green", lw=1.5, label="global optimum (ReLU program, certified)")
    ax.set_xlabel("Adam run (sorted by final objective)")
    ax.set_ylabel(
        r"$\frac{1}{2n}\|f(X) - y\|^2 + \frac{\lambda}{2}(\|W\|_F^2 + \|a\|^2)$" + f"\n($\\lambda$ = {lam:g})"
    )
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    ax.set_title("Trained networks against the convex programs' bounds", fontsize=10)
    metrics = {
        "adam_objectives": np.sort(objs),
        "dual": dual,
        "primal": primal,
        "relu_optimum": relu,
        "lam": lam,
    }
    return save_figure(fig, out_dir, "convex_nn_bound_vs_adam", metrics)
