// Bindings for lens 5 (convex training of two-layer ReLU networks).  Validation lives in convexify.convex_nn.
#include <cmath>

#include "bindings.hpp"
#include "convexify/convex_nn.hpp"

namespace convexify::bindings {

namespace {

convex_nn::LossSpec parse_loss(const std::string& v, double huber_delta) {
  convex_nn::LossSpec spec;
  spec.kind = parse_choice<convex_nn::Loss>(v, "loss",
                                            {{"squared", convex_nn::Loss::squared},
                                             {"logistic", convex_nn::Loss::logistic},
                                             {"squared_hinge", convex_nn::Loss::squared_hinge},
                                             {"huber", convex_nn::Loss::huber}});
  require(huber_delta > 0 && std::isfinite(huber_delta), "huber_delta must be positive and finite");
  spec.huber_delta = huber_delta;
  return spec;
}

}  // namespace

void bind_convex_nn(py::module_& m) {
  py::class_<convex_nn::GatedResult>(m, "ConvexNNGatedResult", py::module_local())
      .def_readonly("U", &convex_nn::GatedResult::U)
      .def_readonly("primal", &convex_nn::GatedResult::primal)
      .def_readonly("dual", &convex_nn::GatedResult::dual)
      .def_readonly("gap", &convex_nn::GatedResult::gap)
      .def_readonly("n_iter", &convex_nn::GatedResult::n_iter)
      .def_readonly("converged", &convex_nn::GatedResult::converged);
  m.def(
      "convex_nn_solve_gated",
      [](const CArray<double>& X, const CArray<double>& y, const CArray<double>& masks,
         const CArray<double>& U0, double lam, const std::string& loss, double tol, int max_iter,
         double huber_delta) {
        auto Xm = map_matrix<double>(X, "X");
        auto ym = map_vector<double>(y, "y");
        auto Mm = map_matrix<double>(masks, "masks");
        auto Um = map_matrix<double>(U0, "U0");
        convex_nn::GatedOptions opt;
        opt.lam = lam;
        opt.loss = parse_loss(loss, huber_delta);
        opt.tol = tol;
        opt.max_iter = max_iter;
        py::gil_scoped_release release;
        return convex_nn::solve_gated(Xm, ym, Mm, Um, opt);
      },
      py::arg("X"), py::arg("y"), py::arg("masks"), py::arg("U0"), py::arg("lam"), py::arg("loss"),
      py::arg("tol"), py::arg("max_iter"), py::arg("huber_delta") = 1.0,
      "FISTA for the gated convex program; returns U (P, d), primal, dual, gap, n_iter, converged.");
  py::class_<convex_nn::ReluResult>(m, "ConvexNNReluResult", py::module_local())
      .def_readonly("V", &convex_nn::ReluResult::V)
      .def_readonly("W", &convex_nn::ReluResult::W)
      .def_readonly("primal", &convex_nn::ReluResult::primal)
      .def_readonly("dual", &convex_nn::ReluResult::dual)
      .def_readonly("gap", &convex_nn::ReluResult::gap)
      .def_readonly("cone_violation", &convex_nn::ReluResult::cone_violation)
      .def_readonly("n_iter", &convex_nn::ReluResult::n_iter)
      .def_readonly("converged", &convex_nn::ReluResult::converged);
  m.def(
      "convex_nn_solve_relu",
      [](const CArray<double>& X, const CArray<double>& y, const CArray<double>& masks, double lam,
         const std::string& loss, double tol, int max_iter, double huber_delta) {
        auto Xm = map_matrix<double>(X, "X");
        auto ym = map_vector<double>(y, "y");
        auto Mm = map_matrix<double>(masks, "masks");
        convex_nn::ReluOptions opt;
        opt.lam = lam;
        opt.loss = parse_loss(loss, huber_delta);
        opt.tol = tol;
        opt.max_iter = max_iter;
        py::gil_scoped_release release;
        return convex_nn::solve_relu(Xm, ym, Mm, opt);
      },
      py::arg("X"), py::arg("y"), py::arg("masks"), py::arg("lam"), py::arg("loss"), py::arg("tol"),
      py::arg("max_iter"), py::arg("huber_delta") = 1.0,
      "ADMM for the ReLU (cone-constrained) convex program; returns V, W (P, d), primal (of the ReLU network), "
      "dual, gap, cone_violation, n_iter, converged.");
  m.def(
      "convex_nn_gated_certificate",
      [](const CArray<double>& X, const CArray<double>& y, const CArray<double>& masks,
         const CArray<double>& U, double lam, const std::string& loss, double huber_delta) {
        double p = 0, d = 0;
        convex_nn::gated_certificate(map_matrix<double>(X, "X"), map_vector<double>(y, "y"),
                                     map_matrix<double>(masks, "masks"), map_matrix<double>(U, "U"), lam,
                                     parse_loss(loss, huber_delta), &p, &d);
        return py::make_tuple(p, d);
      },
      py::arg("X"), py::arg("y"), py::arg("masks"), py::arg("U"), py::arg("lam"), py::arg("loss"),
      py::arg("huber_delta") = 1.0, "(primal, dual) of U for the gated program, the dual by scaling grad L into the feasible set.");
}

}  // namespace convexify::bindings
