// Optional CUDA kernels (built with -DCONVEXIFY_CUDA=AUTO|ON when nvcc is found).  Plain C++ interface:
// host pointers in, host pointers out; device memory is managed inside each call, and the data stay on the
// device for the whole computation (only histories come back).  Every function throws std::runtime_error
// with the CUDA error string when the device fails, std::invalid_argument for bad arguments.
#pragma once

#include <string>
#include <vector>

namespace convexify::cuda {

// Number of usable CUDA devices (0 when no driver or GPU is present; never throws).
int device_count();
// Names of the visible devices.
std::vector<std::string> device_names();
// Why no device is usable ("" when one is): the CUDA runtime's error string.
std::string unavailable_reason();

enum class GramActivation { relu = 0, erf = 1 };
enum class GramArch { fc = 0, resnet = 1 };

// K^(H) of Du et al. (docs/gram.md#fc, docs/gram.md#resnet; corrected last layer) for X row-major (n, d); out row-major (n, n),
// computed on the upper triangle with all layers in registers (one thread per pair) and mirrored.
// ReLU FC uses the angle form (docs/gram.md#closed-forms); ReLU ResNet and erf the closed forms of docs/gram.md#closed-forms.
template <typename T>
void gram_matrix(const T* X, long n, long d, int depth, GramActivation act, GramArch arch, double c_res,
                 T* out);

// Batched full-batch GD on the single-neuron losses (docs/relu.md#gd), B trajectories sharing X (n, d) row-major.
//   Z = X W^T, R = relu(Z) - Y (Y is (n, B) row-major), vanilla: R *= 1[Z >= 0] (strict: 1[Z > 0]),
//   W <- W - grad_scale * R^T X.
// W (B, d) row-major is updated in place.  Histories are written for the recorded iterations
// k = 0, record_every, 2 record_every, ... <= iters into arrays of shape (T, B) row-major: train (sum of
// squares of relu(Z) - Y), test (same on X_test/Y_test, when X_test != nullptr) and recovery
// ||w_b - w*_b|| / ||w*_b|| (w_star is (B, d), when not nullptr).  Returns the number of recorded rows T.
struct ReluGDArgs {
  long n = 0, d = 0, B = 0, iters = 0, record_every = 1;
  long n_test = 0;
  double grad_scale = 0.0;
  bool relaxed = false;
  bool strict = false;
};
template <typename T>
long relu_gd(const ReluGDArgs& args, const T* X, const T* Y, T* W, const T* X_test, const T* Y_test,
             const T* w_star, double* train_hist, double* test_hist, double* recovery_hist);

}  // namespace convexify::cuda
