"""What the convergence theorem gives: the linear rate, the kernel prediction, width and step requirements."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from .._errors import InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real
from ._inputs import _depth
from ._spectrum import Spectrum, _lambda, _square, _symmetrized, spectrum

#: The longest predicted curve (``iters``) of :func:`kernel_prediction`, and GD run of ``train_wide``.
MAX_ITERS = 10_000_000


def _stable_range(spec: Spectrum) -> float:
    """The upper end ``2 / lambda_max`` of the step sizes for which GD on the kernel model is stable."""
    return 2.0 / spec.lambda_max if spec.lambda_max > 0 else math.inf


def rate(K: Any, eta: float) -> float:
    """Du et al.'s per-step factor ``1 - eta lambda_min(K) / 2`` (survey eq. 15; docs/gram.md#theorem).

    Valid only under the theorem's hypotheses, whose width and step-size constants are unspecified: this is
    the *form* of the guarantee, not a certified rate (docs/gram.md#survey-rate).  The step must lie in the
    stable range ``0 < eta < 2 / lambda_max(K)`` of gradient descent on the kernel model (beyond it the loss
    diverges and the "factor" would be meaningless, possibly negative).  Scale-equivariant: ``rate(s K,
    eta / s) == rate(K, eta)``.

    Args:
        K: a symmetric kernel (n, n) or its :class:`Spectrum`.
        eta: step size in ``(0, 2 / lambda_max(K))``.

    Returns:
        The factor as a float.

    Raises:
        InputError: ``eta`` is outside ``(0, 2 / lambda_max(K))`` (the message gives the range), or ``K`` is
            not a finite, square, symmetric matrix.
    """
    eta = as_real(eta, "eta", minimum=0.0, strict_min=True)
    spec = _lambda(K)
    hi = _stable_range(spec)
    if not eta < hi:
        raise InputError(
            f"eta must lie in the stable range 0 < eta < 2 / lambda_max(K) = {hi:.6g} of gradient descent on "
            f"the kernel model (docs/gram.md#theorem), got eta = {eta:.6g}"
        )
    return 1.0 - eta * spec.lambda_min / 2.0


@dataclass(frozen=True, repr=False)
class KernelPrediction(CompactRepr):
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

    ``theorem_factor`` is the theorem's form whatever ``eta``; it means something only when ``stable``.
    Scale-equivariant: ``K -> s K`` with ``eta -> eta / s`` leaves the factors, the flag and the curve
    unchanged (the eigenproblem is solved on ``K`` scaled by a power of two; docs/gram.md#spectrum).

    Args:
        K: symmetric (n, n) kernel.
        eta: step size ``> 0``.
        r0: optional initial residual (n,) for the predicted curve.
        iters: number of steps of the curve, in ``[0, MAX_ITERS]`` (10^7).

    Returns:
        :class:`KernelPrediction`.

    Raises:
        InputError: ``K`` is not a finite, square, symmetric matrix, ``eta <= 0``, ``iters`` is out of range
            or ``r0`` has the wrong length.
    """
    A, e = _symmetrized(K)
    eta = as_real(eta, "eta", minimum=0.0, strict_min=True)
    iters = as_int(iters, "iters", minimum=0, maximum=MAX_ITERS)
    spec = spectrum(K)
    stable = eta * spec.lambda_max < 2.0
    x = 1.0 - eta * spec.lambda_min
    kf = x * x if stable else math.nan
    curve = None
    if r0 is not None:
        r0 = as_array(r0, "r0", 1)
        if r0.shape[0] != A.shape[0]:
            raise InputError(f"r0 must have length {A.shape[0]}, got {r0.shape[0]}")
        ws, V = np.linalg.eigh(A)
        c = V.T @ r0
        curve = np.empty(iters + 1)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            q = 1.0 - eta * np.ldexp(ws, e)  # overflow only where eta lambda is beyond any stable step
            block = max(1, (1 << 20) // A.shape[0])  # bounded memory for long curves
            for k0 in range(0, iters + 1, block):
                k = np.arange(k0, min(k0 + block, iters + 1))[:, None]
                curve[k0 : k0 + k.shape[0]] = 0.5 * np.sum((c[None, :] * q[None, :] ** k) ** 2, axis=1)
    return KernelPrediction(
        theorem_factor=1.0 - eta * spec.lambda_min / 2.0, kernel_factor=kf, stable=stable, curve=curve
    )


@dataclass(frozen=True, repr=False)
class Requirements(CompactRepr):
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
    (``lambda_min <= 0``) gives infinite terms, and so does a term beyond the float64 range (a tiny
    ``lambda_min``).  Under ``K -> s K`` the width terms in ``lambda^-p`` scale like ``s^-p`` and the step
    term like ``s``.

    Args:
        K: the kernel ``K^(H)`` (n, n).
        depth: ``H``.
        delta: failure probability in (0, 1].
        arch: ``"fc"`` or ``"resnet"``.

    Returns:
        :class:`Requirements`.

    Raises:
        InputError: ``K`` is not a finite, square, symmetric matrix, or ``depth``, ``delta`` or ``arch`` is
            out of range.
    """
    arch = as_choice(arch, "arch", ("fc", "resnet"))
    H = _depth(depth, arch)
    delta = as_real(delta, "delta", minimum=0.0, maximum=1.0, strict_min=True)
    K = _square(K)
    n = K.shape[0]
    spec = spectrum(K)
    lam = spec.lambda_min if spec.lambda_min > 0 else 0.0
    log_term = math.log(H * n / delta)
    with np.errstate(over="ignore", divide="ignore"):
        # (n / lambda)^p in float64: +inf where the term overflows (or lambda = 0), never an OverflowError.
        ratio = np.float64(n) / np.float64(lam)
        r2, r4 = float(ratio * ratio), float((ratio * ratio) * (ratio * ratio))
    if arch == "fc":
        terms = {
            "n^4/lambda^4": r4,
            "n/delta": n / delta,
            "n^2 log(Hn/delta)/lambda^2": r2 * log_term,
        }
        step = lam / n**2
    else:
        terms = {
            "n^4/(lambda^4 H^6)": r4 / H**6,
            "n^2/(lambda^2 H^2)": r2 / H**2,
            "n/delta": n / delta,
            "n^2 log(Hn/delta)/lambda^2": r2 * log_term,
        }
        step = lam * H**2 / n**2
    return Requirements(
        arch=arch, depth=H, n=n, delta=delta, lambda_min=spec.lambda_min, width_terms=terms, step_term=step
    )
