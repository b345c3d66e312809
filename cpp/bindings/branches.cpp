// Bindings for lens 4 (multi-branch networks, SPEC 5): forward, loss/gradient, batched loss surface and the
// heuristic neuron oracle.  Arrays arrive as C-contiguous float64 (converted once in Python).
#include "bindings.hpp"
#include "convexify/branches.hpp"

namespace convexify::bindings {

namespace br = convexify::branches;

void bind_branches(py::module_& m) {
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
         int n_branches, double tau, int loss) {
        auto Xm = map_matrix(X, "X");
        auto ym = map_vector(y, "y");
        auto Um = map_matrix(U, "U");
        auto am = map_vector(a, "a");
        const br::Loss kind = br::loss_from_int(loss);
        br::LossGradient g;
        {
          py::gil_scoped_release release;
          g = br::loss_gradient(Xm.transpose(), ym, Um, am, n_branches, tau, kind);
        }
        return py::make_tuple(g.loss, g.grad_U, g.grad_a);
      },
      py::arg("X"), py::arg("y"), py::arg("U"), py::arg("a"), py::arg("n_branches"), py::arg("tau"),
      py::arg("loss"), "(R, dR/dU, dR/da) for the tau-hinge (loss=0) or squared tau-hinge (loss=1).");

  m.def(
      "branches_surface",
      [](const CArray<double>& X, const CArray<double>& y, const CArray<double>& U0, const CArray<double>& a0,
         const CArray<double>& U1, const CArray<double>& a1, const CArray<double>& U2,
         const CArray<double>& a2, const CArray<double>& alphas, const CArray<double>& betas, int n_branches,
         double tau, int loss) {
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
        const br::Loss kind = br::loss_from_int(loss);
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
        br::OracleResult r;
        {
          py::gil_scoped_release release;
          r = br::neuron_oracle(Xm.transpose(), cm, Sm, iterations);
        }
        return py::make_tuple(r.value, r.u, r.start_values, r.start_u);
      },
      py::arg("X"), py::arg("c"), py::arg("starts"), py::arg("iterations"),
      "Heuristic lower bound on M+(c) = max_{||u||<=1} sum_j c_j relu(u . x_j): (value, u, start_values, "
      "start_u).");
}

}  // namespace convexify::bindings
