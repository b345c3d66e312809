"""The Gram matrix K^(H) of Du et al.'s corrected Definition 1 (FC, ResNet, CNN), computed by the core."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from .._cuda import resolve_device
from .._errors import InputError, InputTypeError
from .._validate import as_choice, as_int, as_real
from . import _expect
from ._inputs import ARCHS, Activation, _activation, _cnn_inputs, _depth, _inputs, check_quadrature_variance


# ---------------------------------------------------------------------------------------------- kernels
def c_sigma(activation: Activation) -> float:
    """The normalising constant ``c_sigma = 1 / E_{z~N(0,1)}[sigma(z)^2]`` (docs/gram.md#networks).

    Exactly 2 for ReLU ("He" scaling), ``1 / ((2/pi) asin(2/3))`` for erf, and Gauss-Hermite quadrature of
    order 200 for the other activations and for a user pair ``(sigma, sigma')`` (docs/gram.md#quadrature).

    Args:
        activation: one of :data:`ACTIVATIONS`, or a pair ``(sigma, sigma_prime)`` of vectorised callables.

    Returns:
        ``c_sigma`` as a float.

    Raises:
        InputTypeError: ``activation`` is neither a known name nor a pair of callables.
        InputError: unknown activation name.
    """
    return _expect.c_sigma(_activation(activation))


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
    X2: Any = None,
    chunks: Optional[int] = None,
    out: Any = None,
    client: Any = None,
    progress: bool = True,
) -> Any:
    """Du et al.'s Gram matrix ``K^(H)`` of ``X`` (n, d) for a network with ``depth = H`` hidden layers.

    FC (docs/gram.md#fc, the corrected Definition 1 of Du et al. 2019; ``A_ij(K)`` is the 2 x 2 block of
    ``K`` at ``(i, j)``)::

        K^(0) = X X^T
        K^(h) = c_sigma E_{(u,v) ~ N(0, A(K^(h-1)))}[sigma(u) sigma(v)]              h = 1 .. H-1
        K^(H) = c_sigma K^(H-1) o E_{(u,v) ~ N(0, A(K^(H-1)))}[sigma'(u) sigma'(v)]

    ResNet (docs/gram.md#resnet, ``H >= 2``, ``r = c_res / H``, ``mu_i = E[sigma(u)]``,
    ``u ~ N(0, K^(h-1)_ii)``)::

        K^(1) = c_sigma E_{K^(0)}[sigma sigma],   b^(1)_i = sqrt(c_sigma) mu_i(K^(0))
        K^(h) = K^(h-1) + r (b_i mu_j + mu_i b_j) + r^2 E_{K^(h-1)}[sigma sigma],  b^(h) = b^(h-1) + r mu
        K^(H) = r^2 K^(H-1) o E_{K^(H-1)}[sigma' sigma']

    Expectations: closed forms for ``"relu"`` (arc-cosine kernels; the FC recursion is carried in angle form,
    accurate to round-off for pairs at angles down to 1e-8) and ``"erf"`` (docs/gram.md#closed-forms); tensor
    2-D Gauss-Hermite of order ``quadrature_order`` (in [8, 256]; 64 gives about 1e-7 on the tanh derivative
    kernel, 128 about 1e-11) for ``"tanh"``, ``"softplus"``, ``"sigmoid"``, ``"gelu"``; weights below
    ``1e-22`` of the largest are dropped (their total contribution is below round-off;
    docs/gram.md#quadrature).  A user pair ``(sigma, sigma_prime)`` of vectorised callables runs on a (slow)
    lens-side numpy quadrature path over the core's Gauss-Hermite rule.

    Tables (``method``): a one-variable map evaluated for every pair is replaced by a piecewise-Chebyshev
    table, built once and verified between its nodes: the ReLU FC angle recursion as a function of
    ``cos theta^(0)`` for ``|cos| <= 0.9`` (agreeing with the direct angle form to about 1e-15; pairs with
    ``|cos| > 0.9`` always take the direct angle path), and, when a layer's diagonal is constant (unit-norm
    inputs), its dual activations ``E[sigma sigma](theta)`` / ``E[sigma' sigma'](theta)`` (the fast path of
    docs/gram.md#quadrature; to 1e-13 relative of the quadrature they replace).  ``"auto"`` uses tables above
    20000 pairs, ``"direct"`` never, ``"table"`` wherever they apply.  A table that fails its check is not
    used.

    Convolutional ResNet (docs/gram.md#cnn, ``arch="cnn"``): ``X`` of shape ``(n, C, p)`` (1-D signals, like
    ``torch.nn.Conv1d``), circular padding, odd ``patch_size``; the ResNet recursion runs on the ``(n p) x
    (n p)`` matrix over virtual points ``(i, l)`` with pre-activation covariances given by the patch sums
    ``(DK)[i, l, j, l'] = sum_k K[i, l+k, j, l'+k]``, and ``K^(H)_ij = r^2 sum_l (DK)[i,l,j,l]
    E[sigma'(U_l) sigma'(V_l)]``.  Computed in lens-side numpy (``O((n p)^2)`` memory; the fused C++ path
    covers FC and ResNet only); ReLU and erf by closed forms (``rho`` form), others by 2-D quadrature.
    Non-unit-norm CNN inputs only warn.

    Cost (docs/gram.md#performance): ``K^(0) = X X^T`` tile by tile in a fixed summation order (so any
    block of :class:`~convexify.gram.TileKernel` has the same bits), then one fused C++ pass per pair of
    the upper triangle through all layers (tiles, threads above about 30000 pairs, results independent of
    ``convexify.set_num_threads``), mirrored so the result is exactly symmetric.  With ``return_all`` the
    ``H + 1`` layers are written in the same pass.

    Cross kernels and scale (docs/gram.md#tiles, docs/gram.md#tiled): with ``X2`` the result is the
    ``(n, n2)`` kernel ``K(X, X2)`` between the rows of ``X`` and those of ``X2`` (train and test points),
    every entry equal bit for bit to the corresponding entry of ``gram_matrix(vstack([X, X2]))`` with
    ``method="direct"`` (with tables, to their accuracy: the tables are built over the stacked rows).  With
    ``chunks`` or ``out`` the matrix is tiled (:class:`~convexify.gram.TileKernel`): a lazy ``dask.array``
    over ``(chunks, chunks)`` tiles of which only the upper ones are evaluated, or a ``.zarr`` / ``.npy``
    file written tile by tile and resumable.  Every tile equals the dense matrix's block bit for bit.  These
    paths cover FC and ResNet with a named activation (not ``"cnn"``, a callable pair, ``return_all`` or
    ``device="cuda"``).

    Args:
        X: (n, d) array (``(n, C, p)`` for ``"cnn"``); rows must have unit norm (within 1e-8) unless
            ``normalize=True`` (rows are rescaled; a zero row is an error) or ``unit_norm="ignore"`` (the
            recursion is applied to the raw rows).
        depth: ``H >= 1`` (``H >= 2`` for ``arch="resnet"`` and ``"cnn"``).
        activation: one of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)`` of vectorised callables.
        arch: ``"fc"``, ``"resnet"`` or ``"cnn"``.
        c_res: residual scale ``> 0`` (ResNet and CNN).
        quadrature_order: Gauss-Hermite order in [8, 256] for smooth activations.
        normalize: rescale the rows (samples) to unit norm first.
        return_all: return the list ``[K^(0), ..., K^(H)]`` (views into one ``(H+1, n, n)`` array; for
            ``"cnn"`` the states ``K^(h)``, ``h < H``, have shape ``(n, p, n, p)``).
        unit_norm: ``"raise"``, ``"normalize"`` or ``"ignore"``; overrides ``normalize`` when given.
        method: ``"auto"``, ``"direct"`` or ``"table"`` (see above).
        patch_size: odd patch size ``q`` (CNN only).
        device: ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.  The optional CUDA kernel (one thread per
            pair, all layers in registers) covers ``"relu"`` and ``"erf"`` for ``"fc"`` and ``"resnet"``
            without ``return_all``; ``"cuda"`` raises ``RuntimeError`` saying why when no GPU (or no CUDA
            build) is usable or the case is not covered, ``"auto"`` then falls back to the CPU.
        X2: (n2, d) second set of rows (validated and normalised like ``X``): return ``K(X, X2)``.
        chunks: tile side (an int ``>= 1``; default ``min(2048, n)`` when ``out`` is given): return a lazy
            ``dask.array.Array`` of ``K`` (needs the ``dask`` extra).
        out: a path ending in ``.zarr`` or ``.npy``: write ``K`` there tile by tile and return it opened
            read-only (resumable: a rerun computes only the tiles not yet flagged done; an existing file with
            another shape, dtype, tile size or kernel is refused; docs/gram.md#tiled).
        client: where the tiles of ``out`` are computed: None (local threads), ``"serial"`` or a
            ``distributed.Client``.
        progress: a tqdm bar over the tiles of ``out`` (shown after 10 s).

    Returns:
        ``K^(H)`` as an exactly symmetric (n, n) float64 array, or the list of all layers; ``(n, n2)`` with
        ``X2``; a lazy Dask array with ``chunks``; the zarr array or ``.npy`` memory map with ``out``.

    Raises:
        InputError: an argument is out of range or ``X`` has a zero row, non-unit rows (unless allowed) or
            non-finite entries; the message names the argument.
        InputTypeError: an argument has the wrong type.
    """
    arch = as_choice(arch, "arch", ARCHS)
    act = _activation(activation)
    H = _depth(depth, arch)
    c_res = as_real(c_res, "c_res", minimum=0.0, strict_min=True)
    q = as_int(quadrature_order, "quadrature_order", minimum=8, maximum=256)
    if not isinstance(return_all, (bool, np.bool_)):
        raise InputTypeError(f"return_all must be a bool, got {return_all!r}")
    method = as_choice(method, "method", ("auto", "direct", "table"))
    tiled = chunks is not None or out is not None
    if X2 is not None or tiled:
        opts = dict(normalize=normalize, unit_norm=unit_norm, method=method)
        return _tile_path(
            X, H, act, arch, c_res, q, opts, return_all, device, X2, chunks, out, client, progress
        )
    if client is not None:
        raise InputError("client: computing on a client needs chunks or out (the tiled matrix)")
    if arch == "cnn":
        from ._cnn import cnn_gram

        Xc, qp = _cnn_inputs(X, normalize, patch_size)
        KH, states = cnn_gram(Xc, H, act, qp, c_res, q)
        KH = 0.5 * (KH + KH.T)
        _check_finite(KH, arch)
        return states + [KH] if return_all else KH
    Xv = _inputs(X, normalize, unit_norm)
    gpu_ok = act in ("relu", "erf") and arch in ("fc", "resnet") and not return_all
    if resolve_device(device, gpu_ok, f"activation={act!r}, arch={arch!r}, return_all") == "cuda":
        return _core.gram_matrix_cuda(Xv, H, act, arch, c_res)
    if isinstance(act, str):
        res = _core.gram_matrix(Xv, H, act, arch, c_res, q, bool(return_all), method)
        check_quadrature_variance(act, q, max(max(d) for d in res.diag[:H]))
        _check_finite(res.K, arch)
        return list(res.K) if return_all else res.K
    if arch == "fc":
        out = _expect.gram_fc(Xv, H, act, q)
    else:
        out = _expect.gram_resnet(Xv, H, act, c_res, q)
    out = [0.5 * (k + k.T) for k in out]
    _check_finite(out[-1], arch)
    return out if return_all else out[-1]


def _tile_path(X, H, act, arch, c_res, q, opts, return_all, device, X2, chunks, out, client, progress) -> Any:
    """K(X, X2) or the tiled K through the core's tile kernel (docs/gram.md#tiles)."""
    from ._tiles import TileKernel

    what = "X2" if X2 is not None else ("out" if out is not None else "chunks")
    if arch == "cnn":
        raise InputError(f"{what}: cross and tiled kernels cover arch 'fc' and 'resnet', not 'cnn'")
    if not isinstance(act, str):
        raise InputError(f"{what}: cross and tiled kernels need a named activation, not a callable pair")
    if return_all:
        raise InputError(f"return_all: not available with {what} (one layer, K^(H), is tiled)")
    if as_choice(device, "device", ("cpu", "cuda", "auto")) == "cuda":
        raise InputError(f"device: the CUDA kernel computes K(X, X) densely; {what} runs on the CPU")
    tk = TileKernel(X, H, act, arch, c_res, q, X2=X2, **opts)
    if chunks is None and out is None:
        if client is not None:
            raise InputError("client: computing on a client needs chunks or out (the tiled matrix)")
        K = tk.matrix()
        _check_finite(K, arch)
        return K
    from ._tiled import tiled_matrix

    return tiled_matrix(tk, chunks, out, client, progress)


def _check_finite(K: np.ndarray, arch: str) -> None:
    if not np.isfinite(K).all():
        hint = "X is too large" if arch == "fc" else "c_res is too large (branches grow like c_res^2)"
        raise InputError(f"K overflows float64: {hint}; docs/gram.md#scales")
