"""What the convergence theorem gives: the linear rate, the kernel prediction, width and step requirements."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from .._errors import InputError
from .._validate import as_array, as_choice, as_int, as_real
from ._inputs import _depth
from ._spectrum import _lambda, _square, spectrum


def rate(K: Any, eta: float) -> float:
    """Du et al.'s per-step factor ``1 - eta lambda_min(K) / 2`` (survey eq. 15; docs/gram.md#theorem).

    Valid only under the theorem's hypotheses, whose width and step-size constants are unspecified: this is
    the *form* of the guarantee, not a certified rate (docs/gram.md#survey-rate).

    Args:
        K: a kernel (n, n) or its :class:`Spectrum`.
        eta: step size ``> 0``.

    Returns:
        The factor as a float.

    Raises:
        InputError: ``eta <= 0`` or ``K`` is not a finite square matrix.
    """
    eta = as_real(eta, "eta", minimum=0.0, strict_min=True)
    return 1.0 - eta * _lambda(K).lambda_min / 2.0


@dataclass(frozen=True)
class KernelPrediction:
    """Kernel-regime prediction for GD with step ``eta`` on the linearised model (docs/gram.md#theorem).

    Attributes:
        theorem_factor: ``1 - eta lambda_min / 2`` (the theorem's form, survey eq. 15).
        kernel_factor: per-step loss factor ``(1 - eta lambda_min)^2`` of the slowest mode (``nan`` if
            unstable).
        stable: ``eta lambda_max < 2``.
        curve: ``L_k = 1/2 ||(I - eta K)^k r0||^2`` for ``k = 0..iters`` when ``r0`` is given, else None.
    """

    theorem_factor: float
    kernel_factor: float
    stable: bool
    curve: Optional[np.ndarray]


def kernel_prediction(K: Any, eta: float, r0: Any = None, iters: int = 0) -> KernelPrediction:
    """Theorem-form factor, kernel-regime factor and (optionally) predicted loss curve (docs/gram.md#theorem).

    Args:
        K: symmetric (n, n) kernel.
        eta: step size ``> 0``.
        r0: optional initial residual (n,) for the predicted curve.
        iters: number of steps of the curve.

    Returns:
        :class:`KernelPrediction`.

    Raises:
        InputError: ``K`` is not square, ``eta <= 0`` or ``r0`` has the wrong length.
    """
    K = _square(K)
    eta = as_real(eta, "eta", minimum=0.0, strict_min=True)
    iters = as_int(iters, "iters", minimum=0)
    spec = spectrum(K)
    stable = eta * spec.lambda_max < 2.0
    kf = (1.0 - eta * spec.lambda_min) ** 2 if stable else math.nan
    curve = None
    if r0 is not None:
        r0 = as_array(r0, "r0", 1)
        if r0.shape[0] != K.shape[0]:
            raise InputError(f"r0 must have length {K.shape[0]}, got {r0.shape[0]}")
        w, V = np.linalg.eigh(0.5 * (K + K.T))
        c = V.T @ r0
        k = np.arange(iters + 1)[:, None]
        curve = 0.5 * np.sum((c[None, :] * (1.0 - eta * w[None, :]) ** k) ** 2, axis=1)
    return KernelPrediction(
        theorem_factor=1.0 - eta * spec.lambda_min / 2.0, kernel_factor=kf, stable=stable, curve=curve
    )


@dataclass(frozen=True)
class Requirements:
    """Scaling terms of Du et al.'s width and step-size conditions (docs/gram.md#theorem), *up to unknown
    constants*.

    Attributes:
        arch: ``"fc"`` or ``"resnet"``.
        depth: ``H``.
        n: number of samples.
        delta: failure probability.
        lambda_min: ``lambda_min(K^(H))`` used in the terms.
        width_terms: the monomials inside ``m = Omega(...)`` (FC: ``n^4/lambda^4``, ``n/delta``,
            ``n^2 log(H n/delta)/lambda^2``; ResNet: ``n^4/(lambda^4 H^6)``, ``n^2/(lambda^2 H^2)``,
            ``n/delta``, ``n^2 log(H n/delta)/lambda^2``).
        step_term: ``lambda/n^2`` (FC) or ``lambda H^2/n^2`` (ResNet), inside ``eta = O(...)``.
        label: the caveat; these are NOT certified widths or step sizes.
    """

    arch: str
    depth: int
    n: int
    delta: float
    lambda_min: float
    width_terms: Dict[str, float]
    step_term: float
    label: str = field(
        default="up to unspecified constants; FC additionally x 2^{O(H)} with unspecified base; "
        "not a certified width or step size"
    )

    @property
    def width_scaling(self) -> float:
        """The largest width monomial (same caveat as ``label``)."""
        return max(self.width_terms.values())


def requirements(K: Any, depth: int, delta: float = 0.1, arch: str = "fc") -> Requirements:
    """Du et al.'s width / step-size *scaling terms* for kernel ``K = K^(H)`` (docs/gram.md#theorem).

    The theorem gives ``m = Omega(2^{O(H)} max{n^4/lambda^4, n/delta, n^2 log(H n/delta)/lambda^2})`` and
    ``eta = O(lambda / (n^2 2^{O(H)}))`` for FC nets; for ResNets [verify against the paper]
    ``m = Omega(max{n^4/(lambda^4 H^6), n^2/(lambda^2 H^2), n/delta, n^2 log(H n/delta)/lambda^2})`` and
    ``eta = O(lambda H^2/n^2)``.  The constants (and the base of ``2^{O(H)}``) are not given, so the returned
    numbers are scaling monomials only, labelled as such (docs/gram.md#survey-depth).  A singular kernel
    gives infinite terms.

    Args:
        K: the kernel ``K^(H)`` (n, n).
        depth: ``H``.
        delta: failure probability in (0, 1].
        arch: ``"fc"`` or ``"resnet"``.

    Returns:
        :class:`Requirements`.

    Raises:
        InputError: ``K`` is not square, or ``depth``, ``delta`` or ``arch`` is out of range.
    """
    arch = as_choice(arch, "arch", ("fc", "resnet"))
    H = _depth(depth, arch)
    delta = as_real(delta, "delta", minimum=0.0, maximum=1.0, strict_min=True)
    K = _square(K)
    n = K.shape[0]
    spec = spectrum(K)
    lam = spec.lambda_min if spec.lambda_min > 0 else 0.0
    inv = (lambda p: math.inf) if lam == 0.0 else (lambda p: lam**-p)
    log_term = math.log(H * n / delta)
    if arch == "fc":
        terms = {
            "n^4/lambda^4": n**4 * inv(4),
            "n/delta": n / delta,
            "n^2 log(Hn/delta)/lambda^2": n**2 * log_term * inv(2),
        }
        step = lam / n**2
    else:
        terms = {
            "n^4/(lambda^4 H^6)": n**4 * inv(4) / H**6,
            "n^2/(lambda^2 H^2)": n**2 * inv(2) / H**2,
            "n/delta": n / delta,
            "n^2 log(Hn/delta)/lambda^2": n**2 * log_term * inv(2),
        }
        step = lam * H**2 / n**2
    return Requirements(
        arch=arch, depth=H, n=n, delta=delta, lambda_min=spec.lambda_min, width_terms=terms, step_term=step
    )
