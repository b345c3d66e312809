// Bindings for lens "linear": deep linear networks and their convex dual; see docs/linear.md.
#include <optional>

#include "bindings.hpp"
#include "convexify/linear.hpp"

namespace convexify::bindings {

namespace lin = convexify::linear;

namespace {

// A history series as a fresh float64 array (the Python side owns it).
py::array_t<double> vec_to_array(const std::vector<double>& v) {
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

lin::Solution linear_solve(const CArray<double>& X, const CArray<double>& Y,
                           const std::vector<long long>& widths, double gamma, const std::string& method,
                           double t, double tol, long max_iter, const std::optional<CArray<double>>& z0,
                           bool record_history, const std::string& form) {
  auto Xm = map_matrix<double>(X, "X");
  auto Ym = map_matrix<double>(Y, "Y");
  const auto meth =
      parse_choice<lin::Method>(method, "method", {{"dr", lin::Method::dr}, {"closed", lin::Method::closed}});
  const auto frm = parse_choice<lin::Form>(
      form, "form", {{"reduced", lin::Form::reduced}, {"diagonal", lin::Form::diagonal}});
  std::optional<lin::RowMat> warm;
  if (z0) warm = map_matrix<double>(*z0, "z0");
  std::vector<lin::Index> w(widths.begin(), widths.end());
  lin::DrOptions opt;
  opt.t = t;
  opt.tol = tol;
  opt.max_iter = max_iter;
  opt.record_history = record_history;
  py::gil_scoped_release release;
  return lin::solve(Xm, Ym, w, gamma, meth, opt, warm ? &*warm : nullptr, frm);
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
  // Results cross the boundary as read-only bound structs; convexify.linear builds its dataclasses from them
  // with _boundary.from_core (attribute names = dataclass field names).
  py::class_<lin::DrHistory>(m, "LinearDrHistory", py::module_local(),
                             "Douglas-Rachford certificates per iterate (docs/linear.md#dr); float64 arrays.")
      .def_property_readonly("dual", [](const lin::DrHistory& h) { return vec_to_array(h.dual); })
      .def_property_readonly("primal_svd", [](const lin::DrHistory& h) { return vec_to_array(h.primal_svd); })
      .def_property_readonly("primal_shadow",
                             [](const lin::DrHistory& h) { return vec_to_array(h.primal_shadow); })
      .def_property_readonly("gap", [](const lin::DrHistory& h) { return vec_to_array(h.gap); });
  py::class_<lin::Solution>(m, "LinearSolveResult", py::module_local(),
                            "Result of linear_solve (docs/linear.md#outputs).")
      .def_readonly("n", &lin::Solution::n)
      .def_readonly("d0", &lin::Solution::d0)
      .def_readonly("dH", &lin::Solution::dH)
      .def_readonly("r", &lin::Solution::r)
      .def_readonly("k", &lin::Solution::k)
      .def_readonly("rY", &lin::Solution::rY)
      .def_readonly("s", &lin::Solution::s)
      .def_readonly("Ytilde", &lin::Solution::Ytilde)
      .def_readonly("Lambda", &lin::Solution::Lambda)
      .def_readonly("M", &lin::Solution::M)
      .def_readonly("weights", &lin::Solution::weights)
      .def_readonly("primal_value", &lin::Solution::primal_value)
      .def_readonly("dual_value", &lin::Solution::dual_value)
      .def_readonly("gap", &lin::Solution::gap)
      .def_readonly("optimal_value", &lin::Solution::optimal_value)
      .def_readonly("recovery_error", &lin::Solution::recovery_error)
      .def_readonly("certificate_primal", &lin::Solution::certificate_primal)
      .def_readonly("certificate_dual", &lin::Solution::certificate_dual)
      .def_readonly("relative_gap", &lin::Solution::relative_gap)
      .def_readonly("iterations", &lin::Solution::iterations)
      .def_readonly("converged", &lin::Solution::converged)
      .def_readonly("status", &lin::Solution::status)
      .def_readonly("certified", &lin::Solution::certified)
      .def_readonly("certified_by", &lin::Solution::certified_by)
      .def_readonly("history", &lin::Solution::history)
      .def_readonly("rank_tolerance", &lin::Solution::rank_tolerance);

  m.def("linear_solve", &linear_solve, py::arg("X"), py::arg("Y"), py::arg("widths"), py::arg("gamma"),
        py::arg("method"), py::arg("t"), py::arg("tol"), py::arg("max_iter"), py::arg("z0"),
        py::arg("record_history"), py::arg("form") = "reduced",
        "Lens 1 solve: method 'dr' (Douglas-Rachford on the reduced dual, form 'reduced' or 'diagonal') or "
        "'closed'; returns a LinearSolveResult (docs/linear.md#outputs).");
  m.def("linear_primal_objective", &linear_primal_objective, py::arg("weights"), py::arg("X"), py::arg("Y"),
        py::arg("gamma"), "Literal factorised primal objective (survey eq. 2).");
  m.def("linear_dual_objective", &linear_dual_objective, py::arg("Lambda"), py::arg("X"), py::arg("Y"),
        py::arg("gamma"), py::arg("k"), "Dual objective (survey eq. 3-4); raises ValueError if infeasible.");
  m.def("linear_prox_topk", &linear_prox_topk, py::arg("v"), py::arg("k"), py::arg("t"),
        "prox of (t/2) * (sum of the k largest squares) by PAV (docs/linear.md#dr).");
}

}  // namespace convexify::bindings
