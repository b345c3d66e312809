// convexify._core_<level>: the compiled core at one instruction-set level (CMakeLists.txt builds one module
// per level from the same sources; convexify/_loader.py imports one as convexify._core).  Each lens registers
// its functions from its own binding file.
#include <Eigen/Core>
#include <stdexcept>

#include "bindings.hpp"
#include "convexify/interrupt.hpp"
#include "convexify/simd.hpp"
#include "convexify/threads.hpp"

namespace py = pybind11;
using namespace convexify::bindings;

namespace {

std::string simd_instructions() {
  return Eigen::SimdInstructionSetsInUse();
}

}  // namespace

#ifndef CONVEXIFY_MODULE_NAME
#define CONVEXIFY_MODULE_NAME _core_baseline
#define CONVEXIFY_ISA "baseline"
#endif

PYBIND11_MODULE(CONVEXIFY_MODULE_NAME, m) {
  m.doc() = "convexify compiled core (C++/Eigen). Use the typed API in convexify.* instead of this module.";

  // std::invalid_argument from the core becomes convexify.InputError (a ValueError subclass).
  // Local to this module: several levels' modules may be loaded in one process (convexify.set_simd_level).
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::invalid_argument& e) {
      py::object err = py::module_::import("convexify._errors").attr("InputError");
      PyErr_SetString(err.ptr(), e.what());
    } catch (const convexify::Interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    }
  });

  // Long loops of the core poll this (at most every 20 ms, from the calling thread) and stop on Ctrl-C:
  // CPython's C-level handler only records SIGINT while the GIL is released; PyErr_CheckSignals runs the
  // Python-level handler (KeyboardInterrupt by default), whose exception is replaced by the core's.
  convexify::set_interrupt_check([]() -> bool {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      return true;
    }
    return false;
  });

  py::dict info;
  info["version"] = CONVEXIFY_VERSION;
  info["build_type"] = CONVEXIFY_BUILD_TYPE;
  info["cxx_flags"] = CONVEXIFY_CXX_FLAGS;
  info["isa"] = CONVEXIFY_ISA;
  info["march"] = CONVEXIFY_MARCH_FLAG;
  info["compiler"] = CONVEXIFY_COMPILER;
  info["eigen_version"] = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                          "." + std::to_string(EIGEN_MINOR_VERSION);
  info["eigen_simd"] = simd_instructions();
  info["openmp"] = convexify::have_openmp();
#ifdef CONVEXIFY_HAVE_CUDA
  info["cuda_compiled"] = true;
#else
  info["cuda_compiled"] = false;
#endif
  m.attr("build_info") = info;

  m.def("num_threads", &convexify::num_threads, "Threads the parallel loops of the core may use.");
  m.def("set_num_threads", &convexify::set_num_threads, py::arg("n"),
        "Set the number of threads of the core's parallel loops (n >= 1).");

  m.def(
      "simd_level", [] { return std::string(convexify::simd_name(convexify::simd_level())); },
      "Instruction-set level this module was compiled for: 'baseline', 'avx2' or 'avx512'.");

  bind_linear(m);
  bind_relu(m);
  bind_gram(m);
  bind_branches(m);
  bind_convex_nn(m);
  bind_cuda(m);
}
