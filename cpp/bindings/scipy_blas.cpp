// Look-up of SciPy's BLAS routines (see scipy_blas.hpp).
#include "scipy_blas.hpp"

#include <map>
#include <string>

namespace convexify::bindings {

namespace py = pybind11;

void* scipy_blas_routine(const char* name) {
  // Guarded by the GIL, which every caller holds.
  static std::map<std::string, void*> cache;
  auto found = cache.find(name);
  if (found != cache.end()) return found->second;
  void* ptr = nullptr;
  try {
    py::object capi = py::module_::import("scipy.linalg.cython_blas").attr("__pyx_capi__");
    py::object capsule = capi[name];
    PyObject* c = capsule.ptr();
    const char* capsule_name = PyCapsule_GetName(c);
    if (PyCapsule_IsValid(c, capsule_name)) ptr = PyCapsule_GetPointer(c, capsule_name);
    if (ptr == nullptr) PyErr_Clear();
  } catch (py::error_already_set& e) {
    // SciPy missing or without the routine: fall back to Eigen.  Anything else (KeyboardInterrupt raised
    // while SciPy was being imported, MemoryError) belongs to the caller.
    if (!e.matches(PyExc_ImportError) && !e.matches(PyExc_AttributeError) && !e.matches(PyExc_KeyError))
      throw;
    ptr = nullptr;
  }
  cache.emplace(name, ptr);
  return ptr;
}

}  // namespace convexify::bindings
