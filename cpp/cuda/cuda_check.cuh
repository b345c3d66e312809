// Error handling and RAII device buffers shared by the CUDA kernel files.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace convexify::cuda::detail {

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(err));
  }
}

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t count) : count_(count) {
    if (count_) check(cudaMalloc(&ptr_, count_ * sizeof(T)), "cudaMalloc");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  T* get() const { return ptr_; }
  void upload(const T* host) {
    check(cudaMemcpy(ptr_, host, count_ * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  void download(T* host) const {
    check(cudaMemcpy(host, ptr_, count_ * sizeof(T), cudaMemcpyDeviceToHost), "download");
  }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

inline unsigned blocks_for(long work, int threads) {
  return static_cast<unsigned>((work + threads - 1) / threads);
}

}  // namespace convexify::cuda::detail
