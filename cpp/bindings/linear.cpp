// Bindings for lens "linear": deep linear networks and their convex dual (SPEC section 2).
#include <optional>

#include "bindings.hpp"
#include "convexify/linear.hpp"

namespace convexify::bindings {

namespace lin = convexify::linear;

namespace {

py::array_t<double> vec_to_array(const std::vector<double>& v) {
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict linear_solve(const CArray<double>& X, const CArray<double>& Y, const std::vector<long long>& widths,
                      double gamma, const std::string& method, double t, double tol, long max_iter,
                      const std::optional<CArray<double>>& z0, bool record_history, const std::string& form) {
  auto Xm = map_matrix<double>(X, "X");
  auto Ym = map_matrix<double>(Y, "Y");
  std::optional<lin::RowMat> warm;
  if (z0) warm = map_matrix<double>(*z0, "z0");
  std::vector<lin::Index> w(widths.begin(), widths.end());
  lin::DrOptions opt;
  opt.t = t;
  opt.tol = tol;
  opt.max_iter = max_iter;
  opt.record_history = record_history;
  lin::Solution sol;
  {
    py::gil_scoped_release release;
    sol = lin::solve(Xm, Ym, w, gamma, method, opt, warm ? &*warm : nullptr, form);
  }
  py::dict d;
  d["n"] = sol.n;
  d["d0"] = sol.d0;
  d["dH"] = sol.dH;
  d["r"] = sol.r;
  d["k"] = sol.k;
  d["rY"] = sol.rY;
  d["s"] = py::cast(lin::Vec(sol.s));
  d["Ytilde"] = py::cast(std::move(sol.Ytilde));
  d["Lambda"] = py::cast(std::move(sol.Lambda));
  d["M"] = py::cast(std::move(sol.M));
  py::list weights;
  for (auto& W : sol.weights) weights.append(py::cast(std::move(W)));
  d["weights"] = weights;
  d["primal_value"] = sol.primal_value;
  d["dual_value"] = sol.dual_value;
  d["closed_value"] = sol.closed_value;
  d["certificate_primal"] = sol.certificate_primal;
  d["certificate_dual"] = sol.certificate_dual;
  d["relative_gap"] = sol.relative_gap;
  d["iterations"] = sol.iterations;
  d["converged"] = sol.converged;
  d["status"] = sol.status;
  d["certified"] = sol.certified;
  d["rank_tolerance"] = sol.rank_tolerance;
  py::dict h;
  h["dual"] = vec_to_array(sol.history.dual);
  h["primal_svd"] = vec_to_array(sol.history.primal_svd);
  h["primal_shadow"] = vec_to_array(sol.history.primal_shadow);
  h["gap"] = vec_to_array(sol.history.gap);
  d["history"] = h;
  return d;
}

double linear_primal_objective(const std::vector<lin::RowMat>& weights, const CArray<double>& X,
                               const CArray<double>& Y, double gamma) {
  auto Xm = map_matrix<double>(X, "X");
  auto Ym = map_matrix<double>(Y, "Y");
  py::gil_scoped_release release;
  return lin::primal_objective(weights, Xm, Ym, gamma);
}

double linear_dual_objective(const CArray<double>& Lambda, const CArray<double>& X, const CArray<double>& Y,
                             double gamma, long long k) {
  auto Lm = map_matrix<double>(Lambda, "Lambda");
  auto Xm = map_matrix<double>(X, "X");
  auto Ym = map_matrix<double>(Y, "Y");
  py::gil_scoped_release release;
  return lin::dual_objective(Lm, Xm, Ym, gamma, k);
}

lin::Vec linear_prox_topk(const CArray<double>& v, long long k, double t) {
  auto vm = map_vector<double>(v, "v");
  return lin::prox_topk(vm, k, t);
}

}  // namespace

void bind_linear(py::module_& m) {
  m.def("linear_solve", &linear_solve, py::arg("X"), py::arg("Y"), py::arg("widths"), py::arg("gamma"),
        py::arg("method"), py::arg("t"), py::arg("tol"), py::arg("max_iter"), py::arg("z0"),
        py::arg("record_history"), py::arg("form") = "reduced",
        "Lens 1 solve (closed form or Douglas-Rachford on the reduced dual); returns a dict (SPEC 2.7).");
  m.def("linear_primal_objective", &linear_primal_objective, py::arg("weights"), py::arg("X"), py::arg("Y"),
        py::arg("gamma"), "Literal factorised primal objective (survey eq. 2).");
  m.def("linear_dual_objective", &linear_dual_objective, py::arg("Lambda"), py::arg("X"), py::arg("Y"),
        py::arg("gamma"), py::arg("k"), "Dual objective (survey eq. 3-4); raises ValueError if infeasible.");
  m.def("linear_prox_topk", &linear_prox_topk, py::arg("v"), py::arg("k"), py::arg("t"),
        "prox of (t/2) * (sum of the k largest squares) by PAV (SPEC 2.5).");
}

}  // namespace convexify::bindings
