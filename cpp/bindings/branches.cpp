// Bindings for lens 4 (multi-branch networks, see docs/branches.md): forward, loss/gradient, batched loss
// surface and the heuristic neuron oracle.  Arrays arrive as C-contiguous float64 (converted once in Python).
// The loss crosses as its name ("hinge" | "squared_hinge"); results with several fields come back as the
// core's structs, bound read-only (BranchesLossGradient, BranchesOracleResult).
#include <string>

#include "bindings.hpp"
#include "convexify/branches.hpp"

namespace convexify::bindings {

namespace br = convexify::branches;

namespace {

br::Loss parse_loss(const std::string& loss) {
  return parse_choice<br::Loss>(loss, "loss",
                                {{"hinge", br::Loss::Hinge}, {"squared_hinge", br::Loss::SquaredHinge}});
}

}  // namespace

void bind_branches(py::module_& m) {
  py::class_<br::LossGradient>(m, "BranchesLossGradient", py::module_local(),
                               "R(theta) and its a.e. gradient (read-only; see docs/branches.md#model).")
      .def_readonly("loss", &br::LossGradient::loss, "R(theta) = mean_j l(y_j f(x_j) / tau).")
      .def_readonly("grad_U", &br::LossGradient::grad_U, "dR/dU, shape (P, d).")
      .def_readonly("grad_a", &br::LossGradient::grad_a, "dR/da, shape (P,).");

  py::class_<br::OracleResult>(m, "BranchesOracleResult", py::module_local(),
                               "Heuristic neuron-oracle result (read-only; see docs/branches.md#bracket).")
      .def_readonly("value", &br::OracleResult::value, "Best value over all starts, a lower bound on M+(c).")
      .def_readonly("u", &br::OracleResult::u, "Its maximiser, shape (d,) (0 if no start gave a value > 0).")
      .def_readonly("start_values", &br::OracleResult::start_values, "Best value per start, shape (S,).")
      .def_readonly("start_u", &br::OracleResult::start_u, "Best unit vector per start, shape (S, d).");

  m.def(
      "branches_forward",
      [](const CArray<double>& X, const CArray<double>& U, const CArray<double>& a, int n_branches) {
        auto Xm = map_matrix(X, "X");
        auto Um = map_matrix(U, "U");
        auto am = map_vector(a, "a");
        py::gil_scoped_release release;
        return Vector<double>(br::forward(Xm.transpose(), Um, am, n_branches));
      },
      py::arg("X"), py::arg("U"), py::arg("a"), py::arg("n_branches"),
      "f(x_j) = (1/I) sum_k a_k relu(u_k . x_j) for units U (P, d), a (P,), shape (n,).");

  m.def(
      "branches_loss_gradient",
      [](const CArray<double>& X, const CArray<double>& y, const CArray<double>& U, const CArray<double>& a,
         int n_branches, double tau, const std::string& loss) {
        auto Xm = map_matrix(X, "X");
        auto ym = map_vector(y, "y");
        auto Um = map_matrix(U, "U");
        auto am = map_vector(a, "a");
        const br::Loss kind = parse_loss(loss);
        py::gil_scoped_release release;
        return br::loss_gradient(Xm.transpose(), ym, Um, am, n_branches, tau, kind);
      },
      py::arg("X"), py::arg("y"), py::arg("U"), py::arg("a"), py::arg("n_branches"), py::arg("tau"),
      py::arg("loss"),
      "BranchesLossGradient (loss, grad_U, grad_a) for loss 'hinge' (tau-hinge) or 'squared_hinge'.");

  m.def(
      "branches_surface",
      [](const CArray<double>& X, const CArray<double>& y, const CArray<double>& U0, const CArray<double>& a0,
         const CArray<double>& U1, const CArray<double>& a1, const CArray<double>& U2,
         const CArray<double>& a2, const CArray<double>& alphas, const CArray<double>& betas, int n_branches,
         double tau, const std::string& loss) {
        auto Xm = map_matrix(X, "X");
        auto ym = map_vector(y, "y");
        auto U0m = map_matrix(U0, "U0");
        auto U1m = map_matrix(U1, "U1");
        auto U2m = map_matrix(U2, "U2");
        auto a0m = map_vector(a0, "a0");
        auto a1m = map_vector(a1, "a1");
        auto a2m = map_vector(a2, "a2");
        auto alm = map_vector(alphas, "alphas");
        auto bem = map_vector(betas, "betas");
        const br::Loss kind = parse_loss(loss);
        py::gil_scoped_release release;
        return RowMatrix<double>(
            br::surface(Xm.transpose(), ym, U0m, a0m, U1m, a1m, U2m, a2m, alm, bem, n_branches, tau, kind));
      },
      py::arg("X"), py::arg("y"), py::arg("U0"), py::arg("a0"), py::arg("U1"), py::arg("a1"), py::arg("U2"),
      py::arg("a2"), py::arg("alphas"), py::arg("betas"), py::arg("n_branches"), py::arg("tau"),
      py::arg("loss"), "S[i, j] = R(theta0 + alphas[i] d1 + betas[j] d2), shape (len(alphas), len(betas)).");

  m.def(
      "branches_surface_multimargin",
      [](const CArray<double>& X, const CArray<double>& labels, const CArray<double>& U0,
         const CArray<double>& A0, const CArray<double>& U1, const CArray<double>& A1,
         const CArray<double>& U2, const CArray<double>& A2, const CArray<double>& alphas,
         const CArray<double>& betas, int n_branches) {
        auto Xm = map_matrix(X, "X");
        auto lm = map_vector(labels, "labels");
        auto U0m = map_matrix(U0, "U0");
        auto U1m = map_matrix(U1, "U1");
        auto U2m = map_matrix(U2, "U2");
        auto A0m = map_matrix(A0, "A0");
        auto A1m = map_matrix(A1, "A1");
        auto A2m = map_matrix(A2, "A2");
        auto alm = map_vector(alphas, "alphas");
        auto bem = map_vector(betas, "betas");
        py::gil_scoped_release release;
        return RowMatrix<double>(
            br::surface_multimargin(Xm.transpose(), lm, U0m, A0m, U1m, A1m, U2m, A2m, alm, bem, n_branches));
      },
      py::arg("X"), py::arg("labels"), py::arg("U0"), py::arg("A0"), py::arg("U1"), py::arg("A1"),
      py::arg("U2"), py::arg("A2"), py::arg("alphas"), py::arg("betas"), py::arg("n_branches"),
      "Multi-class margin loss on the plane: S[i, j] for output weights A (P, C) and labels in [0, C).");

  m.def(
      "branches_neuron_oracle",
      [](const CArray<double>& X, const CArray<double>& c, const CArray<double>& starts, int iterations) {
        auto Xm = map_matrix(X, "X");
        auto cm = map_vector(c, "c");
        auto Sm = map_matrix(starts, "starts");
        py::gil_scoped_release release;
        return br::neuron_oracle(Xm.transpose(), cm, Sm, iterations);
      },
      py::arg("X"), py::arg("c"), py::arg("starts"), py::arg("iterations"),
      "Heuristic lower bound on M+(c) = max_{||u||<=1} sum_j c_j relu(u . x_j): BranchesOracleResult (value, "
      "u, start_values, start_u).");
}

}  // namespace convexify::bindings
