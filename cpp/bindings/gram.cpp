// Bindings for lens 3 (Du et al. Gram recursions, NNGP and NTK).  Validation and documentation live in
// convexify.gram; enumerations cross as strings (parse_choice) and results as bound structs.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convexify/gram.hpp"
#include "convexify/gram_tiles.hpp"
#include "convexify/threads.hpp"

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

gram::GramOptions options(int depth, const std::string& activation, const std::string& arch, double c_res,
                          int quadrature_order, const std::string& method) {
  require(depth >= 1, "depth must be >= 1, got " + std::to_string(depth));
  gram::GramOptions opt;
  opt.depth = depth;
  opt.activation = parse_activation(activation);
  opt.arch = parse_arch(arch);
  opt.c_res = c_res;
  opt.quadrature_order = quadrature_order;
  opt.tables = parse_method(method);
  return opt;
}

// The result of _core.gram_matrix: the core's side information (gram::GramSide) and the output array.
struct GramMatrixResult : gram::GramSide {
  py::array_t<double> K;
};

GramMatrixResult gram_matrix_binding(const CArray<double>& X, int depth, const std::string& activation,
                                     const std::string& arch, double c_res, int quadrature_order,
                                     bool return_all, const std::string& method, const py::object& out) {
  auto Xm = map_matrix<double>(X, "X");
  const gram::GramOptions opt = options(depth, activation, arch, c_res, quadrature_order, method);
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
  py::gil_scoped_release release;
  return gram::ntk(Xm.data(), Xm.rows(), Xm.cols(), opt);
}

// The core's tile kernel (gram::GramTiles) and which of its outputs Python asked for.  Every method that
// computes releases the GIL; block() is const and thread-safe, so Python threads may share one object.
class GramTilesBinding {
 public:
  GramTilesBinding(const CArray<double>& X, const py::object& X2, int depth, const std::string& activation,
                   const std::string& arch, double c_res, int quadrature_order, const std::string& method,
                   const std::string& kernel) {
    auto Xm = map_matrix<double>(X, "X");
    const int output = parse_choice<int>(kernel, "kernel", {{"gram", 0}, {"nngp", 0}, {"ntk", 1}});
    const gram::GramOptions opt = options(depth, activation, arch, c_res, quadrature_order, method);
    const double* x2 = nullptr;
    std::int64_t n2 = 0;
    CArray<double> X2a;
    if (!X2.is_none()) {
      X2a = X2.cast<CArray<double>>();
      auto X2m = map_matrix<double>(X2a, "X2");
      require(X2m.cols() == Xm.cols(), "X2 must have " + std::to_string(Xm.cols()) + " columns like X, got " +
                                           std::to_string(X2m.cols()));
      x2 = X2m.data();
      n2 = X2m.rows();
    }
    const auto kind = kernel == "gram" ? gram::TileKernelKind::gram : gram::TileKernelKind::ntk;
    py::gil_scoped_release release;
    tiles_ = std::make_shared<gram::GramTiles>(Xm.data(), Xm.rows(), x2, n2, Xm.cols(), opt, kind);
    output_ = output;
  }

  py::tuple shape() const { return py::make_tuple(tiles_->rows(), tiles_->cols()); }
  bool symmetric() const { return tiles_->symmetric(); }

  // K[i0:i1, j0:j1] of the chosen output (all outputs with every_output: the NNGP, the NTK and Du's K).
  py::object block(std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, int threads,
                   bool every_output) const {
    require(i0 <= i1 && j0 <= j1, "block: empty or reversed range");
    const std::int64_t outputs = tiles_->outputs();
    std::vector<py::array_t<double>> arrays;
    std::vector<double*> ptrs(static_cast<std::size_t>(outputs), nullptr);
    for (std::int64_t o = 0; o < outputs; ++o) {
      if (!every_output && o != output_) continue;
      arrays.emplace_back(std::vector<py::ssize_t>{i1 - i0, j1 - j0});
      ptrs[static_cast<std::size_t>(o)] = arrays.back().mutable_data();
    }
    {
      py::gil_scoped_release release;
      tiles_->block(i0, i1, j0, j1, ptrs.data(), j1 - j0, std::max(threads, 1));
    }
    if (!every_output) return arrays.front();
    py::tuple all(arrays.size());
    for (std::size_t k = 0; k < arrays.size(); ++k) all[k] = arrays[k];
    return all;
  }

  // The whole matrix on as many threads as the work pays for (threads_for: one thread below ~1e5 pairs).
  py::object matrix(bool every_output) const {
    const double pairs = static_cast<double>(tiles_->rows()) * static_cast<double>(tiles_->cols());
    const int nt = threads_for(static_cast<long long>(pairs / 50.0), 2000);
    return block(0, tiles_->rows(), 0, tiles_->cols(), nt, every_output);
  }

  py::array_t<double> diag() const {
    std::vector<double> d;
    {
      py::gil_scoped_release release;
      d = tiles_->diag(output_);
    }
    return py::array_t<double>(static_cast<py::ssize_t>(d.size()), d.data());
  }

  // Columns K[:, idx] (n, len(idx)): each column is a one-column block, so its bits are those of K.
  py::array_t<double> columns(const CArray<std::int64_t>& idx) const {
    require(idx.ndim() == 1, "idx must be 1-D");
    const std::int64_t m = idx.shape(0), n = tiles_->rows(), n2 = tiles_->cols();
    const std::int64_t* ix = idx.data();
    for (std::int64_t k = 0; k < m; ++k)
      require(ix[k] >= 0 && ix[k] < n2, "idx: column index " + std::to_string(ix[k]) + " outside [0, " +
                                            std::to_string(n2) + ")");
    py::array_t<double> out(std::vector<py::ssize_t>{n, m});
    double* dst = out.mutable_data();
    {
      py::gil_scoped_release release;
      std::vector<double*> ptrs(static_cast<std::size_t>(tiles_->outputs()), nullptr);
      std::vector<double> col(static_cast<std::size_t>(n));
      ptrs[static_cast<std::size_t>(output_)] = col.data();
      const int nt = threads_for(static_cast<long long>(n / 50), 2000);
      for (std::int64_t k = 0; k < m; ++k) {
        tiles_->block(0, n, ix[k], ix[k] + 1, ptrs.data(), 1, nt);
        for (std::int64_t i = 0; i < n; ++i) dst[i * m + k] = col[static_cast<std::size_t>(i)];
      }
    }
    return out;
  }

 private:
  std::shared_ptr<gram::GramTiles> tiles_;
  int output_ = 0;
};

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
        "Du et al. K^(H) (or K^(0..H) stacked) of X (n, d) as a GramMatrixResult. out, if given, is the output "
        "array ((n, n), or (depth+1, n, n) with return_all), written in place and returned as K. See "
        "convexify.gram.gram_matrix.");
  m.def("gram_ntk", &ntk_binding, py::arg("X"), py::arg("depth"), py::arg("activation"),
        py::arg("quadrature_order"),
        "NNGP Sigma^(H), NTK Theta^(H) and K = Sigma^(H-1) o Sdot^(H) of the depth-H FC network as a "
        "GramNtkResult. See convexify.gram.ntk.");
  py::class_<GramTilesBinding>(m, "GramTiles", py::module_local(),
                               "Blocks of one lens-3 kernel K(X, X2), bit-identical to the dense matrix. See "
                               "convexify.gram.TileKernel.")
      .def(py::init<const CArray<double>&, const py::object&, int, const std::string&, const std::string&,
                    double, int, const std::string&, const std::string&>(),
           py::arg("X"), py::arg("X2"), py::arg("depth"), py::arg("activation"), py::arg("arch"),
           py::arg("c_res"), py::arg("quadrature_order"), py::arg("method"), py::arg("kernel"))
      .def_property_readonly("shape", &GramTilesBinding::shape, "(n, n2).")
      .def_property_readonly("symmetric", &GramTilesBinding::symmetric, "True for K(X, X).")
      .def("block", &GramTilesBinding::block, py::arg("i0"), py::arg("i1"), py::arg("j0"), py::arg("j1"),
           py::arg("threads") = 1, py::arg("every_output") = false,
           "K[i0:i1, j0:j1] (a new array); with every_output, the tuple (NNGP, NTK, K) of an NTK kernel.")
      .def("matrix", &GramTilesBinding::matrix, py::arg("every_output") = false,
           "The whole K (n, n2), threaded; with every_output, the tuple (NNGP, NTK, K) of an NTK kernel.")
      .def("diag", &GramTilesBinding::diag, "The diagonal K_ii of K(X, X).")
      .def("columns", &GramTilesBinding::columns, py::arg("idx"), "K[:, idx] (n, len(idx)).");
  m.def(
      "gram_c_sigma",
      [](const std::string& activation) { return gram::c_sigma(parse_activation(activation)); },
      py::arg("activation"), "c_sigma = 1 / E[sigma(z)^2], z ~ N(0, 1).");
  m.def("gram_gauss_hermite", &gauss_hermite_binding, py::arg("q"),
        "Probabilists' Gauss-Hermite nodes and weights (weights sum to 1).");
}

}  // namespace convexify::bindings
