// Instruction-set level of the hand-vectorised kernels (relu's fused gradient kernel).
//
// The package is built with portable flags; kernels that gain from wider vectors are compiled several times
// (generic, AVX2+FMA, AVX-512) and one is picked at run time: the widest the CPU supports, unless lowered
// with set_simd_level (tests use this to check every path against the same reference).
#pragma once

#include <string>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define CONVEXIFY_X86_DISPATCH 1
#define CONVEXIFY_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CONVEXIFY_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#endif

// Function multi-versioning for loops left to the compiler's vectoriser: GCC compiles the function once per
// listed level and the dynamic loader picks the widest the CPU supports (ifunc; GCC on x86-64 Linux only).
// CONVEXIFY_SIMD_CLONES: AVX-512 (x86-64-v4), AVX2 (x86-64-v3) and baseline; CONVEXIFY_SIMD_CLONES_AVX2: AVX2
// and baseline, for code whose AVX-512 clone measured no faster.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CONVEXIFY_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define CONVEXIFY_SIMD_CLONES_AVX2 __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CONVEXIFY_SIMD_CLONES
#define CONVEXIFY_SIMD_CLONES_AVX2
#endif

namespace convexify {

enum class Simd : int { generic = 0, avx2 = 1, avx512 = 2 };

// The widest level this CPU (and this build) supports.
Simd simd_supported();
// The level in use; defaults to simd_supported().
Simd simd_level();
// Lower (or restore) the level in use; a level above simd_supported() is an error.
void set_simd_level(Simd level);
// "generic", "avx2", "avx512", and back (unknown names are an error).
const char* simd_name(Simd level);
Simd simd_from_name(const std::string& name);

}  // namespace convexify
