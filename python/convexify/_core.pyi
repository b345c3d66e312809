# Type stubs for the compiled core convexify._core.  Use the typed API in convexify.* instead: these
# functions take C-contiguous arrays of the exact dtype and re-check everything they are given.
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

build_info: Dict[str, Any]

def num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def simd_level() -> str: ...
def simd_supported() -> str: ...
def set_simd_level(level: str) -> None: ...

# optional CUDA kernels (cuda_* always exist; the kernels only in a CUDA build)
def cuda_device_count() -> int: ...
def cuda_device_names() -> List[str]: ...
def cuda_unavailable_reason() -> str: ...
def gram_matrix_cuda_f64(
    X: NDArray[np.float64], depth: int, activation: int, arch: int, c_res: float
) -> NDArray[np.float64]: ...
def gram_matrix_cuda_f32(
    X: NDArray[np.float32], depth: int, activation: int, arch: int, c_res: float
) -> NDArray[np.float32]: ...
def relu_gd_cuda_f64(
    X: NDArray[np.float64],
    Y: NDArray[np.float64],
    W0: NDArray[np.float64],
    grad_scale: float,
    iters: int,
    relaxed: bool,
    strict: bool,
    record_every: int,
    X_test: Optional[NDArray[np.float64]],
    Y_test: Optional[NDArray[np.float64]],
    w_star: Optional[NDArray[np.float64]],
) -> Tuple[
    NDArray[np.float64], NDArray[np.float64], Optional[NDArray[np.float64]], Optional[NDArray[np.float64]]
]: ...
def relu_gd_cuda_f32(
    X: NDArray[np.float32],
    Y: NDArray[np.float32],
    W0: NDArray[np.float32],
    grad_scale: float,
    iters: int,
    relaxed: bool,
    strict: bool,
    record_every: int,
    X_test: Optional[NDArray[np.float32]],
    Y_test: Optional[NDArray[np.float32]],
    w_star: Optional[NDArray[np.float32]],
) -> Tuple[
    NDArray[np.float32], NDArray[np.float64], Optional[NDArray[np.float64]], Optional[NDArray[np.float64]]
]: ...

# lens: linear

def linear_solve(
    X: np.ndarray,
    Y: np.ndarray,
    widths: List[int],
    gamma: float,
    method: str,
    t: float,
    tol: float,
    max_iter: int,
    z0: Optional[np.ndarray],
    record_history: bool,
    form: str = "reduced",
) -> Dict[str, Any]: ...
def linear_primal_objective(
    weights: List[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float
) -> float: ...
def linear_dual_objective(
    Lambda: np.ndarray, X: np.ndarray, Y: np.ndarray, gamma: float, k: int
) -> float: ...
def linear_prox_topk(v: np.ndarray, k: int, t: float) -> np.ndarray: ...

# lens: relu
# _f64 = float64 X/Y, _f32 = float32 X/Y; weights are always float64 (B, d).

def relu_losses_f64(
    X: npt.NDArray[np.float64],
    Y: npt.NDArray[np.float64],
    W: npt.NDArray[np.float64],
    gradient: bool,
    relaxed: bool,
    strict: bool,
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Optional[npt.NDArray[np.float64]]]: ...
def relu_losses_f32(
    X: npt.NDArray[np.float32],
    Y: npt.NDArray[np.float32],
    W: npt.NDArray[np.float64],
    gradient: bool,
    relaxed: bool,
    strict: bool,
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Optional[npt.NDArray[np.float64]]]: ...
def relu_gd_f64(
    X: npt.NDArray[np.float64],
    Y: npt.NDArray[np.float64],
    W0: npt.NDArray[np.float64],
    step: float,
    iters: int,
    relaxed: bool,
    strict: bool,
    record_every: int,
    X_test: Optional[npt.NDArray[np.float64]] = None,
    Y_test: Optional[npt.NDArray[np.float64]] = None,
    w_star: Optional[npt.NDArray[np.float64]] = None,
    kernel: str = "auto",
    blowup: float = 1e30,
) -> Dict[str, Any]: ...
def relu_gd_f32(
    X: npt.NDArray[np.float32],
    Y: npt.NDArray[np.float32],
    W0: npt.NDArray[np.float64],
    step: float,
    iters: int,
    relaxed: bool,
    strict: bool,
    record_every: int,
    X_test: Optional[npt.NDArray[np.float32]] = None,
    Y_test: Optional[npt.NDArray[np.float32]] = None,
    w_star: Optional[npt.NDArray[np.float64]] = None,
    kernel: str = "auto",
    blowup: float = 1e30,
) -> Dict[str, Any]: ...
def relu_power_lambda_f64(X: npt.NDArray[np.float64], iters: int) -> float: ...
def relu_power_lambda_f32(X: npt.NDArray[np.float32], iters: int) -> float: ...
def relu_newton(
    X: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    w0: npt.NDArray[np.float64],
    tol: float,
    max_iter: int,
) -> Dict[str, Any]: ...

# lens: gram
def gram_matrix(
    X: np.ndarray,
    depth: int,
    activation: str,
    arch: str,
    c_res: float,
    quadrature_order: int,
    return_all: bool,
    tables: int = 1,
    k0: Optional[np.ndarray] = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]: ...
def gram_c_sigma(activation: str) -> float: ...
def gram_gauss_hermite(q: int) -> tuple[np.ndarray, np.ndarray]: ...

# lens: branches
def branches_forward(
    X: NDArray[np.float64], U: NDArray[np.float64], a: NDArray[np.float64], n_branches: int
) -> NDArray[np.float64]: ...
def branches_loss_gradient(
    X: NDArray[np.float64],
    y: NDArray[np.float64],
    U: NDArray[np.float64],
    a: NDArray[np.float64],
    n_branches: int,
    tau: float,
    loss: int,
) -> Tuple[float, NDArray[np.float64], NDArray[np.float64]]: ...
def branches_surface(
    X: NDArray[np.float64],
    y: NDArray[np.float64],
    U0: NDArray[np.float64],
    a0: NDArray[np.float64],
    U1: NDArray[np.float64],
    a1: NDArray[np.float64],
    U2: NDArray[np.float64],
    a2: NDArray[np.float64],
    alphas: NDArray[np.float64],
    betas: NDArray[np.float64],
    n_branches: int,
    tau: float,
    loss: int,
) -> NDArray[np.float64]: ...
def branches_neuron_oracle(
    X: NDArray[np.float64], c: NDArray[np.float64], starts: NDArray[np.float64], iterations: int
) -> Tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
def branches_surface_multimargin(
    X: NDArray[np.float64],
    labels: NDArray[np.float64],
    U0: NDArray[np.float64],
    A0: NDArray[np.float64],
    U1: NDArray[np.float64],
    A1: NDArray[np.float64],
    U2: NDArray[np.float64],
    A2: NDArray[np.float64],
    alphas: NDArray[np.float64],
    betas: NDArray[np.float64],
    n_branches: int,
) -> NDArray[np.float64]: ...
