#include "convexify/simd.hpp"

#include <atomic>

#include "convexify/checks.hpp"

namespace convexify {

namespace {

Simd detect() {
#ifdef CONVEXIFY_X86_DISPATCH
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  if (avx512) return Simd::avx512;
  if (avx2) return Simd::avx2;
#endif
  return Simd::generic;
}

std::atomic<int> g_level{-1};  // -1: not set, use simd_supported()

}  // namespace

Simd simd_supported() {
  static const Simd level = detect();
  return level;
}

Simd simd_level() {
  const int v = g_level.load(std::memory_order_relaxed);
  return v < 0 ? simd_supported() : static_cast<Simd>(v);
}

void set_simd_level(Simd level) {
  require(static_cast<int>(level) <= static_cast<int>(simd_supported()),
          std::string("level: this CPU supports SIMD level '") + simd_name(simd_supported()) +
              "' at most, not '" + simd_name(level) + "'");
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

const char* simd_name(Simd level) {
  switch (level) {
    case Simd::avx512:
      return "avx512";
    case Simd::avx2:
      return "avx2";
    default:
      return "generic";
  }
}

Simd simd_from_name(const std::string& name) {
  if (name == "generic") return Simd::generic;
  if (name == "avx2") return Simd::avx2;
  if (name == "avx512") return Simd::avx512;
  require(false, "level must be 'generic', 'avx2' or 'avx512', got '" + name + "'");
  return Simd::generic;
}

}  // namespace convexify
