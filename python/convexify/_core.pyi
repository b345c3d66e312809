"""Type stubs of the compiled core ``convexify._core``.

Use the typed API in ``convexify.*`` instead: these functions take C-contiguous arrays of the exact dtype and
re-check everything they are given.  Generated from the built module with pybind11-stubgen
(``python -m pybind11_stubgen convexify._core --numpy-array-use-type-var``), plus the CUDA kernels that only a
CUDA build binds; ``tests/test_core_stub.py`` fails when this file and the module disagree.
"""

from __future__ import annotations

import collections.abc
import typing

import numpy
import numpy.typing

class LinearDrHistory:
    """
    Douglas-Rachford certificates per iterate (docs/linear.md#dr); float64 arrays.
    """
    @property
    def dual(self) -> numpy.typing.NDArray[numpy.float64]: ...
    @property
    def gap(self) -> numpy.typing.NDArray[numpy.float64]: ...
    @property
    def primal_shadow(self) -> numpy.typing.NDArray[numpy.float64]: ...
    @property
    def primal_svd(self) -> numpy.typing.NDArray[numpy.float64]: ...

class LinearSolveResult:
    """
    Result of linear_solve (docs/linear.md#outputs).
    """
    @property
    def Lambda(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def M(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def Ytilde(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def certificate_dual(self) -> float: ...
    @property
    def certificate_primal(self) -> float: ...
    @property
    def certified(self) -> bool: ...
    @property
    def certified_by(self) -> str: ...
    @property
    def converged(self) -> bool: ...
    @property
    def d0(self) -> int: ...
    @property
    def dH(self) -> int: ...
    @property
    def dual_value(self) -> float: ...
    @property
    def gap(self) -> float: ...
    @property
    def history(self) -> LinearDrHistory: ...
    @property
    def iterations(self) -> int: ...
    @property
    def k(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def optimal_value(self) -> float: ...
    @property
    def primal_value(self) -> float: ...
    @property
    def r(self) -> int: ...
    @property
    def rY(self) -> int: ...
    @property
    def rank_tolerance(self) -> float: ...
    @property
    def recovery_error(self) -> float: ...
    @property
    def relative_gap(self) -> float: ...
    @property
    def s(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]: ...
    @property
    def status(self) -> str: ...
    @property
    def weights(self) -> list[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]]: ...

class ReluGdResult:
    """
    Result of relu_gd (the core's relu::GdResult), read-only.
    """
    @property
    def W(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def diverged(self) -> typing.Annotated[numpy.typing.NDArray[numpy.bool], "[m, 1]"]: ...
    @property
    def diverged_at(self) -> typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, 1]"]: ...
    @property
    def iterations(self) -> typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, 1]"]: ...
    @property
    def kernel(self) -> str: ...
    @property
    def recovery_error(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"] | None: ...
    @property
    def test_loss(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"] | None: ...
    @property
    def train_loss(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...

class ReluNewtonResult:
    """
    Result of relu_newton (the core's relu::NewtonResult), read-only.
    """
    @property
    def converged(self) -> bool: ...
    @property
    def dual_bound(self) -> float: ...
    @property
    def duality_gap(self) -> float: ...
    @property
    def gradient_norm(self) -> float: ...
    @property
    def history(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]: ...
    @property
    def iterations(self) -> int: ...
    @property
    def loss(self) -> float: ...
    @property
    def relaxed_loss(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def tolerance(self) -> float: ...
    @property
    def w(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]: ...

class GramMatrixResult:
    """
    Result of gram_matrix: K and the core's side information.
    """
    @property
    def K(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        K^(H) (n, n), or K^(0..H) stacked (H + 1, n, n).
        """
    @property
    def b(self) -> list[list[float]]:
        """
        ResNet b^(h) vectors, h = 1..H-1 (entry 0 empty); FC: [].
        """
    @property
    def diag(self) -> list[list[float]]:
        """
        diag[h][i] = K^(h)_ii, h = 0..H.
        """
    @property
    def table_attempts(self) -> list[float]:
        """
        Measured error of every table built (kept or not).
        """
    @property
    def table_errors(self) -> list[float]:
        """
        Measured maximum error of every table in use.
        """
    @property
    def table_evaluations(self) -> int:
        """
        Function evaluations spent building tables.
        """
    @property
    def threads(self) -> int:
        """
        Threads used.
        """

class GramNtkResult:
    """
    Result of gram_ntk: NNGP, NTK and Du's K^(H).
    """
    @property
    def K(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        Sigma^(H-1) o Sdot^(H) (n, n).
        """
    @property
    def nngp(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        Sigma^(H) (n, n).
        """
    @property
    def ntk(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        Theta^(H) (n, n).
        """
    @property
    def threads(self) -> int:
        """
        Threads used.
        """

class GramTiles:
    """
    Blocks of one lens-3 kernel K(X, X2), bit-identical to the dense matrix. See convexify.gram.TileKernel.
    """
    def __init__(
        self,
        X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        X2: typing.Any,
        depth: typing.SupportsInt,
        activation: str,
        arch: str,
        c_res: typing.SupportsFloat,
        quadrature_order: typing.SupportsInt,
        method: str,
        kernel: str,
    ) -> None: ...
    def block(
        self,
        i0: typing.SupportsInt,
        i1: typing.SupportsInt,
        j0: typing.SupportsInt,
        j1: typing.SupportsInt,
        threads: typing.SupportsInt = 1,
        every_output: bool = False,
    ) -> typing.Any:
        """
        K[i0:i1, j0:j1] (a new array); with every_output, the tuple (NNGP, NTK, K) of an NTK kernel.
        """
    def columns(
        self, idx: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        K[:, idx] (n, len(idx)).
        """
    def diag(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The diagonal K_ii of K(X, X).
        """
    def matrix(self, every_output: bool = False) -> typing.Any:
        """
        The whole K (n, n2), threaded; with every_output, the tuple (NNGP, NTK, K) of an NTK kernel.
        """
    @property
    def shape(self) -> tuple:
        """
        (n, n2).
        """
    @property
    def symmetric(self) -> bool:
        """
        True for K(X, X).
        """

class BranchesLossGradient:
    """
    R(theta) and its a.e. gradient (read-only; see docs/branches.md#model).
    """
    @property
    def grad_U(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        dR/dU, shape (P, d).
        """
    @property
    def grad_a(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
        """
        dR/da, shape (P,).
        """
    @property
    def loss(self) -> float:
        """
        R(theta) = mean_j l(y_j f(x_j) / tau).
        """

class BranchesOracleResult:
    """
    Heuristic neuron-oracle result (read-only; see docs/branches.md#bracket).
    """
    @property
    def start_u(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        Best unit vector per start, shape (S, d).
        """
    @property
    def start_values(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
        """
        Best value per start, shape (S,).
        """
    @property
    def u(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
        """
        Its maximiser, shape (d,) (0 if no start gave a value > 0).
        """
    @property
    def value(self) -> float:
        """
        Best value over all starts, a lower bound on M+(c).
        """

def branches_forward(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    a: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    n_branches: typing.SupportsInt | typing.SupportsIndex,
) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    f(x_j) = (1/I) sum_k a_k relu(u_k . x_j) for units U (P, d), a (P,), shape (n,).
    """

def branches_loss_gradient(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    a: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    n_branches: typing.SupportsInt | typing.SupportsIndex,
    tau: typing.SupportsFloat | typing.SupportsIndex,
    loss: str,
) -> BranchesLossGradient:
    """
    BranchesLossGradient (loss, grad_U, grad_a) for loss 'hinge' (tau-hinge) or 'squared_hinge'.
    """

def branches_neuron_oracle(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    c: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    starts: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    iterations: typing.SupportsInt | typing.SupportsIndex,
) -> BranchesOracleResult:
    """
    Heuristic lower bound on M+(c) = max_{||u||<=1} sum_j c_j relu(u . x_j): BranchesOracleResult (value, u, start_values, start_u).
    """

def branches_surface(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    a0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    a1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    a2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    alphas: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    betas: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    n_branches: typing.SupportsInt | typing.SupportsIndex,
    tau: typing.SupportsFloat | typing.SupportsIndex,
    loss: str,
) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    S[i, j] = R(theta0 + alphas[i] d1 + betas[j] d2), shape (len(alphas), len(betas)).
    """

def branches_surface_multimargin(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    labels: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    A0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    A1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    A2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    alphas: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    betas: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    n_branches: typing.SupportsInt | typing.SupportsIndex,
) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    Multi-class margin loss on the plane: S[i, j] for output weights A (P, C) and labels in [0, C).
    """

def cuda_device_count() -> int:
    """
    Number of usable CUDA devices (0: CUDA was not compiled in).
    """

def cuda_device_names() -> list[str]:
    """
    Names of the visible CUDA devices.
    """

def cuda_unavailable_reason() -> str:
    """
    Why no CUDA device is usable.
    """

def gram_c_sigma(activation: str) -> float:
    """
    c_sigma = 1 / E[sigma(z)^2], z ~ N(0, 1).
    """

def gram_gauss_hermite(q: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    """
    Probabilists' Gauss-Hermite nodes and weights (weights sum to 1).
    """

def gram_matrix(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    depth: typing.SupportsInt | typing.SupportsIndex,
    activation: str,
    arch: str,
    c_res: typing.SupportsFloat | typing.SupportsIndex,
    quadrature_order: typing.SupportsInt | typing.SupportsIndex,
    return_all: bool,
    method: str = "auto",
    out: typing.Any = None,
) -> GramMatrixResult:
    """
    Du et al. K^(H) (or K^(0..H) stacked) of X (n, d) as a GramMatrixResult. out, if given, is the output array ((n, n), or (depth+1, n, n) with return_all), written in place and returned as K. See convexify.gram.gram_matrix.
    """

def gram_ntk(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    depth: typing.SupportsInt | typing.SupportsIndex,
    activation: str,
    quadrature_order: typing.SupportsInt | typing.SupportsIndex,
) -> GramNtkResult:
    """
    NNGP Sigma^(H), NTK Theta^(H) and K = Sigma^(H-1) o Sdot^(H) of the depth-H FC network as a GramNtkResult. See convexify.gram.ntk.
    """

def linear_dual_objective(
    Lambda: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    Y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    gamma: typing.SupportsFloat | typing.SupportsIndex,
    k: typing.SupportsInt | typing.SupportsIndex,
) -> float:
    """
    Dual objective (survey eq. 3-4); raises ValueError if infeasible.
    """

def linear_primal_objective(
    weights: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"]],
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    Y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    gamma: typing.SupportsFloat | typing.SupportsIndex,
) -> float:
    """
    Literal factorised primal objective (survey eq. 2).
    """

def linear_prox_topk(
    v: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    k: typing.SupportsInt | typing.SupportsIndex,
    t: typing.SupportsFloat | typing.SupportsIndex,
) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    prox of (t/2) * (sum of the k largest squares) by PAV (docs/linear.md#dr).
    """

def linear_solve(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    Y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    widths: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex],
    gamma: typing.SupportsFloat | typing.SupportsIndex,
    method: str,
    t: typing.SupportsFloat | typing.SupportsIndex,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    max_iter: typing.SupportsInt | typing.SupportsIndex,
    z0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None,
    record_history: bool,
    form: str = "reduced",
) -> LinearSolveResult:
    """
    Lens 1 solve: method 'dr' (Douglas-Rachford on the reduced dual, form 'reduced' or 'diagonal') or 'closed'; returns a LinearSolveResult (docs/linear.md#outputs).
    """

def num_threads() -> int:
    """
    Threads the parallel loops of the core may use.
    """

@typing.overload
def relu_gd(
    X: numpy.typing.NDArray[numpy.float64],
    Y: numpy.typing.NDArray[numpy.float64],
    W0: numpy.typing.NDArray[numpy.float64],
    step: typing.SupportsFloat | typing.SupportsIndex,
    iters: typing.SupportsInt | typing.SupportsIndex,
    relaxed: bool,
    strict: bool,
    record_every: typing.SupportsInt | typing.SupportsIndex,
    X_test: numpy.typing.NDArray[numpy.float64] | None = None,
    Y_test: numpy.typing.NDArray[numpy.float64] | None = None,
    w_star: numpy.typing.NDArray[numpy.float64] | None = None,
    kernel: str = "auto",
    blowup: typing.SupportsFloat | typing.SupportsIndex = 1e30,
) -> ReluGdResult:
    """
    Batched gradient descent (docs/relu.md#gd); kernel: 'auto', 'fused' or 'gemm'.
    """

@typing.overload
def relu_gd(
    X: numpy.typing.NDArray[numpy.float32],
    Y: numpy.typing.NDArray[numpy.float32],
    W0: numpy.typing.NDArray[numpy.float64],
    step: typing.SupportsFloat | typing.SupportsIndex,
    iters: typing.SupportsInt | typing.SupportsIndex,
    relaxed: bool,
    strict: bool,
    record_every: typing.SupportsInt | typing.SupportsIndex,
    X_test: numpy.typing.NDArray[numpy.float32] | None = None,
    Y_test: numpy.typing.NDArray[numpy.float32] | None = None,
    w_star: numpy.typing.NDArray[numpy.float64] | None = None,
    kernel: str = "auto",
    blowup: typing.SupportsFloat | typing.SupportsIndex = 1e30,
) -> ReluGdResult:
    """
    Batched gradient descent (docs/relu.md#gd); kernel: 'auto', 'fused' or 'gemm'.
    """

@typing.overload
def relu_losses(
    X: numpy.typing.NDArray[numpy.float64],
    Y: numpy.typing.NDArray[numpy.float64],
    W: numpy.typing.NDArray[numpy.float64],
    gradient: bool,
    relaxed: bool,
    strict: bool,
) -> tuple:
    """
    (L, L_r, 2 X^T[m o (relu(XW^T) - Y)] or None) for every row of W (docs/relu.md#losses).
    """

@typing.overload
def relu_losses(
    X: numpy.typing.NDArray[numpy.float32],
    Y: numpy.typing.NDArray[numpy.float32],
    W: numpy.typing.NDArray[numpy.float64],
    gradient: bool,
    relaxed: bool,
    strict: bool,
) -> tuple:
    """
    (L, L_r, 2 X^T[m o (relu(XW^T) - Y)] or None) for every row of W (docs/relu.md#losses).
    """

def relu_newton(
    X: numpy.typing.NDArray[numpy.float64],
    y: numpy.typing.NDArray[numpy.float64],
    w0: numpy.typing.NDArray[numpy.float64],
    tol: typing.SupportsFloat | typing.SupportsIndex,
    max_iter: typing.SupportsInt | typing.SupportsIndex,
) -> ReluNewtonResult:
    """
    Semismooth Newton for min L_r (docs/relu.md#newton).
    """

@typing.overload
def relu_power_lambda(
    X: numpy.typing.NDArray[numpy.float64], iters: typing.SupportsInt | typing.SupportsIndex
) -> float:
    """
    lambda_max(X^T X) by power iteration (GEMV only), scaled internally; inf/0 when out of range.
    """

@typing.overload
def relu_power_lambda(
    X: numpy.typing.NDArray[numpy.float32], iters: typing.SupportsInt | typing.SupportsIndex
) -> float:
    """
    lambda_max(X^T X) by power iteration (GEMV only), scaled internally; inf/0 when out of range.
    """

@typing.overload
def relu_power_lambda_scaled(
    X: numpy.typing.NDArray[numpy.float64], iters: typing.SupportsInt | typing.SupportsIndex
) -> tuple:
    """
    (lam, e) with lambda_max(X^T X) = lam * 4**e, the power iteration on X / 2**e (docs/relu.md#scales).
    """

@typing.overload
def relu_power_lambda_scaled(
    X: numpy.typing.NDArray[numpy.float32], iters: typing.SupportsInt | typing.SupportsIndex
) -> tuple:
    """
    (lam, e) with lambda_max(X^T X) = lam * 4**e, the power iteration on X / 2**e (docs/relu.md#scales).
    """

def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Set the number of threads of the core's parallel loops (n >= 1).
    """

def simd_level() -> str:
    """
    Instruction-set level this module was compiled for: 'baseline', 'avx2' or 'avx512'.
    """

build_info: dict = {
    "version": "0.1.0",
    "build_type": "Release",
    "cxx_flags": " -O3 -DNDEBUG",
    "isa": "avx2",
    "march": "-march=x86-64-v3 -mtune=generic",
    "compiler": "GNU 12.2.0",
    "eigen_version": "3.4.1",
    "eigen_simd": "AVX SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2",
    "openmp": True,
    "cuda_compiled": False,
}

# Bound only when the package was built with CUDA (CONVEXIFY_CUDA=AUTO finds nvcc, or ON).
@typing.overload
def gram_matrix_cuda(
    X: numpy.typing.NDArray[numpy.float64],
    depth: typing.SupportsInt,
    activation: str,
    arch: str,
    c_res: typing.SupportsFloat,
) -> numpy.typing.NDArray[numpy.float64]:
    """K^(H) on the GPU (ReLU/erf, FC/ResNet); see docs/gram.md#fc."""

@typing.overload
def gram_matrix_cuda(
    X: numpy.typing.NDArray[numpy.float32],
    depth: typing.SupportsInt,
    activation: str,
    arch: str,
    c_res: typing.SupportsFloat,
) -> numpy.typing.NDArray[numpy.float32]: ...
@typing.overload
def relu_gd_cuda(
    X: numpy.typing.NDArray[numpy.float64],
    Y: numpy.typing.NDArray[numpy.float64],
    W0: numpy.typing.NDArray[numpy.float64],
    grad_scale: typing.SupportsFloat,
    iters: typing.SupportsInt,
    relaxed: bool,
    strict: bool,
    record_every: typing.SupportsInt,
    X_test: numpy.typing.NDArray[numpy.float64] | None,
    Y_test: numpy.typing.NDArray[numpy.float64] | None,
    w_star: numpy.typing.NDArray[numpy.float64] | None,
) -> tuple:
    """Batched ReLU GD on the GPU; see docs/relu.md#gd."""

@typing.overload
def relu_gd_cuda(
    X: numpy.typing.NDArray[numpy.float32],
    Y: numpy.typing.NDArray[numpy.float32],
    W0: numpy.typing.NDArray[numpy.float32],
    grad_scale: typing.SupportsFloat,
    iters: typing.SupportsInt,
    relaxed: bool,
    strict: bool,
    record_every: typing.SupportsInt,
    X_test: numpy.typing.NDArray[numpy.float32] | None,
    Y_test: numpy.typing.NDArray[numpy.float32] | None,
    w_star: numpy.typing.NDArray[numpy.float32] | None,
) -> tuple: ...

class ConvexNNGatedResult:
    @property
    def U(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def converged(self) -> bool: ...
    @property
    def dual(self) -> float: ...
    @property
    def gap(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def primal(self) -> float: ...

class ConvexNNReluResult:
    @property
    def V(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def W(self) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]: ...
    @property
    def cone_violation(self) -> float: ...
    @property
    def converged(self) -> bool: ...
    @property
    def dual(self) -> float: ...
    @property
    def gap(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def primal(self) -> float: ...

def convex_nn_gated_certificate(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    masks: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    lam: typing.SupportsFloat | typing.SupportsIndex,
    loss: str,
    huber_delta: typing.SupportsFloat | typing.SupportsIndex = 1.0,
) -> tuple[float, float]:
    """
    (primal, dual) of U for the gated program, the dual by scaling grad L into the feasible set.
    """

def convex_nn_solve_gated(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    masks: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    U0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    lam: typing.SupportsFloat | typing.SupportsIndex,
    loss: str,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    max_iter: typing.SupportsInt | typing.SupportsIndex,
    huber_delta: typing.SupportsFloat | typing.SupportsIndex = 1.0,
) -> ConvexNNGatedResult:
    """
    FISTA for the gated convex program; returns U (P, d), primal, dual, gap, n_iter, converged.
    """

def convex_nn_solve_relu(
    X: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    masks: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    lam: typing.SupportsFloat | typing.SupportsIndex,
    loss: str,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    max_iter: typing.SupportsInt | typing.SupportsIndex,
    huber_delta: typing.SupportsFloat | typing.SupportsIndex = 1.0,
) -> ConvexNNReluResult:
    """
    ADMM for the ReLU (cone-constrained) convex program; returns V, W (P, d), primal (of the ReLU network), dual, gap, cone_violation, n_iter, converged.
    """
