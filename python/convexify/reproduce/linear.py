"""`convexify reproduce` section for lens 1: strong duality of regularised deep linear networks.

Studies (generated data, seeded): the duality gap of the certified solution versus gamma (far beyond
sigma_min(Ytilde)) and versus depth; the Douglas–Rachford certificate versus iteration; the non-convex
baseline (`train_gd`) against the certified optimum; the bottleneck, recovery and Frobenius-ball pitfalls.
Every claim of the survey's section 2.1 gets a verdict with the numbers (docs/linear.md#survey).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from .. import linear
from ._report import Claim, Section, progress, save_figure

TINY = 1e-17  # plotting floor for exact zeros on log axes


def _data(rng: np.random.Generator, n: int, d0: int, dH: int, noise: float = 1.0):
    X = rng.standard_normal((n, d0))
    B = rng.standard_normal((d0, dH)) * np.linspace(2.0, 0.2, dH)
    return X, X @ B + noise * rng.standard_normal((n, dH))


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def _gap_vs_gamma(X, Y, depths, gammas, tol) -> Dict[str, Any]:
    out: Dict[str, Any] = {"gamma": list(gammas), "depth": {}, "survey_dual_gap": [], "closed_gap": []}
    out["rank_M"] = []
    s = linear.solve(X, Y, 2, 0.0, method="closed").s
    for H in depths:
        gaps, iters = [], []
        for g in progress(gammas, f"linear: gap vs gamma (H={H})"):
            res = linear.solve(X, Y, H, g, tol=tol, max_iter=5000)
            gaps.append(abs(res.gap) / max(1.0, res.optimal_value))
            iters.append(res.iterations)
        out["depth"][str(H)] = {"gap": gaps, "iterations": iters}
    # the survey's dual point gamma * U V^T: feasible for every gamma, optimal only for gamma <= s_rY
    cf = linear.solve(X, Y, 2, 0.0, method="closed")
    U, sv, Vt = np.linalg.svd(cf.Ytilde, full_matrices=False)
    U, Vt = U[:, : cf.rY], Vt[: cf.rY]
    for g in gammas:
        res = linear.solve(X, Y, 2, g, method="closed")
        out["closed_gap"].append(abs(res.gap) / max(1.0, res.optimal_value))
        d_survey = linear.dual_objective(g * U @ Vt, X, Y, g, res.k)
        out["survey_dual_gap"].append((res.optimal_value - d_survey) / max(1.0, res.optimal_value))
        out["rank_M"].append(int(np.sum(s[: res.k] > g)))
    out["s"] = s
    return out


def run(out_dir: Path, quick: bool) -> Section:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    rng = np.random.default_rng(20190601)
    n, d0, dH = (200, 20, 8) if quick else (2000, 60, 20)
    X, Y = _data(rng, n, d0, dH)
    base = linear.solve(X, Y, 2, 0.0, method="closed")
    s = base.s
    smin, s1 = float(s[-1]), float(s[0])
    n_gamma = 25 if quick else 60
    gammas = np.concatenate([[0.0], np.geomspace(0.05 * smin, 1.5 * s1, n_gamma - 1)])
    depths = (2, 3, 5) if quick else (2, 3, 4, 6, 8)
    claims: List[Claim] = []
    metrics: Dict[str, Any] = {"n": n, "d0": d0, "dH": dH, "singular_values_Ytilde": s}

    # ---- 1. gap vs gamma and depth
    gap_tol = 1e-13  # tighter than the default 1e-10 so that the figure shows the gap at rounding level
    gv = _gap_vs_gamma(X, Y, depths, gammas, gap_tol)
    above = gammas > smin
    max_gap_above = max(max(np.asarray(v["gap"])[above]) for v in gv["depth"].values())
    max_gap_all = max(max(v["gap"]) for v in gv["depth"].values())
    survey_gap = np.asarray(gv["survey_dual_gap"])
    depth_grid = list(range(2, 7 if quick else 11))
    g_mid = float(np.sqrt(smin * s1))  # between sigma_min and s_1
    depth_gaps, depth_values = [], []
    for H in depth_grid:
        res = linear.solve(X, Y, H, g_mid, tol=gap_tol, max_iter=5000)
        depth_gaps.append(abs(res.gap) / max(1.0, res.optimal_value))
        depth_values.append(res.primal_value)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    pos = gammas > 0
    for H, v in gv["depth"].items():
        ax.loglog(
            gammas[pos] / smin, np.maximum(np.asarray(v["gap"])[pos], TINY), "o-", ms=3, label=f"DR, H={H}"
        )
    ax.loglog(
        gammas[pos] / smin,
        np.maximum(np.asarray(gv["closed_gap"])[pos], TINY),
        "s",
        ms=3,
        mfc="none",
        label="closed form L*, M*",
    )
    ax.loglog(
        gammas[pos] / smin, np.maximum(survey_gap[pos], TINY), "k--", label="survey's dual point gamma U V^T"
    )
    ax.axvline(1.0, color="gray", lw=0.8)
    ax.axhline(gap_tol, color="gray", lw=0.5, ls=":")
    ax.text(1.05, 1e-3, "gamma = sigma_min", rotation=90, fontsize=8, color="gray")
    ax.set_ylim(TINY / 2, 10)
    ax.set_xlabel("gamma / sigma_min(Ytilde)")
    ax.set_ylabel("(P(W) - D(Lambda)) / max(1, P*)")
    ax.set_title("duality gap vs gamma (DR tol 1e-13)")
    ax.legend(fontsize=7, loc="center left")
    ax = axes[1]
    ax.semilogy(depth_grid, np.maximum(depth_gaps, TINY), "o-")
    ax.axhline(gap_tol, color="gray", lw=0.5, ls=":")
    ax.set_ylim(TINY / 2, 1e-8)
    ax.set_xlabel("depth H")
    ax.set_ylabel("relative gap")
    ax.set_title(f"gap vs depth at gamma = {g_mid / smin:.1f} sigma_min")
    fig1 = save_figure(
        fig,
        out_dir,
        "linear_gap_vs_gamma",
        {"gammas": gammas, "sigma_min": smin, "s1": s1, **gv, "depths": depth_grid, "depth_gaps": depth_gaps},
    )
    metrics["gap_vs_gamma_max"] = max_gap_all
    claims.append(
        Claim(
            "Strong duality holds only for 0 <= gamma <= sigma_min(Ytilde) (survey 2.1, Zhang et al. "
            "theorem).",
            f"Certified gap |P(W) - D(Lambda)|/max(1,P*) <= {max_gap_all:.1e} over {len(gammas)} gammas in "
            f"[0, {gammas[-1] / smin:.0f} sigma_min] and depths {list(depths)}; for gamma > sigma_min the "
            "max is "
            f"{max_gap_above:.1e}.  The condition only marks where L* = gamma U V^T: that point's gap is "
            f"{survey_gap[~above].max():.1e} for gamma <= sigma_min but up to {survey_gap.max():.2f} "
            "(relative) "
            "above it, while L* = U diag(min(s_i, gamma)) V^T closes the gap.",
            "refuted",
        )
    )
    claims.append(
        Claim(
            "Strong duality holds for every depth H >= 2.",
            f"gap <= {max(depth_gaps):.1e} for H = {depth_grid[0]}..{depth_grid[-1]} at gamma = "
            f"{g_mid / smin:.1f} sigma_min; P* is the same for all H (spread "
            f"{(max(depth_values) - min(depth_values)) / max(depth_values):.1e}).",
            "confirmed",
        )
    )
    g0 = gv["depth"][str(depths[0])]["gap"][0]
    claims.append(
        Claim(
            "For gamma = 0 strong duality holds for the unregularised deep linear network.",
            f"gamma = 0: gap {g0:.1e}, DR exact after {gv['depth'][str(depths[0])]['iterations'][0]} "
            "iterations "
            "(reduced-rank regression, Eckart-Young on Ytilde).",
            "confirmed",
        )
    )
    ranks = np.asarray(gv["rank_M"])
    claims.append(
        Claim(
            "Shortcoming: the amount of regularisation is limited because gamma <= sigma_min(Ytilde).",
            f"gamma ranges over [0, {gammas[-1] / smin:.0f} sigma_min] with zero gap; rank(M*) falls from "
            f"{ranks.max()} to {ranks.min()} as gamma crosses the singular values (bias available without "
            "limit).",
            "refuted",
        )
    )

    # ---- 2. sigma_min reading and rank(Ytilde) <= d_min
    Xr = X[:, :3] @ rng.standard_normal((3, d0))  # rank-3 inputs
    rr = linear.solve(Xr, Y, 3, 0.0, method="closed")
    sig_dmin = 0.0 if rr.rY < rr.k else float(rr.s[rr.k - 1])
    claims.append(
        Claim(
            "sigma_min(Ytilde) in the condition (read as sigma_{d_min}).",
            f"rank-3 X: rank(Ytilde) = {rr.rY} < d_min = {rr.k}, so sigma_{{d_min}} = {sig_dmin:g} would "
            "force "
            f"gamma = 0; the smallest nonzero singular value is {rr.s[-1]:.3g}.  Either way the condition is "
            "unnecessary (claim above).",
            "qualified",
        )
    )
    bw = (2, d0)
    rb = linear.solve(X, Y, 3, 0.0, widths=bw)
    claims.append(
        Claim(
            "rank(Ytilde) <= min{d0, d1, ..., dH, n} = d_min.",
            f"widths {bw}: d_min = {rb.k} but rank(Ytilde) = {rb.rY} (= min(dH, rank X)); the widths bound "
            "the rank "
            "of the product M, not of Ytilde.",
            "refuted",
        )
    )

    # ---- 3. bottleneck: dual of the rank-constrained problem, not the nuclear-norm relaxation
    g_b = 0.9 * float(s[2])  # three singular values above gamma: a width-2 bottleneck binds
    res_b = linear.solve(X, Y, 3, g_b, widths=(2, d0))
    relax = 0.5 * float(np.sum(Y**2)) - 0.5 * float(np.sum(np.maximum(s - g_b, 0.0) ** 2))
    claims.append(
        Claim(
            "The dual (3)-(4) is the dual of the regularised deep linear network (no statement about "
            "widths).",
            f"With a width-2 bottleneck (k = 2, {int(np.sum(s > g_b))} singular values above gamma) DR "
            "certifies "
            f"P* = {res_b.optimal_value:.6g} (gap {abs(res_b.gap) / res_b.optimal_value:.1e}); the "
            "nuclear-norm "
            f"relaxation that ignores widths gives {relax:.6g} ({(res_b.optimal_value - relax) / relax:.1%} "
            "lower)."
            "  The Ky Fan (2,k) term carries the rank bound: it is the dual of the rank-constrained problem.",
            "qualified",
        )
    )

    # ---- 4. Frobenius vs spectral ball
    kF = base.k
    yt = float(np.linalg.norm(base.Ytilde))
    g_f = 0.5 * smin
    pstar_f = linear.solve(X, Y, 2, g_f, method="closed").optimal_value
    d_frob = 0.5 * float(np.sum(Y**2)) - 0.5 * max(yt - g_f, 0.0) ** 2  # k >= rY: max over the Frobenius ball
    claims.append(
        Claim(
            "||Lambda|| <= gamma in eq. (4) (norm unspecified).",
            f"Spectral norm: gap 0.  Frobenius ball (k = {kF} >= rY, gamma = 0.5 sigma_min): best dual value "
            f"{d_frob:.6g} vs P* = {pstar_f:.6g} (relative gap {(pstar_f - d_frob) / pstar_f:.2e}); the "
            "norm must be "
            "spectral (dual of the nuclear norm).",
            "qualified",
        )
    )

    # ---- 5. DR certificate vs iteration, recovery
    settings = [
        ("gamma between singular values, t=1", dict(gamma=g_mid, widths=None, t=1.0)),
        ("bottleneck k=2, t=1", dict(gamma=g_b, widths=(2, d0), t=1.0)),
        ("bottleneck k=2, t=2", dict(gamma=g_b, widths=(2, d0), t=2.0)),
        ("gamma = 0.7 sigma_min, t=1", dict(gamma=0.7 * smin, widths=None, t=1.0)),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    dr_metrics: Dict[str, Any] = {}
    for i, (label, kw) in enumerate(settings):
        res = linear.solve(X, Y, 3, kw["gamma"], widths=kw["widths"], t=kw["t"])
        h = res.history
        pstar = res.optimal_value
        c = f"C{i}"
        axes[0].semilogy(np.maximum(h.gap, TINY), color=c, label=f"{label} ({res.iterations} it)")
        axes[1].semilogy(np.maximum((h.primal_svd - pstar) / pstar, TINY), "--", color=c, lw=1)
        axes[1].semilogy(np.maximum((h.primal_shadow - pstar) / pstar, TINY), "-", color=c, lw=1, label=label)
        dr_metrics[label] = {
            "iterations": res.iterations,
            "certified": res.certified_by,
            "gap": h.gap,
            "primal_svd": h.primal_svd,
            "primal_shadow": h.primal_shadow,
            "dual": h.dual,
            "P*": pstar,
        }
    axes[0].axhline(1e-10, color="gray", lw=0.8)
    axes[0].set_xlabel("DR iteration j")
    axes[0].set_ylabel("relative gap (P_j - D_j) / max(|P_j|, |D_j|)")
    axes[0].set_title("DR certificate (stop at 1e-10)")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("DR iteration j")
    axes[1].set_ylabel("(P(M) - P*) / P*")
    axes[1].set_title("primal candidates: shadow (solid) vs svd_k(Ytilde - L) (dashed)")
    axes[1].legend(fontsize=7)
    fig2 = save_figure(fig, out_dir, "linear_dr_certificate", dr_metrics)
    it_b1 = dr_metrics["bottleneck k=2, t=1"]["iterations"]
    it_b2 = dr_metrics["bottleneck k=2, t=2"]["iterations"]

    # recovery from svd_k(Ytilde - L) at a non-canonical dual optimum (the example of
    # docs/linear.md#dual), and DR from warm starts
    Xe, Ye = np.eye(2), np.diag([4.0, 3.0])
    d_alt = linear.dual_objective(np.diag([1.0, 0.0]), Xe, Ye, 1.0, 1)
    wrong = linear.primal_objective(
        [np.array([[0.0, np.sqrt(3.0)]]), np.array([[0.0], [np.sqrt(3.0)]])], Xe, Ye, 1.0
    )
    n_warm = 20 if quick else 200
    svd_bad, dr_ok = 0, 0
    for _ in range(n_warm):
        res = linear.solve(Xe, Ye, 2, 1.0, widths=[1], z0=rng.standard_normal((2, 2)) * 3)
        dr_ok += _rel(res.primal_value, 8.0) < 1e-9
        svd_bad += res.history.primal_svd[-1] > 8.0 * (1 + 1e-6)
    claims.append(
        Claim(
            "Douglas-Rachford on the dual followed by svd_{d_min}(Ytilde - Lambda*) recovers optimal "
            "weights.",
            f"DR converges with a certified gap <= 1e-10 (e.g. {dr_metrics[settings[0][0]]['iterations']} "
            "iterations "
            f"between singular values; bottleneck: {it_b1} at t=1, {it_b2} at t=2).  But the dual optimum "
            "is not "
            "unique when k < rY: X = I_2, Ytilde = diag(4,3), k = 1, gamma = 1 has D(diag(1,0)) = "
            f"{d_alt:g} = P* "
            f"while the svd branch diag(0,3) has P = {wrong:g}; from {n_warm} random warm starts the final "
            f"svd_k(Ytilde - L) candidate was suboptimal {svd_bad} times, the certified (shadow or svd) "
            "weights were "
            f"optimal {dr_ok}/{n_warm} times.",
            "qualified",
        )
    )

    # ---- 6. train_gd vs certified optimum
    n_seeds = 3 if quick else 8
    gd_iter = 300 if quick else 2000
    gd_metrics: Dict[str, Any] = {}
    fig, ax = plt.subplots(figsize=(6.5, 4))
    worst_excess, below = 0.0, 0
    cases = [("H=3, gamma=0.5 sigma_min", 3, 0.5 * smin, None), ("H=4, bottleneck k=2", 4, g_b, (2, 6, d0))]
    total = len(cases) * n_seeds * 2
    bar = progress(range(total), "linear: train_gd vs certified optimum", total=total)
    it = iter(bar)
    for name, H, g, widths in cases:
        opt = linear.solve(X, Y, H, g, widths)
        pstar = opt.optimal_value
        finals: Dict[str, List[float]] = {"lbfgs": [], "gd": []}
        for method, style in (("lbfgs", "-"), ("gd", ":")):
            for seed in range(n_seeds):
                next(it, None)
                tr = linear.train_gd(X, Y, H, g, widths, method=method, seed=seed, max_iter=gd_iter)
                excess = (tr.losses - pstar) / pstar
                below += int(np.any(excess < -1e-10))
                finals[method].append(float(excess[-1]))
                worst_excess = max(worst_excess, float(excess[-1]))
                ax.semilogy(
                    np.maximum(excess, TINY),
                    style,
                    lw=0.8,
                    color="C0" if H == 3 else "C1",
                    label=f"{name}, {method}" if seed == 0 else None,
                )
        gd_metrics[name] = {"P*": pstar, "final_excess": finals, "dr_gap": opt.gap}
    ax.set_xlabel("iteration")
    ax.set_ylabel("(P(W_t) - P*) / P*")
    ax.set_title("non-convex training vs the certified optimum")
    ax.legend(fontsize=7)
    fig3 = save_figure(fig, out_dir, "linear_train_gd", gd_metrics)
    lb = [v for m in gd_metrics.values() for v in m["final_excess"]["lbfgs"]]
    gd = [v for m in gd_metrics.values() for v in m["final_excess"]["gd"]]
    claims.append(
        Claim(
            "Solving the convex dual gets the optimal training error, which local methods on the primal may "
            "miss.",
            f"{total} runs of train_gd never went below the certified P* ({below} violations).  After "
            f"{gd_iter} "
            f"iterations L-BFGS is within {max(lb):.1e} (relative) of P*, gradient descent within "
            f"{max(gd):.1e}; "
            "the certified solve needs one QR + SVD and a few DR iterations.",
            "confirmed",
        )
    )

    body = f"""Generated data: X ~ N(0, 1)^({n} x {d0}), Y = X B + noise with dH = {dH}; singular values of
Ytilde = P_X Y from {s1:.3g} down to sigma_min = {smin:.3g}.  Each point is `convexify.linear.solve` (C++
Douglas-Rachford on the dual, reduced form; tol = 1e-13 for the gap figure, the default 1e-10 elsewhere); the
gap is evaluated literally from the returned weights (P(W), survey eq. 2) and the returned Lambda (D(Lambda),
eq. 3), not assumed.  docs/linear.md#survey lists the corrections; in short: the gap is zero for every
gamma >= 0 (L* = U diag(min(s_i, gamma)) V^T), the norm on Lambda is spectral, the dual is that of the
rank-constrained problem (it differs from the nuclear-norm relaxation when a width binds), and weights must be
recovered from a certified candidate (DR shadow or closed form), not blindly from svd_k(Ytilde - Lambda).  The
survey's claimed extension to convolutions/affine layers is not covered and was not tested.

Figures: the gap versus gamma and depth (`linear_gap_vs_gamma`), the DR certificate and both primal
candidates per iteration (`linear_dr_certificate`), and L-BFGS / gradient descent on the factorised weights
against the certified optimum (`linear_train_gd`)."""
    return Section(
        lens="linear",
        title="Lens 1: strong duality of deep linear networks",
        claims=claims,
        body=body,
        figures=[fig1, fig2, fig3],
        metrics={
            **metrics,
            "dr": {k: v["iterations"] for k, v in dr_metrics.items()},
            "train_gd": gd_metrics,
        },
    )
