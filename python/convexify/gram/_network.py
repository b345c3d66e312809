"""Finite-width networks of lens 3 in Du et al.'s parametrisation (docs/gram.md#networks,
docs/gram.md#validation), in numpy.

Forward pass, per-sample backpropagation of ``u_i`` (the Jacobian is block-diagonal across samples, so one
backward pass with unit output gradients gives every ``du_i/dZ_i^(h)``), the Gram blocks
``G^(h)_ij = <du_i/dW^(h), du_j/dW^(h)> = (D^(h) D^(h)T)_ij (X^(h-1) X^(h-1)T)_ij`` and full-batch GD.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from .._errors import DivergenceError, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real
from . import _expect
from ._inputs import _activation, _cnn_inputs, _depth, _inputs
from ._kernel import c_sigma, gram_matrix
from ._rates import MAX_ITERS
from ._spectrum import spectrum

__all__ = ["empirical_gram", "train_wide", "WideTrainResult", "TrainResult"]


class _Net:
    """A width-``m`` FC or ResNet network with i.i.d. N(0, 1) weights (docs/gram.md#networks)."""

    def __init__(self, d0: int, width: int, depth: int, activation, arch: str, c_res: float, seed: int):
        self.sigma, self.dsigma = _expect.activation_pair(activation)
        self.cs = c_sigma(activation)
        self.m, self.H, self.arch, self.r = width, depth, arch, c_res / depth
        rng = np.random.default_rng(seed)
        self.W = [rng.standard_normal((width, d0))]
        self.W += [rng.standard_normal((width, width)) for _ in range(depth - 1)]
        self.a = rng.standard_normal(width)

    def _scale(self, h: int) -> float:
        # Layer h (1-based) multiplies sigma(.) by sqrt(c_sigma/m) (FC, and ResNet h = 1) or r/sqrt(m).
        if self.arch == "fc" or h == 1:
            return math.sqrt(self.cs / self.m)
        return self.r / math.sqrt(self.m)

    def forward(self, X):
        xs, zs = [X], []
        for h in range(1, self.H + 1):
            z = xs[-1] @ self.W[h - 1].T
            s = self._scale(h) * self.sigma(z)
            xs.append(s if (self.arch == "fc" or h == 1) else xs[-1] + s)
            zs.append(z)
        return xs, zs, xs[-1] @ self.a

    def backward(self, xs, zs, g):
        """Gradients for output gradients g (n,): dW per layer, da, and D^(h) = dL/dZ^(h) rows."""
        gx = g[:, None] * self.a[None, :]
        da = g @ xs[-1]
        dW, D = [None] * self.H, [None] * self.H
        for h in range(self.H, 0, -1):
            dz = gx * (self._scale(h) * self.dsigma(zs[h - 1]))
            D[h - 1] = dz
            dW[h - 1] = dz.T @ xs[h - 1]
            back = dz @ self.W[h - 1]
            gx = back if (self.arch == "fc" or h == 1) else gx + back
        return dW, da, D

    def gram_blocks(self, X):
        """[G^(1), ..., G^(H), G^(a)] at the current weights."""
        xs, zs, _ = self.forward(X)
        _, _, D = self.backward(xs, zs, np.ones(X.shape[0]))
        blocks = [(D[h] @ D[h].T) * (xs[h] @ xs[h].T) for h in range(self.H)]
        blocks.append(xs[-1] @ xs[-1].T)
        return blocks


def _memory_bytes() -> float:
    """Physical memory of this machine (inf where the platform does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return math.inf


def _check_width(width: Any, d0: int, n: int, depth: int) -> int:
    """``width`` as an int whose network fits in memory: weights (twice, for ``train_wide``'s drift) and the
    per-layer activations of all ``n`` samples, ``8 (2 (m d0 + (H-1) m^2) + 4 H n m)`` bytes."""
    width = as_int(width, "width", minimum=1, maximum=2**31 - 1)
    need = 8.0 * (2.0 * (width * d0 + (depth - 1) * float(width) ** 2) + 4.0 * depth * n * width)
    have = _memory_bytes()
    if need > have:
        raise InputError(
            f"width={width} needs about {need / 2**30:.3g} GiB for the weights and activations of a "
            f"depth-{depth} network on {n} samples, more than this machine's {have / 2**30:.3g} GiB"
        )
    return width


def _check(X, width, depth, activation, arch, c_res, seed):
    arch = as_choice(arch, "arch", ("fc", "resnet"))
    act = _activation(activation)
    H = _depth(depth, arch)
    c_res = as_real(c_res, "c_res", minimum=0.0, strict_min=True)
    seed = as_int(seed, "seed", minimum=0)
    Xv = _inputs(X, False, "ignore")
    width = _check_width(width, Xv.shape[1], Xv.shape[0], H)
    return Xv, width, H, act, arch, c_res, seed


def _finite_gram(G: np.ndarray) -> np.ndarray:
    if not np.isfinite(G).all():
        raise InputError(
            "X is too large in scale: the finite-width Gram matrix overflows float64 (for ReLU it scales "
            "like s^2 under X -> s X); rescale X"
        )
    return G


def _new_net(Xv, width, H, act, arch, c_res, seed) -> _Net:
    try:
        return _Net(Xv.shape[1], width, H, act, arch, c_res, seed)
    except MemoryError:
        raise InputError(f"width={width}: the network's weights could not be allocated") from None


def empirical_gram(
    X: Any,
    width: int,
    depth: int,
    activation="relu",
    arch: str = "fc",
    seed: int = 0,
    c_res: float = 1.0,
    block: str = "last",
    patch_size: int = 3,
) -> np.ndarray:
    """Finite-width Gram ``G^(H)(0)`` of a randomly initialised network (docs/gram.md#fc,
    docs/gram.md#validation).

    ``G^(H)_ij = <du_i/dW^(H), du_j/dW^(H)> = (c/m) <x_i^(H-1), x_j^(H-1)> sum_r a_r^2 sigma'(w_r.x_i^(H-1))
    sigma'(w_r.x_j^(H-1))`` with ``c = c_sigma`` (FC) or ``c = r^2 = (c_res/H)^2`` (ResNet).  It
    converges to ``K^(H)`` of :func:`convexify.gram.gram_matrix` like ``m^{-1/2}``.  Weights are i.i.d.
    N(0, 1) from ``numpy.random.default_rng(seed)``; inputs are used as given.

    Args:
        X: (n, d) inputs (``(n, C, p)`` for ``arch="cnn"``).
        width: width ``m >= 1`` (the network must fit in this machine's memory).
        depth: ``H >= 1`` (``>= 2`` for ``"resnet"`` and ``"cnn"``), at most 10^4.
        activation: one of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)`` of vectorised callables.
        arch: ``"fc"``, ``"resnet"`` or ``"cnn"`` (the convolutional ResNet of docs/gram.md#networks).
        seed: seed of the weights.
        c_res: residual scale ``> 0``.
        block: ``"last"`` for ``G^(H)``; ``"full"`` for the full Gram ``G = sum_h G^(h) + G^(a)`` of all
            ``H + 1`` trained matrices (the empirical NTK; not for ``"cnn"``).
        patch_size: odd patch size (``"cnn"`` only).

    Returns:
        The exactly symmetric (n, n) Gram matrix.

    Scale (docs/gram.md#scales): row norms must lie in ``[1.5e-154, 1.3e154]`` (their squares are normal
    float64 numbers); for ReLU, ``G(s X) = s^2 G(X)``.

    Raises:
        InputError: an argument is out of range, ``X``'s scale is outside the float64 range the Gram matrix
            needs, or the network does not fit in memory.
        InputTypeError: an argument has the wrong type.
    """
    if as_choice(arch, "arch", ("fc", "resnet", "cnn")) == "cnn":
        from ._cnn import cnn_forward_gram

        act = _activation(activation)
        H = _depth(depth, "cnn")
        width = as_int(width, "width", minimum=1, maximum=2**31 - 1)
        c_res = as_real(c_res, "c_res", minimum=0.0, strict_min=True)
        seed = as_int(seed, "seed", minimum=0)
        if block != "last":
            raise InputError("block must be 'last' for arch='cnn'")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xc, q = _cnn_inputs(X, False, patch_size)
        return cnn_forward_gram(Xc, width, H, act, q, c_res, seed)
    Xv, width, H, act, arch, c_res, seed = _check(X, width, depth, activation, arch, c_res, seed)
    block = as_choice(block, "block", ("last", "full"))
    net = _new_net(Xv, width, H, act, arch, c_res, seed)
    blocks = net.gram_blocks(Xv)
    G = blocks[H - 1] if block == "last" else sum(blocks)
    return _finite_gram(0.5 * (G + G.T))


@dataclass(frozen=True, repr=False)
class WideTrainResult(CompactRepr):
    """The result of :func:`train_wide`: full-batch GD on a finite-width network (docs/gram.md#validation).

    Attributes:
        loss: ``L_k``, ``k = 0..iters``.
        eta: step size used.
        G0: Gram matrix at initialisation of the trained parameter subset (``train="last"``: ``G^(H)(0)``;
            ``"all"``: the full empirical NTK).
        lambda_min_G0: smallest eigenvalue of ``G0``.
        lambda_max_G0: largest eigenvalue of ``G0``.
        empirical_factor: fitted per-step loss factor where ``L_k/L_0`` is in ``[1e-7, 1e-3]`` (nan if no
            such window of >= 3 steps).
        kernel_factor: ``(1 - eta lambda_min(G0))^2``, the slowest mode of the linearised model (nan when
            ``eta lambda_max(G0) >= 2``).
        theorem_factor: ``1 - eta lambda_min(K^(H)) / 2`` with the infinite-width ``K^(H)`` (survey eq. 15).
        bound_holds: whether ``L_k <= theorem_factor^k L_0`` at every step.
        loss_linear: ``1/2 ||(I - eta G0)^k r_0||^2``, the ``G(0)``-linearised curve.
        laziness: ``max_k |L_k - L_k^lin| / L_k``.
        drift_fro: per layer ``m^{-1/2} ||W^(h)(k) - W^(h)(0)||_F`` at the end.
        drift_spec: per layer ``m^{-1/2} ||W^(h)(k) - W^(h)(0)||_2`` at the end.
        info: ``lambda_min_K``, ``train``, ``arch``, ``width``, ``depth``.
    """

    loss: np.ndarray
    eta: float
    G0: np.ndarray
    lambda_min_G0: float
    lambda_max_G0: float
    empirical_factor: float
    kernel_factor: float
    theorem_factor: float
    bound_holds: bool
    loss_linear: np.ndarray
    laziness: float
    drift_fro: List[float]
    drift_spec: List[float]
    info: Dict[str, Any]


#: Backward-compatible alias of :class:`WideTrainResult`, the result of :func:`train_wide` (its earlier
#: name); new code should use ``WideTrainResult``.
TrainResult = WideTrainResult


def fit_factor(loss: np.ndarray, lo: float = 1e-7, hi: float = 1e-3) -> float:
    """Per-step factor fitted (least squares on log L) where ``L_k / L_0`` lies in ``[lo, hi]``.

    Args:
        loss: the loss curve ``L_k``.
        lo: lower end of the window of ``L_k / L_0``.
        hi: upper end of the window.

    Returns:
        ``exp(slope)`` of the fit, or nan when fewer than 3 steps lie in the window.
    """
    rel = loss / loss[0]
    k = np.flatnonzero((rel >= lo) & (rel <= hi))
    if k.size < 3:
        return math.nan
    slope = np.polyfit(k, np.log(rel[k]), 1)[0]
    return float(math.exp(slope))


def _loss_or_raise(res: np.ndarray, k: int) -> float:
    """``1/2 ||res||^2``, or the error that says why it is not finite at step ``k``."""
    with np.errstate(over="ignore", invalid="ignore"):
        value = 0.5 * float(res @ res)
    if not math.isfinite(value):
        if k == 0:
            raise InputError(
                "the initial loss 1/2 ||u(0) - y||^2 overflows float64: X and y are too large in scale "
                "(for ReLU, u scales like s under X -> s X; rescale X and y together)"
            )
        raise DivergenceError(f"train_wide: loss became non-finite at iteration {k}")
    return value


def _steps(iters: int, progress: bool, desc: str):
    if not progress:
        return range(iters + 1)
    from ..reproduce._report import progress as bar

    return bar(range(iters + 1), desc)


def _gd_all_layers(net: _Net, Xv, y, eta, iters, progress):
    """Full-batch GD on every ``W^(h)`` and ``a``: ``(loss, r0, drift_fro, drift_spec)``."""
    W0 = [w.copy() for w in net.W]
    loss = np.empty(iters + 1)
    r0 = None
    for k in _steps(iters, progress, "train_wide (all layers)"):
        xs, zs, u = net.forward(Xv)
        res = u - y
        if r0 is None:
            r0 = res.copy()
        loss[k] = _loss_or_raise(res, k)
        if k == iters:
            break
        dW, da, _ = net.backward(xs, zs, res)
        for h in range(net.H):
            net.W[h] -= eta * dW[h]
        net.a -= eta * da
    sqm = math.sqrt(net.m)
    drift_fro = [float(np.linalg.norm(net.W[h] - W0[h]) / sqm) for h in range(net.H)]
    drift_spec = [float(np.linalg.norm(net.W[h] - W0[h], 2) / sqm) for h in range(net.H)]
    return loss, r0, drift_fro, drift_spec


def _gd_last_layer(net: _Net, Xv, y, eta, iters, progress):
    """Full-batch GD on ``W^(H)`` only, in ``O(n^2 m)`` per step: ``(loss, r0, drift_fro, drift_spec)``.

    With the layers below frozen, ``X^(H-1)`` (n, m') is fixed and the step ``W <- W - eta D^T X^(H-1)``
    (``D = dL/dZ^(H)``, n x m) moves the pre-activations ``Z^(H) = X^(H-1) W^T`` by
    ``-eta (X^(H-1) X^(H-1)T) D``: the iteration runs on ``Z^(H)`` with the (n, n) Gram matrix of
    ``X^(H-1)``, never on the (m, m') weights.  The weights' displacement is ``W(k) - W(0) = -eta C^T
    X^(H-1)`` with ``C = sum_k D_k``; writing ``X^(H-1)T = Q R`` (thin QR) its singular values are those of
    the (m, n) matrix ``C^T R^T``.  Equal to the weight-space iteration up to round-off.
    """
    H = net.H
    xs, zs, _ = net.forward(Xv)
    x_prev, z = xs[H - 1], zs[H - 1].copy()
    gram_prev = x_prev @ x_prev.T
    scale = net._scale(H)
    # u = base + scale sigma(Z^(H)) a: FC (and depth 1) has no skip connection into the output layer.
    base = np.zeros(Xv.shape[0]) if (net.arch == "fc" or H == 1) else x_prev @ net.a
    loss = np.empty(iters + 1)
    C = np.zeros_like(z)
    r0 = None
    for k in _steps(iters, progress, "train_wide (last layer)"):
        res = base + scale * (net.sigma(z) @ net.a) - y
        if r0 is None:
            r0 = res.copy()
        loss[k] = _loss_or_raise(res, k)
        if k == iters:
            break
        D = res[:, None] * (scale * net.a[None, :]) * net.dsigma(z)
        C += D
        z -= eta * (gram_prev @ D)
    _, R = np.linalg.qr(x_prev.T)
    disp = (eta / math.sqrt(net.m)) * (C.T @ R.T)  # m^-1/2 (W(k) - W(0)) Q, same singular values
    drift_fro = [0.0] * H
    drift_spec = [0.0] * H
    drift_fro[H - 1] = float(np.linalg.norm(disp))
    drift_spec[H - 1] = float(np.linalg.norm(disp, 2)) if disp.size else 0.0
    return loss, r0, drift_fro, drift_spec


def train_wide(
    X: Any,
    y: Any,
    width: int,
    depth: int,
    eta: Optional[float] = None,
    iters: int = 200,
    activation="relu",
    arch: str = "fc",
    seed: int = 0,
    c_res: float = 1.0,
    train: str = "all",
    progress: bool = False,
) -> WideTrainResult:
    """Full-batch GD on ``L = 1/2 sum_i (u_i - y_i)^2`` for a width-``m`` network (docs/gram.md#networks,
    docs/gram.md#validation).

    ``train="all"`` updates every ``W^(h)`` and ``a``; ``"last"`` only ``W^(H)`` (the block Du et al.'s
    ``K^(H)`` describes).  The loss curve comes with the empirical per-step factor, the kernel-regime
    prediction ``(1 - eta lambda_min(G(0)))^2`` and the theorem's form ``1 - eta lambda_min(K^(H)) / 2``
    (survey eq. 15; docs/gram.md#theorem), and laziness diagnostics.

    Args:
        X: (n, d) inputs, used as given.
        y: (n,) targets.
        width: width ``m >= 1`` (the network must fit in this machine's memory).
        depth: ``H >= 1`` (``>= 2`` for ``"resnet"``), at most 10^4.
        eta: step size ``> 0``; ``None`` uses ``1 / lambda_max(G(0))`` of the trained subset.
        iters: number of GD steps in ``[0, 10^7]``.
        activation: one of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)`` of vectorised callables.
        arch: ``"fc"`` or ``"resnet"``.
        seed: seed of the initial weights.
        c_res: residual scale ``> 0``.
        train: ``"all"`` or ``"last"``.  ``"last"`` iterates on the pre-activations ``Z^(H)`` with the fixed
            Gram matrix of ``X^(H-1)`` (``O(n^2 m)`` per step instead of ``O(n m^2)``; equal up to round-off).
        progress: show a tqdm bar over the GD steps (for long runs).

    Returns:
        :class:`WideTrainResult`.

    Scale (docs/gram.md#scales): for ReLU, ``train_wide(s X, s y)`` runs the same weight trajectory with the
    default step (which scales like ``s^-2``): the losses, ``G0`` and ``lambda``'s scale like ``s^2``, the
    factors, the flag, laziness and drifts are invariant.

    Raises:
        InputError: an argument is out of range, ``y`` has the wrong length, ``X``'s scale is outside the
            float64 range the Gram matrix and the loss need, or the network does not fit in memory.
        InputTypeError: an argument has the wrong type.
        DivergenceError: the loss became non-finite during training.
    """

    Xv, width, H, act, arch, c_res, seed = _check(X, width, depth, activation, arch, c_res, seed)
    y = as_array(y, "y", 1)
    if y.shape[0] != Xv.shape[0]:
        raise InputError(f"y must have length {Xv.shape[0]} (rows of X), got {y.shape[0]}")
    iters = as_int(iters, "iters", minimum=0, maximum=MAX_ITERS)
    train = as_choice(train, "train", ("all", "last"))
    net = _new_net(Xv, width, H, act, arch, c_res, seed)
    blocks = net.gram_blocks(Xv)
    G0 = blocks[H - 1] if train == "last" else sum(blocks)
    G0 = _finite_gram(0.5 * (G0 + G0.T))
    w0 = np.linalg.eigvalsh(G0)
    if eta is None:
        eta = 1.0 / w0[-1]
    eta = as_real(eta, "eta", minimum=0.0, strict_min=True)
    if train == "last":
        loss, r0, drift_fro, drift_spec = _gd_last_layer(net, Xv, y, eta, iters, progress)
    else:
        loss, r0, drift_fro, drift_spec = _gd_all_layers(net, Xv, y, eta, iters, progress)
    w, V = np.linalg.eigh(G0)
    c = V.T @ r0
    steps = np.arange(iters + 1)[:, None]
    loss_lin = 0.5 * np.sum((c[None, :] * (1.0 - eta * w[None, :]) ** steps) ** 2, axis=1)
    K = gram_matrix(Xv, H, act, arch=arch, c_res=c_res, unit_norm="ignore")
    lam_K = spectrum(K).lambda_min
    theorem = 1.0 - eta * lam_K / 2.0
    bound = bool(np.all(loss <= loss[0] * theorem ** np.arange(iters + 1) * (1 + 1e-12)))
    floor = np.finfo(np.float64).tiny  # the smallest normal number: no scale is assumed
    lazy = float(np.max(np.abs(loss - loss_lin) / np.maximum(loss, floor)))
    stable = eta * w0[-1] < 2.0
    return WideTrainResult(
        loss=loss,
        eta=float(eta),
        G0=G0,
        lambda_min_G0=float(w0[0]),
        lambda_max_G0=float(w0[-1]),
        empirical_factor=fit_factor(loss),
        kernel_factor=float((1.0 - eta * w0[0]) ** 2) if stable else math.nan,
        theorem_factor=float(theorem),
        bound_holds=bound,
        loss_linear=loss_lin,
        laziness=lazy,
        drift_fro=drift_fro,
        drift_spec=drift_spec,
        info={"lambda_min_K": lam_K, "train": train, "arch": arch, "width": width, "depth": H},
    )
