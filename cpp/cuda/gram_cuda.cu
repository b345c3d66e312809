// CUDA version of the fused Gram recursion (docs/gram.md#fc, #resnet, #closed-forms, #performance): one thread per (i, j) pair of the
// upper triangle, all layers in registers, per-point side vectors (norms, diagonals, b, mu) precomputed in
// O(n H).
#include <cmath>
#include <stdexcept>

#include "convexify/cuda.hpp"
#include "cuda_check.cuh"

namespace convexify::cuda {

namespace {

using detail::blocks_for;
using detail::check;
using detail::DeviceBuffer;

constexpr int kTile = 16;
constexpr double kPi = 3.14159265358979323846;

template <typename T>
struct Act {
  GramActivation act;
  T c_sigma;
  // E[sigma(u) sigma(v)] for (u, v) ~ N(0, [[a, c], [c, b]]).
  __device__ T ss(T a, T b, T c) const {
    if (act == GramActivation::relu) {
      const T s = sqrt(a * b);
      if (s <= T(0)) return T(0);
      const T rho = fmin(T(1), fmax(T(-1), c / s));
      const T th = acos(rho);
      return s / T(2 * kPi) * (sin(th) + (T(kPi) - th) * cos(th));
    }
    const T arg = T(2) * c / sqrt((T(1) + T(2) * a) * (T(1) + T(2) * b));
    return T(2 / kPi) * asin(fmin(T(1), fmax(T(-1), arg)));
  }
  // E[sigma'(u) sigma'(v)].
  __device__ T dd(T a, T b, T c) const {
    if (act == GramActivation::relu) {
      const T s = sqrt(a * b);
      if (s <= T(0)) return T(0.25);
      const T rho = fmin(T(1), fmax(T(-1), c / s));
      return (T(kPi) - acos(rho)) / T(2 * kPi);
    }
    const T det = fmax((T(1) + T(2) * a) * (T(1) + T(2) * b) - T(4) * c * c, T(0));
    return T(4 / kPi) / sqrt(det);
  }
  // E[sigma(u)] for u ~ N(0, a).
  __device__ T mean(T a) const { return act == GramActivation::relu ? sqrt(a / T(2 * kPi)) : T(0); }
};

// sin t - t cos t without cancellation for small t (docs/gram.md#closed-forms).
template <typename T>
__device__ T sin_minus_t_cos(T t) {
  if (t < T(1e-2)) {
    const T t2 = t * t;
    return t * t2 * (T(1) / T(3) - t2 * (T(1) / T(30) - t2 / T(840)));
  }
  return sin(t) - t * cos(t);
}

// One ReLU layer in angle form (docs/gram.md#closed-forms).
template <typename T>
__device__ T relu_angle_step(T th) {
  const T sh = sin(th / T(2));
  const T one_minus_cos = (T(2 * kPi) * sh * sh - sin_minus_t_cos(th)) / T(kPi);
  return T(2) * asin(sqrt(fmax(one_minus_cos, T(0)) / T(2)));
}

// Per-point side vectors: norms, and for ResNet the diagonals K^(h)_ii, b^(h)_i, mu_i(K^(h)), h = 0..H-1.
template <typename T>
__global__ void side_vectors(const T* X, long n, long d, int depth, Act<T> act, GramArch arch, T r, T* nrm,
                             T* diag, T* bvec, T* mu) {
  const long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  T s = 0;
  for (long k = 0; k < d; ++k) s += X[i * d + k] * X[i * d + k];
  nrm[i] = sqrt(s);
  if (arch != GramArch::resnet) return;
  T a = s;
  diag[i] = a;
  bvec[i] = 0;
  mu[i] = act.mean(a);
  T b = sqrt(act.c_sigma) * act.mean(a);
  a = act.c_sigma * act.ss(a, a, a);
  for (int h = 1; h < depth; ++h) {
    diag[h * n + i] = a;
    bvec[h * n + i] = b;
    const T m = act.mean(a);
    mu[h * n + i] = m;
    if (h + 1 < depth) {
      const T next = a + r * (T(2) * b * m) + r * r * act.ss(a, a, a);
      b = b + r * m;
      a = next;
    }
  }
}

template <typename T>
__global__ void gram_pairs(const T* X, long n, long d, int depth, Act<T> act, GramArch arch, T r,
                           const T* nrm, const T* diag, const T* bvec, const T* mu, T* out) {
  if (blockIdx.x < blockIdx.y) return;  // upper triangle of tiles only (whole block leaves together)
  __shared__ T As[kTile][kTile + 1];
  __shared__ T Bs[kTile][kTile + 1];
  const long i0 = static_cast<long>(blockIdx.y) * kTile, j0 = static_cast<long>(blockIdx.x) * kTile;
  const long i = i0 + threadIdx.y, j = j0 + threadIdx.x;
  const bool fc_relu = (arch == GramArch::fc && act.act == GramActivation::relu);
  T dot = 0, diff2 = 0, sum2 = 0;
  const T inv_i = (i < n && nrm[i] > T(0)) ? T(1) / nrm[i] : T(0);
  const T inv_j = (j < n && nrm[j] > T(0)) ? T(1) / nrm[j] : T(0);
  for (long k0 = 0; k0 < d; k0 += kTile) {
    const long ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    const long ra = i0 + threadIdx.y, rb = j0 + threadIdx.x;
    As[threadIdx.y][threadIdx.x] = (ra < n && ka < d) ? X[ra * d + ka] : T(0);
    Bs[threadIdx.x][threadIdx.y] = (rb < n && kb < d) ? X[rb * d + kb] : T(0);
    __syncthreads();
    const int kmax = static_cast<int>(d - k0 < kTile ? d - k0 : kTile);
    for (int k = 0; k < kmax; ++k) {
      const T xa = As[threadIdx.y][k], xb = Bs[threadIdx.x][k];
      dot += xa * xb;
      if (fc_relu) {
        const T u = xa * inv_i, v = xb * inv_j;
        diff2 += (u - v) * (u - v);
        sum2 += (u + v) * (u + v);
      }
    }
    __syncthreads();
  }
  if (i >= n || j >= n || j < i) return;

  T k_out;
  if (fc_relu) {
    // Angle form: theta^(0) by acos only away from +-1, else 2 atan2(|xh_i - xh_j|, |xh_i + xh_j|).
    const T scale = nrm[i] * nrm[j];
    T th = T(0);
    if (i != j) {
      const T c = dot / scale;
      th = (fabs(c) <= T(0.9)) ? acos(c) : T(2) * atan2(sqrt(diff2), sqrt(sum2));
    }
    T k_prev = (depth == 1) ? dot : scale * cos(th);
    for (int h = 1; h < depth; ++h) {
      th = relu_angle_step(th);
      k_prev = scale * cos(th);
    }
    if (i == j) k_prev = scale;
    k_out = k_prev * (T(kPi) - th) / T(kPi);
  } else if (arch == GramArch::fc) {
    T a = nrm[i] * nrm[i], b = nrm[j] * nrm[j], c = dot;
    for (int h = 1; h < depth; ++h) {
      const T c_next = act.c_sigma * act.ss(a, b, c);
      a = act.c_sigma * act.ss(a, a, a);
      b = act.c_sigma * act.ss(b, b, b);
      c = c_next;
    }
    k_out = act.c_sigma * c * act.dd(a, b, c);
  } else {
    T c = act.c_sigma * act.ss(diag[i], diag[j], dot);
    for (int h = 2; h < depth; ++h) {
      const long pi = (h - 1) * n + i, pj = (h - 1) * n + j;
      c = c + r * (bvec[pi] * mu[pj] + mu[pi] * bvec[pj]) + r * r * act.ss(diag[pi], diag[pj], c);
    }
    const long pi = (depth - 1) * n + i, pj = (depth - 1) * n + j;
    k_out = r * r * c * act.dd(diag[pi], diag[pj], c);
  }
  out[i * n + j] = k_out;
  out[j * n + i] = k_out;
}

}  // namespace

template <typename T>
void gram_matrix(const T* X, long n, long d, int depth, GramActivation act, GramArch arch, double c_res,
                 T* out) {
  if (n <= 0 || d <= 0) throw std::invalid_argument("X must be non-empty");
  if (depth < 1 || (arch == GramArch::resnet && depth < 2)) throw std::invalid_argument("depth out of range");
  Act<T> a{act, T(act == GramActivation::relu ? 2.0 : kPi / (2.0 * std::asin(2.0 / 3.0)))};
  const T r = T(c_res / depth);
  DeviceBuffer<T> dX(n * d), dK(n * n), dn(n);
  const long side = (arch == GramArch::resnet) ? static_cast<long>(depth) * n : 1;
  DeviceBuffer<T> ddiag(side), db(side), dmu(side);
  dX.upload(X);
  side_vectors<T><<<blocks_for(n, 128), 128>>>(dX.get(), n, d, depth, a, arch, r, dn.get(), ddiag.get(),
                                               db.get(), dmu.get());
  check(cudaGetLastError(), "side_vectors");
  const unsigned tiles = blocks_for(n, kTile);
  gram_pairs<T><<<dim3(tiles, tiles), dim3(kTile, kTile)>>>(dX.get(), n, d, depth, a, arch, r, dn.get(),
                                                            ddiag.get(), db.get(), dmu.get(), dK.get());
  check(cudaGetLastError(), "gram_pairs");
  check(cudaDeviceSynchronize(), "gram_matrix");
  dK.download(out);
}

template void gram_matrix<double>(const double*, long, long, int, GramActivation, GramArch, double, double*);
template void gram_matrix<float>(const float*, long, long, int, GramActivation, GramArch, double, float*);

}  // namespace convexify::cuda
