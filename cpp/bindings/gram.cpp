// Bindings for lens 3 (Du et al. Gram recursions, NNGP and NTK).  Validation and documentation live in
// convexify.gram; enumerations cross as strings (parse_choice) and results as bound structs.
#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convexify/gram.hpp"
#include "scipy_blas.hpp"

namespace convexify::bindings {

namespace {

gram::Activation parse_activation(const std::string& value) {
  using A = gram::Activation;
  return parse_choice<A>(value, "activation",
                         {{"relu", A::relu},
                          {"erf", A::erf},
                          {"tanh", A::tanh},
                          {"softplus", A::softplus},
                          {"sigmoid", A::sigmoid},
                          {"gelu", A::gelu}});
}

gram::Arch parse_arch(const std::string& value) {
  return parse_choice<gram::Arch>(value, "arch", {{"fc", gram::Arch::fc}, {"resnet", gram::Arch::resnet}});
}

gram::TableMode parse_method(const std::string& value) {
  using T = gram::TableMode;
  return parse_choice<T>(value, "method",
                         {{"auto", T::automatic}, {"direct", T::direct}, {"table", T::table}});
}

// The result of _core.gram_matrix: the core's side information (gram::GramSide) and the output array.
struct GramMatrixResult : gram::GramSide {
  py::array_t<double> K;
};

GramMatrixResult gram_matrix_binding(const CArray<double>& X, int depth, const std::string& activation,
                                     const std::string& arch, double c_res, int quadrature_order,
                                     bool return_all, const std::string& method, const py::object& out) {
  auto Xm = map_matrix<double>(X, "X");
  gram::GramOptions opt;
  opt.depth = depth;
  opt.activation = parse_activation(activation);
  opt.arch = parse_arch(arch);
  opt.c_res = c_res;
  opt.quadrature_order = quadrature_order;
  opt.tables = parse_method(method);
  require(depth >= 1, "depth must be >= 1, got " + std::to_string(depth));
  const py::ssize_t n = Xm.rows();
  GramMatrixResult res;
  if (out.is_none()) {
    res.K = return_all ? py::array_t<double>(std::vector<py::ssize_t>{depth + 1, n, n})
                       : py::array_t<double>(std::vector<py::ssize_t>{n, n});
  } else {
    // A caller's output buffer, written in place and returned as K.
    require(py::isinstance<py::array_t<double, py::array::c_style>>(out),
            "out must be a C-contiguous float64 array");
    res.K = py::reinterpret_borrow<py::array_t<double>>(out);
    const bool ok_shape = return_all ? (res.K.ndim() == 3 && res.K.shape(0) == depth + 1 &&
                                        res.K.shape(1) == n && res.K.shape(2) == n)
                                     : (res.K.ndim() == 2 && res.K.shape(0) == n && res.K.shape(1) == n);
    require(ok_shape && (res.K.flags() & py::array::c_style) != 0,
            "out must be a C-contiguous float64 array of shape (n, n), or (depth + 1, n, n) with return_all");
    require(res.K.writeable(), "out must be writeable");
  }
  opt.syrk = scipy_syrk<double>();  // K^(0) by SciPy's BLAS dsyrk (null: Eigen GEMM per tile)
  opt.gemm = scipy_gemm<double>();
  double* dst = res.K.mutable_data();
  {
    py::gil_scoped_release release;
    static_cast<gram::GramSide&>(res) =
        gram::gram_matrix(Xm.data(), Xm.rows(), Xm.cols(), opt, dst, return_all);
  }
  return res;
}

gram::NtkResult ntk_binding(const CArray<double>& X, int depth, const std::string& activation,
                            int quadrature_order) {
  auto Xm = map_matrix<double>(X, "X");
  gram::GramOptions opt;
  opt.depth = depth;
  opt.activation = parse_activation(activation);
  opt.quadrature_order = quadrature_order;
  opt.syrk = scipy_syrk<double>();
  opt.gemm = scipy_gemm<double>();
  py::gil_scoped_release release;
  return gram::ntk(Xm.data(), Xm.rows(), Xm.cols(), opt);
}

py::tuple gauss_hermite_binding(int q) {
  const gram::GaussHermite rule = gram::gauss_hermite(q);
  return py::make_tuple(py::array_t<double>(q, rule.nodes.data()),
                        py::array_t<double>(q, rule.weights.data()));
}

}  // namespace

void bind_gram(py::module_& m) {
  py::class_<GramMatrixResult>(m, "GramMatrixResult", py::module_local(),
                               "Result of gram_matrix: K and the core's side information.")
      .def_readonly("K", &GramMatrixResult::K, "K^(H) (n, n), or K^(0..H) stacked (H + 1, n, n).")
      .def_readonly("diag", &GramMatrixResult::diag, "diag[h][i] = K^(h)_ii, h = 0..H.")
      .def_readonly("b", &GramMatrixResult::b, "ResNet b^(h) vectors, h = 1..H-1 (entry 0 empty); FC: [].")
      .def_readonly("threads", &GramMatrixResult::threads, "Threads used.")
      .def_readonly("table_errors", &GramMatrixResult::table_errors,
                    "Measured maximum error of every table in use.")
      .def_readonly("table_attempts", &GramMatrixResult::table_attempts,
                    "Measured error of every table built (kept or not).")
      .def_readonly("table_evaluations", &GramMatrixResult::table_evaluations,
                    "Function evaluations spent building tables.");
  py::class_<gram::NtkResult>(m, "GramNtkResult", py::module_local(),
                              "Result of gram_ntk: NNGP, NTK and Du's K^(H).")
      .def_readonly("nngp", &gram::NtkResult::nngp, "Sigma^(H) (n, n).")
      .def_readonly("ntk", &gram::NtkResult::ntk, "Theta^(H) (n, n).")
      .def_readonly("K", &gram::NtkResult::K, "Sigma^(H-1) o Sdot^(H) (n, n).")
      .def_readonly("threads", &gram::NtkResult::threads, "Threads used.");
  m.def("gram_matrix", &gram_matrix_binding, py::arg("X"), py::arg("depth"), py::arg("activation"),
        py::arg("arch"), py::arg("c_res"), py::arg("quadrature_order"), py::arg("return_all"),
        py::arg("method") = "auto", py::arg("out") = py::none(),
        "Du et al. K^(H) (or K^(0..H) stacked) of X (n, d) as a GramMatrixResult; K^(0) = X X^T by SciPy's "
        "BLAS dsyrk when available. out, if given, is the output array ((n, n), or (depth+1, n, n) with "
        "return_all), written in place and returned as K. See convexify.gram.gram_matrix.");
  m.def("gram_ntk", &ntk_binding, py::arg("X"), py::arg("depth"), py::arg("activation"),
        py::arg("quadrature_order"),
        "NNGP Sigma^(H), NTK Theta^(H) and K = Sigma^(H-1) o Sdot^(H) of the depth-H FC network as a "
        "GramNtkResult. See convexify.gram.ntk.");
  m.def(
      "gram_c_sigma",
      [](const std::string& activation) { return gram::c_sigma(parse_activation(activation)); },
      py::arg("activation"), "c_sigma = 1 / E[sigma(z)^2], z ~ N(0, 1).");
  m.def("gram_gauss_hermite", &gauss_hermite_binding, py::arg("q"),
        "Probabilists' Gauss-Hermite nodes and weights (weights sum to 1).");
}

}  // namespace convexify::bindings
