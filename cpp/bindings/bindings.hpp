// Shared declarations for the pybind11 binding files (one per lens) of convexify._core.
#pragma once

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "convexify/checks.hpp"

namespace convexify::bindings {

namespace py = pybind11;

// One registration function per lens; each lives in its own binding file.
void bind_linear(py::module_& m);
void bind_relu(py::module_& m);
void bind_gram(py::module_& m);
void bind_branches(py::module_& m);
void bind_convex_nn(py::module_& m);
void bind_cuda(py::module_& m);

// A C-contiguous 2-D numpy array of T viewed without a copy.  Row-major (n, d) memory is the same as a
// column-major (d, n) matrix whose columns are samples (docs/conventions.md#arrays); use .transpose() for that view.
template <typename T>
using CArray = py::array_t<T, py::array::c_style>;

template <typename T>
Eigen::Map<const RowMatrix<T>> map_matrix(const CArray<T>& a, const char* name) {
  if (a.ndim() != 2) fail(std::string(name) + " must be 2-D, got ndim=" + std::to_string(a.ndim()));
  return Eigen::Map<const RowMatrix<T>>(a.data(), a.shape(0), a.shape(1));
}

template <typename T>
Eigen::Map<const Vector<T>> map_vector(const CArray<T>& a, const char* name) {
  if (a.ndim() != 1) fail(std::string(name) + " must be 1-D, got ndim=" + std::to_string(a.ndim()));
  return Eigen::Map<const Vector<T>>(a.data(), a.shape(0));
}

// The one way an enumeration crosses the boundary: Python passes a validated string, the bindings map it to
// the core's enum here (an unknown value is an InputError naming the argument and the choices), and results
// carry statuses back as strings.
template <typename E>
E parse_choice(const std::string& value, const char* name,
               std::initializer_list<std::pair<const char*, E>> choices) {
  std::string known;
  for (const auto& [label, e] : choices) {
    if (value == label) return e;
    known += (known.empty() ? "'" : ", '") + std::string(label) + "'";
  }
  fail(std::string(name) + " must be one of " + known + ", got '" + value + "'");
}

}  // namespace convexify::bindings
