"""Lens 3: Gram matrices of wide networks (Du, Lee, Li, Wang & Zhai 2019; SPEC section 4).

Networks (SPEC 4.1; samples are rows, weights ``(out, in)``, all weights i.i.d. N(0, 1), width ``m``)::

    FC      X^(0) = X,  X^(h) = sqrt(c_sigma/m) sigma(X^(h-1) W^(h)T),                  h = 1..H
    ResNet  X^(1) = sqrt(c_sigma/m) sigma(X W^(1)T),
            X^(h) = X^(h-1) + (c_res/(H sqrt m)) sigma(X^(h-1) W^(h)T),                  h = 2..H
    output  u = X^(H) a^T,   L = 1/2 sum_i (u_i - y_i)^2,   c_sigma = 1 / E_{z~N(0,1)}[sigma(z)^2]

The infinite-width Gram matrices ``K^(h)`` (SPEC 4.3, 4.4) are computed by :func:`gram_matrix` in one fused
C++ pass over the upper triangle. ``K^(h)`` for ``h < H`` is the NNGP of this parametrisation; ``K^(H)`` is
the limit of the Gram block of the last hidden weight matrix ``W^(H)``, whose eigenvalue ``lambda_min(K^(H))``
drives Du et al.'s linear-convergence theorem.

**Correction of the survey's Definition 1 (SPEC 4.13).** The survey writes the last layer as
``K^(H) = c_sigma K^(H-1) o E_{A^(H-1)}[sigma' sigma']``. The pre-activations of layer ``H`` are
``W^(H) x^(H-1)``, whose covariance in the wide limit is built from ``K^(H-1)``, i.e. ``A^(H)``; the correct
last line is ``K^(H) = c_sigma K^(H-1) o E_{A^(H)}[sigma' sigma']``.  This module implements the corrected
recursion; finite-width networks match it and not the survey's reading (see ``convexify reproduce``).
Also (SPEC 4.13): the theorem gives widths and step sizes only up to unspecified constants (and ``2^{O(H)}``
with an unspecified base for FC nets), so :func:`requirements` returns scaling monomials, never certified
numbers; in the survey's eq. (13) ``m`` is the width (not the number of hidden layers) and every
``||x_i|| = 1``; the theorem assumes a smooth Lipschitz activation, so ReLU results are an extension; and
``lambda_min(K^(H)) > 0`` needs a non-polynomial activation and no two parallel inputs (for odd activations
also no antipodal pair ``x_j = -x_i``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from . import _core
from ._cuda import resolve_device
from ._errors import InputError, InputTypeError
from ._validate import as_array, as_choice, as_int, as_real

__all__ = [
    "ACTIVATIONS",
    "ARCHS",
    "gram_matrix",
    "c_sigma",
    "ntk",
    "NTKResult",
    "spectrum",
    "Spectrum",
    "certify_lambda_min",
    "rate",
    "kernel_prediction",
    "KernelPrediction",
    "requirements",
    "Requirements",
    "empirical_gram",
    "train_wide",
    "TrainResult",
]

ACTIVATIONS = ("relu", "erf", "tanh", "softplus", "sigmoid", "gelu")
CLOSED_FORM = ("relu", "erf")
ARCHS = ("fc", "resnet", "cnn")
UNIT_NORM_TOL = 1e-8
_EPS = 2.0**-52
_U = 2.0**-53

ActivationPair = Tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
Activation = Union[str, ActivationPair]


# ----------------------------------------------------------------------------------------------- validation
def _activation(activation: Any) -> Activation:
    if isinstance(activation, str):
        return as_choice(activation, "activation", ACTIVATIONS)
    if isinstance(activation, tuple) and len(activation) == 2 and all(callable(f) for f in activation):
        return activation
    raise InputTypeError(
        f"activation must be one of {list(ACTIVATIONS)} or a pair (sigma, sigma_prime) of callables, "
        f"got {activation!r}"
    )


def _inputs(X: Any, normalize: bool, unit_norm: Optional[str]) -> np.ndarray:
    X = as_array(X, "X", 2)
    if not isinstance(normalize, (bool, np.bool_)):
        raise InputTypeError(f"normalize must be a bool, got {normalize!r}")
    mode = "normalize" if normalize else "raise"
    if unit_norm is not None:
        mode = as_choice(unit_norm, "unit_norm", ("raise", "normalize", "ignore"))
    norms = np.linalg.norm(X, axis=1)
    zero = np.flatnonzero(norms == 0.0)
    if zero.size:
        raise InputError(f"X has a zero row (row {zero[0]}): the angle to it is undefined")
    if mode == "normalize":
        return np.ascontiguousarray(X / norms[:, None])
    if mode == "raise":
        dev = np.abs(norms - 1.0)
        worst = int(np.argmax(dev))
        if dev[worst] > UNIT_NORM_TOL:
            raise InputError(
                f"X rows must have unit norm (Du et al. assume ||x_i|| = 1): row {worst} has norm "
                f"{norms[worst]:.6g}; pass normalize=True to rescale the rows, or unit_norm='ignore'"
            )
    return X


def _depth(depth: Any, arch: str) -> int:
    return as_int(depth, "depth", minimum=1 if arch == "fc" else 2)


def _cnn_inputs(X: Any, normalize: bool, patch_size: Any) -> Tuple[np.ndarray, int]:
    import warnings

    X = as_array(X, "X", 3)
    q = as_int(patch_size, "patch_size", minimum=1, maximum=X.shape[2])
    if q % 2 == 0:
        raise InputError(f"patch_size must be odd (circular padding (q-1)/2), got {q}")
    norms = np.linalg.norm(X.reshape(X.shape[0], -1), axis=1)
    zero = np.flatnonzero(norms == 0.0)
    if zero.size:
        raise InputError(f"X has a zero sample (sample {zero[0]})")
    if normalize:
        X = np.ascontiguousarray(X / norms[:, None, None])
    elif np.max(np.abs(norms - 1.0)) > UNIT_NORM_TOL:
        warnings.warn("CNN inputs without unit norm: the recursion is applied as is (SPEC 4.5)", stacklevel=3)
    return X, q


# ---------------------------------------------------------------------------------------------- kernels
def c_sigma(activation: Activation) -> float:
    """``c_sigma = 1 / E_{z~N(0,1)}[sigma(z)^2]`` (SPEC 4.1).

    Exactly 2 for ReLU ("He" scaling), ``1 / ((2/pi) asin(2/3))`` for erf, and Gauss-Hermite quadrature of
    order 200 for the other activations (and for a user pair ``(sigma, sigma')``).
    """
    act = _activation(activation)
    if isinstance(act, str):
        return float(_core.gram_c_sigma(act))
    from .reference import gram as ref

    return ref.c_sigma(act)


def gram_matrix(
    X: Any,
    depth: int,
    activation: Activation = "relu",
    arch: str = "fc",
    c_res: float = 1.0,
    quadrature_order: int = 64,
    normalize: bool = False,
    return_all: bool = False,
    *,
    unit_norm: Optional[str] = None,
    method: str = "auto",
    patch_size: int = 3,
    device: str = "cpu",
) -> Union[np.ndarray, List[np.ndarray]]:
    """Du et al.'s Gram matrix ``K^(H)`` of ``X`` (n, d) for a network with ``depth = H`` hidden layers.

    FC (SPEC 4.3, the corrected Definition 1; ``A_ij(K)`` is the 2 x 2 block of ``K`` at ``(i, j)``)::

        K^(0) = X X^T
        K^(h) = c_sigma E_{(u,v) ~ N(0, A(K^(h-1)))}[sigma(u) sigma(v)]              h = 1 .. H-1
        K^(H) = c_sigma K^(H-1) o E_{(u,v) ~ N(0, A(K^(H-1)))}[sigma'(u) sigma'(v)]

    ResNet (SPEC 4.4, ``H >= 2``, ``r = c_res / H``, ``mu_i = E[sigma(u)]``, ``u ~ N(0, K^(h-1)_ii)``)::

        K^(1) = c_sigma E_{K^(0)}[sigma sigma],   b^(1)_i = sqrt(c_sigma) mu_i(K^(0))
        K^(h) = K^(h-1) + r (b_i mu_j + mu_i b_j) + r^2 E_{K^(h-1)}[sigma sigma],  b^(h) = b^(h-1) + r mu
        K^(H) = r^2 K^(H-1) o E_{K^(H-1)}[sigma' sigma']

    Expectations: closed forms for ``"relu"`` (arc-cosine kernels; the FC recursion is carried in angle form,
    accurate to round-off for pairs at angles down to 1e-8) and ``"erf"``; tensor 2-D Gauss-Hermite of order
    ``quadrature_order`` (in [8, 256]; 64 gives about 1e-7 on the tanh derivative kernel, 128 about 1e-11) for
    ``"tanh"``, ``"softplus"``, ``"sigmoid"``, ``"gelu"``; weights below ``1e-22`` of the largest are dropped
    (their total contribution is below round-off).  A user pair ``(sigma, sigma_prime)`` of vectorised
    callables runs on a (slow) numpy quadrature path.

    Tables (``method``): a one-variable map evaluated for every pair is replaced by a piecewise-Chebyshev
    table, built once and verified between its nodes: the ReLU FC angle recursion as a function of
    ``cos theta^(0)`` for ``|cos| <= 0.9`` (agreeing with the direct angle form to about 1e-15; pairs with
    ``|cos| > 0.9`` always take the direct angle path), and, when a layer's diagonal is constant (unit-norm
    inputs), its dual activations ``E[sigma sigma](theta)`` / ``E[sigma' sigma'](theta)`` (SPEC 4.7 fast
    path; to 1e-13 relative of the quadrature they replace).  ``"auto"`` uses tables above 20000 pairs,
    ``"direct"`` never, ``"table"`` wherever they apply.  A table that fails its check is not used.

    Convolutional ResNet (SPEC 4.5, ``arch="cnn"``): ``X`` of shape ``(n, C, p)`` (1-D signals, like
    ``torch.nn.Conv1d``), circular padding, odd ``patch_size``; the ResNet recursion runs on the ``(n p) x
    (n p)`` matrix over virtual points ``(i, l)`` with pre-activation covariances given by the patch sums
    ``(DK)[i, l, j, l'] = sum_k K[i, l+k, j, l'+k]``, and ``K^(H)_ij = r^2 sum_l (DK)[i,l,j,l]
    E[sigma'(U_l) sigma'(V_l)]``.  Computed in numpy (``O((n p)^2)`` memory; the fused C++ path covers FC and
    ResNet only); ReLU and erf by closed forms (``rho`` form), others by 2-D quadrature.  Non-unit-norm CNN
    inputs only warn.  ``return_all`` gives the states ``K^(h)`` (shape ``(n, p, n, p)``) for ``h < H`` and
    ``K^(H)`` (n, n).

    Parameters
    ----------
    X : (n, d) array (``(n, C, p)`` for ``"cnn"``); rows must have unit norm (within 1e-8) unless
        ``normalize=True`` (rows are rescaled; a zero row is an error) or ``unit_norm="ignore"`` (the
        recursion is applied to the raw rows).
    depth : ``H >= 1`` (``H >= 2`` for ``arch="resnet"`` and ``"cnn"``).
    arch : ``"fc"``, ``"resnet"`` or ``"cnn"``.   c_res : residual scale ``> 0`` (ResNet and CNN).
    patch_size : odd patch size ``q`` (CNN only).
    return_all : return the list ``[K^(0), ..., K^(H)]`` (views into one ``(H+1, n, n)`` array).
    device : ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.  The optional CUDA kernel (one thread per pair,
        all layers in registers) covers ``"relu"`` and ``"erf"`` for ``"fc"`` and ``"resnet"`` without
        ``return_all``; ``"cuda"`` raises ``RuntimeError`` saying why when no GPU (or no CUDA build) is
        usable or the case is not covered, ``"auto"`` then falls back to the CPU.

    Returns
    -------
    ``K^(H)`` as an exactly symmetric (n, n) float64 array, or the list of all layers.

    Cost: ``K^(0) = X X^T`` by BLAS ``dsyrk`` into the output buffer, then one fused C++ pass per pair of
    the upper triangle through all layers (tiles, threads above about 30000 pairs, results independent of
    ``convexify.set_num_threads``), mirrored so the result is exactly symmetric.  With ``return_all`` the
    ``H + 1`` layers are written in the same pass.
    """
    arch = as_choice(arch, "arch", ARCHS)
    act = _activation(activation)
    H = _depth(depth, arch)
    c_res = as_real(c_res, "c_res", minimum=0.0, strict_min=True)
    q = as_int(quadrature_order, "quadrature_order", minimum=8, maximum=256)
    if not isinstance(return_all, (bool, np.bool_)):
        raise InputTypeError(f"return_all must be a bool, got {return_all!r}")
    tables = {"direct": 0, "auto": 1, "table": 2}[as_choice(method, "method", ("auto", "direct", "table"))]
    if arch == "cnn":
        from ._gram_cnn import cnn_gram

        Xc, qp = _cnn_inputs(X, normalize, patch_size)
        KH, states = cnn_gram(Xc, H, act, qp, c_res, q)
        KH = 0.5 * (KH + KH.T)
        return states + [KH] if return_all else KH
    Xv = _inputs(X, normalize, unit_norm)
    gpu_ok = act in ("relu", "erf") and arch in ("fc", "resnet") and not return_all
    if resolve_device(device, gpu_ok, f"activation={act!r}, arch={arch!r}, return_all") == "cuda":
        fn = _core.gram_matrix_cuda_f64
        return fn(Xv, H, ("relu", "erf").index(act), ("fc", "resnet").index(arch), c_res)
    if isinstance(act, str):
        # K^(0) = X X^T by a BLAS symmetric rank-k update (one triangle, SPEC 4.12) written into the output
        # buffer, which the core then overwrites in place: one n x n array (H + 1 with return_all).
        from scipy.linalg.blas import dsyrk

        n = Xv.shape[0]
        buf = np.empty((H + 1, n, n) if return_all else (n, n))
        first = buf[0] if return_all else buf
        dsyrk(1.0, Xv.T, trans=1, c=first.T, overwrite_c=1)  # Fortran upper = row-major lower triangle
        K, _, _ = _core.gram_matrix(Xv, H, act, arch, c_res, q, bool(return_all), tables, buf)
        return list(K) if return_all else K
    from .reference import gram as ref

    if arch == "fc":
        out = ref.gram_fc(Xv, H, act, quadrature_order=q, return_all=bool(return_all))
    else:
        out = ref.gram_resnet(Xv, H, act, c_res=c_res, quadrature_order=q, return_all=bool(return_all))
        if return_all:
            out = out[0]
    if return_all:
        return [0.5 * (k + k.T) for k in out]
    return 0.5 * (out + out.T)


@dataclass(frozen=True)
class NTKResult:
    """NNGP and NTK of the FC network (SPEC 4.8).

    Attributes
    ----------
    nngp : ``Sigma^(H)``, the covariance of the last hidden layer (``= K^(H)`` of a depth-``H+1`` net's
        hidden layer ``H``).
    ntk : ``Theta^(H) = sum_{l=1..H+1} T_l``, the full NTK of all ``H + 1`` trained matrices.
    K : Du's ``K^(H) = Sigma^(H-1) o Sdot^(H) = T_H``, the block of ``W^(H)``; ``lambda_min(ntk) >=
        lambda_min(K)`` because every block is PSD.
    """

    nngp: np.ndarray
    ntk: np.ndarray
    K: np.ndarray


def ntk(
    X: Any,
    depth: int,
    activation: Activation = "relu",
    quadrature_order: int = 64,
    normalize: bool = False,
) -> NTKResult:
    """NNGP ``Sigma^(H)`` and NTK ``Theta^(H)`` of the FC network, with Du's ``K^(H)`` (SPEC 4.8).

    ``Sigma^(0) = X X^T``, ``Sigma^(h) = c_sigma E_{Sigma^(h-1)}[sigma sigma]``, ``Sdot^(h) = c_sigma
    E_{Sigma^(h-1)}[sigma' sigma']``, ``Theta^(0) = Sigma^(0)``, ``Theta^(h) = Sigma^(h) + Sdot^(h) o
    Theta^(h-1)`` (Jacot et al. 2018).  Du's ``K^(h) = Sigma^(h)`` for ``h < H`` and ``K^(H) = Sigma^(H-1) o
    Sdot^(H)``.  Computed layer by layer in numpy (``O(n^2 H)`` memory-bound work; quadrature for smooth
    activations).
    """
    act = _activation(activation)
    H = _depth(depth, "fc")
    q = as_int(quadrature_order, "quadrature_order", minimum=8, maximum=256)
    Xv = _inputs(X, normalize, None)
    from .reference import gram as ref

    sigma, theta, k = ref.nngp_ntk(Xv, H, act, quadrature_order=q)
    sym = lambda a: 0.5 * (a + a.T)  # noqa: E731
    return NTKResult(nngp=sym(sigma), ntk=sym(theta), K=sym(k))


# ------------------------------------------------------------------------------------- spectrum and rates
@dataclass(frozen=True)
class Spectrum:
    """Extreme eigenvalues of a symmetric kernel (SPEC 4.9).

    Attributes
    ----------
    lambda_min, lambda_max : smallest / largest eigenvalue of ``(K + K^T)/2`` (LAPACK ``dsyevr`` via scipy;
        measured 2.5-3.5x faster than Eigen's ``SelfAdjointEigenSolver`` at n = 2000 on one thread).
    condition : ``lambda_max / lambda_min`` (``inf`` when ``lambda_min <= 0``).
    singular : ``lambda_min <= 1e-10 max(lambda_max, 1)``.
    error_bound : ``n eps ||K||_2``, the eigensolver's absolute error bound on every eigenvalue.
    """

    lambda_min: float
    lambda_max: float
    condition: float
    singular: bool
    error_bound: float


def _square(K: Any, name: str = "K") -> np.ndarray:
    K = as_array(K, name, 2)
    if K.shape[0] != K.shape[1]:
        raise InputError(f"{name} must be square, got shape {K.shape}")
    return K


def spectrum(K: Any) -> Spectrum:
    """``lambda_min``, ``lambda_max``, condition number and the ``singular`` flag of ``K`` (SPEC 4.9).

    The eigensolve is ``O(n^3)`` and dominates the kernel's cost at large ``n``; for a cheaper yes/no answer
    use :func:`certify_lambda_min`.
    """
    from scipy.linalg import eigvalsh

    K = _square(K)
    n = K.shape[0]
    ev = eigvalsh(0.5 * (K + K.T), check_finite=False, driver="evr")
    lmin, lmax = float(ev[0]), float(ev[-1])
    norm2 = max(abs(lmin), abs(lmax))
    cond = lmax / lmin if lmin > 0 else math.inf
    return Spectrum(
        lambda_min=lmin,
        lambda_max=lmax,
        condition=cond,
        singular=bool(lmin <= 1e-10 * max(lmax, 1.0)),
        error_bound=n * _EPS * norm2,
    )


def certify_lambda_min(K: Any, tau: float) -> bool:
    """True only if a Cholesky factorisation proves ``lambda_min(K) > tau`` (SPEC 4.9).

    Cholesky of ``A = K - t I`` completing in floating point gives ``lambda_min(K) > t - delta_c(t)`` with
    ``delta_c(t) = 2 (n + 1) u tr(A)`` (Higham 2002, ch. 10).  We factor at ``t = tau + delta_c(tau)`` (the
    trace only shrinks as ``t`` grows, so the margin is conservative) and return True iff it succeeds.  A
    False answer certifies nothing (``lambda_min`` may still exceed ``tau`` by less than the margin).
    Cost ``n^3/3`` flops, about 10x cheaper than the eigensolver at ``n = 4000``.
    """
    from scipy.linalg import LinAlgError, cholesky

    K = _square(K)
    tau = as_real(tau, "tau")
    n = K.shape[0]
    A = 0.5 * (K + K.T)
    margin = 2.0 * (n + 1) * _U * abs(float(np.trace(A)) - n * tau)
    shift = tau + margin
    A[np.diag_indices(n)] -= shift
    try:
        cholesky(A, lower=True, overwrite_a=True, check_finite=False)
    except LinAlgError:
        return False
    return True


def _lambda(K: Any) -> Spectrum:
    return K if isinstance(K, Spectrum) else spectrum(K)


def rate(K: Any, eta: float) -> float:
    """Du et al.'s per-step factor ``1 - eta lambda_min(K) / 2`` (eq. 15 of the survey).

    Valid only under the theorem's hypotheses, whose width and step-size constants are unspecified: this is
    the *form* of the guarantee, not a certified rate.  ``K`` may be a kernel or a :class:`Spectrum`.
    """
    eta = as_real(eta, "eta", minimum=0.0, strict_min=True)
    return 1.0 - eta * _lambda(K).lambda_min / 2.0


@dataclass(frozen=True)
class KernelPrediction:
    """Kernel-regime prediction for GD with step ``eta`` on the linearised model (SPEC 4.10).

    Attributes
    ----------
    theorem_factor : ``1 - eta lambda_min / 2`` (the theorem's form).
    kernel_factor : per-step loss factor ``(1 - eta lambda_min)^2`` of the slowest mode (``nan`` if unstable).
    stable : ``eta lambda_max < 2``.
    curve : ``L_k = 1/2 ||(I - eta K)^k r0||^2`` for ``k = 0..iters`` when ``r0`` is given, else None.
    """

    theorem_factor: float
    kernel_factor: float
    stable: bool
    curve: Optional[np.ndarray]


def kernel_prediction(K: Any, eta: float, r0: Any = None, iters: int = 0) -> KernelPrediction:
    """Theorem-form factor, kernel-regime factor and (optionally) predicted loss curve (SPEC 4.10)."""
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
    """Scaling terms of Du et al.'s width and step-size conditions (SPEC 4.10), *up to unknown constants*.

    Attributes
    ----------
    lambda_min : ``lambda_min(K^(H))`` used in the terms.
    width_terms : the monomials inside ``m = Omega(...)`` (FC: ``n^4/lambda^4``, ``n/delta``,
        ``n^2 log(H n/delta)/lambda^2``; ResNet: ``n^4/(lambda^4 H^6)``, ``n^2/(lambda^2 H^2)``, ``n/delta``,
        ``n^2 log(H n/delta)/lambda^2``).
    step_term : ``lambda/n^2`` (FC) or ``lambda H^2/n^2`` (ResNet), inside ``eta = O(...)``.
    label : the caveat; these are NOT certified widths or step sizes.
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
    """Du et al.'s width / step-size *scaling terms* for kernel ``K = K^(H)`` (SPEC 4.10).

    The theorem gives ``m = Omega(2^{O(H)} max{n^4/lambda^4, n/delta, n^2 log(H n/delta)/lambda^2})`` and
    ``eta = O(lambda / (n^2 2^{O(H)}))`` for FC nets; for ResNets [verify against the paper]
    ``m = Omega(max{n^4/(lambda^4 H^6), n^2/(lambda^2 H^2), n/delta, n^2 log(H n/delta)/lambda^2})`` and
    ``eta = O(lambda H^2/n^2)``.  The constants (and the base of ``2^{O(H)}``) are not given, so the returned
    numbers are scaling monomials only, labelled as such.  A singular kernel gives infinite terms.
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


# ------------------------------------------------------------------------------------------ finite width
from ._gram_network import TrainResult, empirical_gram, train_wide  # noqa: E402
