// CUDA version of batched ReLU gradient descent (docs/relu.md#gd): per iteration two tiled products with X and one
// fused mask/residual kernel; X, Y, W stay on the device for the whole run, only the histories come back.
#include <cmath>
#include <stdexcept>
#include <vector>

#include "convexify/cuda.hpp"
#include "cuda_check.cuh"

namespace convexify::cuda {

namespace {

using detail::blocks_for;
using detail::check;
using detail::DeviceBuffer;

constexpr int kTile = 16;

// C (M x N) = A (M x K) * B (N x K)^T, all row-major.
template <typename T>
__global__ void gemm_nt(const T* A, const T* B, T* C, long M, long N, long K) {
  __shared__ T As[kTile][kTile + 1];
  __shared__ T Bs[kTile][kTile + 1];
  const long row = static_cast<long>(blockIdx.y) * kTile + threadIdx.y;
  const long col = static_cast<long>(blockIdx.x) * kTile + threadIdx.x;
  const long brow = static_cast<long>(blockIdx.x) * kTile + threadIdx.y;
  T acc = 0;
  for (long k0 = 0; k0 < K; k0 += kTile) {
    As[threadIdx.y][threadIdx.x] = (row < M && k0 + threadIdx.x < K) ? A[row * K + k0 + threadIdx.x] : T(0);
    Bs[threadIdx.y][threadIdx.x] = (brow < N && k0 + threadIdx.x < K) ? B[brow * K + k0 + threadIdx.x] : T(0);
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += As[threadIdx.y][k] * Bs[threadIdx.x][k];
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}

// C (M x N) = A (K x M)^T * B (K x N), all row-major.
template <typename T>
__global__ void gemm_tn(const T* A, const T* B, T* C, long M, long N, long K) {
  __shared__ T As[kTile][kTile + 1];
  __shared__ T Bs[kTile][kTile + 1];
  const long row = static_cast<long>(blockIdx.y) * kTile + threadIdx.y;
  const long col = static_cast<long>(blockIdx.x) * kTile + threadIdx.x;
  const long arow = static_cast<long>(blockIdx.y) * kTile + threadIdx.x;
  T acc = 0;
  for (long k0 = 0; k0 < K; k0 += kTile) {
    const long k = k0 + threadIdx.y;
    As[threadIdx.y][threadIdx.x] = (k < K && arow < M) ? A[k * M + arow] : T(0);
    Bs[threadIdx.y][threadIdx.x] = (k < K && col < N) ? B[k * N + col] : T(0);
    __syncthreads();
    for (int kk = 0; kk < kTile; ++kk) acc += As[kk][threadIdx.y] * Bs[kk][threadIdx.x];
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}

// R = relu(Z) - Y, masked by 1[Z >= 0] (strict: 1[Z > 0]) for vanilla GD; written over Z.
template <typename T>
__global__ void residual(T* Z, const T* Y, long count, bool relaxed, bool strict) {
  const long idx = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (idx >= count) return;
  const T z = Z[idx];
  T r = (z > T(0) ? z : T(0)) - Y[idx];
  if (!relaxed && !(strict ? z > T(0) : z >= T(0))) r = T(0);
  Z[idx] = r;
}

// Per-column sum of (relu(Z) - Y)^2 in a fixed order (one block per column, tree reduction).
template <typename T>
__global__ void column_loss(const T* Z, const T* Y, long n, long B, double* out) {
  __shared__ double part[256];
  const long b = blockIdx.x;
  double s = 0;
  for (long k = threadIdx.x; k < n; k += blockDim.x) {
    const T z = Z[k * B + b];
    const double r = double(z > T(0) ? z : T(0)) - double(Y[k * B + b]);
    s += r * r;
  }
  part[threadIdx.x] = s;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) part[threadIdx.x] += part[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[b] = part[0];
}

// ||W_b - w*_b|| / ||w*_b|| per row (w_star is (B, d)).
template <typename T>
__global__ void recovery(const T* W, const T* w_star, long B, long d, double* out) {
  const long b = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (b >= B) return;
  double num = 0, den = 0;
  for (long j = 0; j < d; ++j) {
    const double e = double(W[b * d + j]) - double(w_star[b * d + j]);
    num += e * e;
    den += double(w_star[b * d + j]) * double(w_star[b * d + j]);
  }
  out[b] = den > 0 ? sqrt(num / den) : sqrt(num);
}

template <typename T>
__global__ void axpy_update(T* W, const T* G, long count, T scale) {
  const long idx = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (idx < count) W[idx] -= scale * G[idx];
}

}  // namespace

template <typename T>
long relu_gd(const ReluGDArgs& args, const T* X, const T* Y, T* W, const T* X_test, const T* Y_test,
             const T* w_star, double* train_hist, double* test_hist, double* recovery_hist) {
  const long n = args.n, d = args.d, B = args.B;
  if (n <= 0 || d <= 0 || B <= 0) throw std::invalid_argument("X and W0 must be non-empty");
  if (args.iters < 0) throw std::invalid_argument("iters must be >= 0");
  if (args.record_every < 1) throw std::invalid_argument("record_every must be >= 1");
  DeviceBuffer<T> dX(n * d), dY(n * B), dW(B * d), dZ(n * B), dG(B * d);
  DeviceBuffer<double> dloss(B), drec(B);
  dX.upload(X);
  dY.upload(Y);
  dW.upload(W);
  const bool with_test = X_test != nullptr && Y_test != nullptr && args.n_test > 0;
  DeviceBuffer<T> dXt(with_test ? args.n_test * d : 1), dYt(with_test ? args.n_test * B : 1),
      dZt(with_test ? args.n_test * B : 1);
  if (with_test) {
    dXt.upload(X_test);
    dYt.upload(Y_test);
  }
  DeviceBuffer<T> dws(w_star ? B * d : 1);
  if (w_star) dws.upload(w_star);

  const dim3 block(kTile, kTile);
  const dim3 grid_z(blocks_for(B, kTile), blocks_for(n, kTile));
  const dim3 grid_g(blocks_for(d, kTile), blocks_for(B, kTile));
  long rows = 0;
  std::vector<double> host(B);
  for (long it = 0; it <= args.iters; ++it) {
    const bool record = (it % args.record_every == 0);
    gemm_nt<T><<<grid_z, block>>>(dX.get(), dW.get(), dZ.get(), n, B, d);
    if (record) {
      column_loss<T><<<static_cast<unsigned>(B), 256>>>(dZ.get(), dY.get(), n, B, dloss.get());
      dloss.download(host.data());
      std::copy(host.begin(), host.end(), train_hist + rows * B);
      if (with_test) {
        const dim3 grid_t(blocks_for(B, kTile), blocks_for(args.n_test, kTile));
        gemm_nt<T><<<grid_t, block>>>(dXt.get(), dW.get(), dZt.get(), args.n_test, B, d);
        column_loss<T><<<static_cast<unsigned>(B), 256>>>(dZt.get(), dYt.get(), args.n_test, B, dloss.get());
        dloss.download(host.data());
        std::copy(host.begin(), host.end(), test_hist + rows * B);
      }
      if (w_star) {
        recovery<T><<<blocks_for(B, 128), 128>>>(dW.get(), dws.get(), B, d, drec.get());
        drec.download(host.data());
        std::copy(host.begin(), host.end(), recovery_hist + rows * B);
      }
      ++rows;
    }
    if (it == args.iters) break;
    residual<T><<<blocks_for(n * B, 256), 256>>>(dZ.get(), dY.get(), n * B, args.relaxed, args.strict);
    gemm_tn<T><<<grid_g, block>>>(dZ.get(), dX.get(), dG.get(), B, d, n);
    axpy_update<T><<<blocks_for(B * d, 256), 256>>>(dW.get(), dG.get(), B * d, T(args.grad_scale));
  }
  check(cudaGetLastError(), "relu_gd");
  check(cudaDeviceSynchronize(), "relu_gd");
  dW.download(W);
  return rows;
}

template long relu_gd<double>(const ReluGDArgs&, const double*, const double*, double*, const double*,
                              const double*, const double*, double*, double*, double*);
template long relu_gd<float>(const ReluGDArgs&, const float*, const float*, float*, const float*,
                             const float*, const float*, double*, double*, double*);

}  // namespace convexify::cuda
