"""Lens 5 benchmark: gated convex program on breast_cancer (455 rows, d = 31 with bias, 100 Gaussian gates,
lam = 1e-3, squared loss), convexify vs cvxpy + Clarabel; one thread.  python bench/bench_convex_nn.py"""

from __future__ import annotations

import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from convexify import convex_nn  # noqa: E402
from convexify.reference import convex_nn as ref  # noqa: E402


def main() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:455]
    y = np.where(y[:455] > 0, 1.0, -1.0)
    X = np.hstack([X, np.ones((455, 1))])
    lam = 1e-3
    t0 = time.process_time()
    r = convex_nn.solve(X, y, lam, n_patterns=100, tol=1e-6, max_iter=200000, random_state=0)
    t_ours = time.process_time() - t0
    c = r.certificate
    t0 = time.process_time()
    p_ref, _ = ref.gated(X, y, r.masks, lam)
    t_ref = time.process_time() - t0
    print(f"CPU: {platform.processor() or platform.machine()}")
    print(f"convexify: {t_ours:.3f} s CPU, {r.n_iter} it, P {c.primal:.10f}, rel gap {c.gap / c.primal:.2e}")
    print(f"cvxpy+Clarabel: {t_ref:.3f} s CPU, value {p_ref:.10f}")
    print(f"rel diff {(c.primal - p_ref) / p_ref:.2e}, speed ratio {t_ref / t_ours:.1f}x")


if __name__ == "__main__":
    main()
