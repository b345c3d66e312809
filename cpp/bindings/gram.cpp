// Bindings for lens 3 (Du et al. Gram recursions).  Validation and documentation live in convexify.gram.
#include <cstdint>

#include "bindings.hpp"
#include "convexify/gram.hpp"

namespace convexify::bindings {

namespace {

py::tuple gram_matrix_binding(const CArray<double>& X, int depth, const std::string& activation,
                              const std::string& arch, double c_res, int quadrature_order, bool return_all, int tables) {
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
  std::vector<py::ssize_t> shape = return_all ? std::vector<py::ssize_t>{depth + 1, n, n}
                                              : std::vector<py::ssize_t>{n, n};
  py::array_t<double> out(shape);
  double* dst = out.mutable_data();
  gram::GramSide side;
  {
    py::gil_scoped_release release;
    side = gram::gram_matrix(Xm.data(), Xm.rows(), Xm.cols(), opt, dst, return_all);
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
  return py::make_tuple(py::array_t<double>(q, rule.nodes.data()), py::array_t<double>(q, rule.weights.data()));
}

}  // namespace

void bind_gram(py::module_& m) {
  m.def("gram_matrix", &gram_matrix_binding, py::arg("X"), py::arg("depth"), py::arg("activation"),
        py::arg("arch"), py::arg("c_res"), py::arg("quadrature_order"), py::arg("return_all"), py::arg("tables") = 1,
        "Du et al. K^(H) (or K^(0..H) stacked) of X (n, d); returns (K, b, info) with b the ResNet "
        "b^(h) vectors (row 0 unused). See convexify.gram.gram_matrix.");
  m.def(
      "gram_c_sigma", [](const std::string& activation) { return gram::c_sigma(gram::parse_activation(activation)); },
      py::arg("activation"), "c_sigma = 1 / E[sigma(z)^2], z ~ N(0, 1).");
  m.def("gram_gauss_hermite", &gauss_hermite_binding, py::arg("q"),
        "Probabilists' Gauss-Hermite nodes and weights (weights sum to 1).");
}

}  // namespace convexify::bindings
