// Instruction-set level of this build of the core.
//
// The whole core is compiled once per level, each level into its own extension module (CMakeLists.txt,
// docs/performance.md#instruction-set-levels), and convexify/_loader.py imports the widest module the CPU
// supports.  Inside one module the level is a compile-time constant: the hand-vectorised kernels (relu's
// fused gradient kernel) size their register tiles for it, and the compiler's vectoriser and Eigen use the
// same instructions.  There is no run-time dispatch inside a module.
#pragma once

namespace convexify {

enum class Simd : int { generic = 0, avx2 = 1, avx512 = 2 };

// The level the compiler targets in this translation unit (all units of a module share their flags).
#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && \
    defined(__AVX2__) && defined(__FMA__)
inline constexpr Simd kSimd = Simd::avx512;
#elif defined(__AVX2__) && defined(__FMA__)
inline constexpr Simd kSimd = Simd::avx2;
#else
inline constexpr Simd kSimd = Simd::generic;
#endif

// The level of this module (kSimd, for code that does not need it at compile time).
constexpr Simd simd_level() {
  return kSimd;
}
// "baseline", "avx2", "avx512".
constexpr const char* simd_name(Simd level) {
  return level == Simd::avx512 ? "avx512" : (level == Simd::avx2 ? "avx2" : "baseline");
}

}  // namespace convexify
