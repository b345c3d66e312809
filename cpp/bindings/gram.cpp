// Bindings for lens 3 (Du et al. Gram recursions).  Validation and documentation live in convexify.gram.
#include <cstdint>

#include "bindings.hpp"
#include "convexify/gram.hpp"

namespace convexify::bindings {

namespace {

py::tuple gram_matrix_binding(const CArray<double>& X, int depth, const std::string& activation,
                              const std::string& arch, double c_res, int quadrature_order, bool return_all,
                              int tables, const py::object& k0) {
  auto Xm = map_matrix<double>(X, "X");
  gram::GramOptions opt;
  opt.depth = depth;
  opt.activation = gram::parse_activation(activation);
  opt.arch = gram::parse_arch(arch);
  opt.c_res = c_res;
  opt.quadrature_order = quadrature_order;
  require_range(tables, 0, 2, "tables");
  opt.tables = tables;
  require(depth >= 1, "depth must be >= 1, got " + std::to_string(depth));
  const py::ssize_t n = Xm.rows();
  std::vector<py::ssize_t> shape =
      return_all ? std::vector<py::ssize_t>{depth + 1, n, n} : std::vector<py::ssize_t>{n, n};
  py::array_t<double> out;
  const bool k0_given = !k0.is_none();
  if (k0_given) {
    // The output buffer, whose first (n, n) slice holds K^(0) (e.g. from a BLAS dsyrk) in its lower triangle
    // in row-major order; transformed in place and returned.
    out = py::cast<py::array_t<double>>(k0);
    const bool ok_shape =
        return_all ? (out.ndim() == 3 && out.shape(0) == depth + 1 && out.shape(1) == n && out.shape(2) == n)
                   : (out.ndim() == 2 && out.shape(0) == n && out.shape(1) == n);
    require((out.flags() & py::array::c_style) != 0 && ok_shape,
            "k0 must be a C-contiguous float64 array of shape (n, n), or (depth + 1, n, n) with return_all");
    require(out.writeable(), "k0 must be writeable");
  } else {
    out = py::array_t<double>(shape);
  }
  double* dst = out.mutable_data();
  gram::GramSide side;
  {
    py::gil_scoped_release release;
    side = gram::gram_matrix(Xm.data(), Xm.rows(), Xm.cols(), opt, dst, return_all, k0_given);
  }
  const py::ssize_t nb = side.b.empty() ? 0 : static_cast<py::ssize_t>(side.b.size());
  py::array_t<double> b(std::vector<py::ssize_t>{nb, n});
  double* bd = b.mutable_data();
  for (py::ssize_t h = 0; h < nb; ++h)
    for (py::ssize_t i = 0; i < n; ++i) bd[h * n + i] = side.b[h].empty() ? 0.0 : side.b[h][i];
  py::dict info;
  info["threads"] = side.threads;
  info["table_errors"] = side.table_errors;
  info["table_attempts"] = side.table_attempts;
  info["table_evaluations"] = side.table_evaluations;
  return py::make_tuple(out, b, info);
}

py::tuple gauss_hermite_binding(int q) {
  const gram::GaussHermite rule = gram::gauss_hermite(q);
  return py::make_tuple(py::array_t<double>(q, rule.nodes.data()),
                        py::array_t<double>(q, rule.weights.data()));
}

}  // namespace

void bind_gram(py::module_& m) {
  m.def("gram_matrix", &gram_matrix_binding, py::arg("X"), py::arg("depth"), py::arg("activation"),
        py::arg("arch"), py::arg("c_res"), py::arg("quadrature_order"), py::arg("return_all"),
        py::arg("tables") = 1, py::arg("k0") = py::none(),
        "Du et al. K^(H) (or K^(0..H) stacked) of X (n, d); returns (K, b, info) with b the ResNet "
        "b^(h) vectors (row 0 unused). k0, if given, is the output buffer ((n, n), or (depth+1, n, n) with "
        "return_all) whose first slice "
        "holds X X^T in its lower triangle; it is overwritten in place and returned. See "
        "convexify.gram.gram_matrix.");
  m.def(
      "gram_c_sigma",
      [](const std::string& activation) { return gram::c_sigma(gram::parse_activation(activation)); },
      py::arg("activation"), "c_sigma = 1 / E[sigma(z)^2], z ~ N(0, 1).");
  m.def("gram_gauss_hermite", &gauss_hermite_binding, py::arg("q"),
        "Probabilists' Gauss-Hermite nodes and weights (weights sum to 1).");
}

}  // namespace convexify::bindings
