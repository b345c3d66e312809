// Bindings for lens 2 (shallow ReLU, see docs/relu.md).  Names are prefixed relu_.  relu_losses, relu_gd and
// relu_power_lambda have one overload per dtype of X and Y (float64, float32; X is .noconvert(), so pybind11
// picks the overload by dtype and never converts); weights are always float64 (the core keeps a float64
// master copy).  relu_gd and relu_newton return the core's result structs, bound read-only as ReluGdResult
// and ReluNewtonResult; Python builds its dataclasses from them with _boundary.from_core.
#include "convexify/relu.hpp"

#include <cmath>
#include <optional>

#include "bindings.hpp"
#include "scipy_blas.hpp"

namespace convexify::bindings {

namespace {

using convexify::relu::GdResult;
using convexify::relu::Index;
using convexify::relu::KernelChoice;
using convexify::relu::NewtonResult;

template <typename T>
convexify::relu::Problem<T> problem_of(const CArray<T>& X, const CArray<T>& Y, const char* xname,
                                       const char* yname, bool kernel_checks_x = false) {
  if (X.ndim() != 2) fail(std::string(xname) + " must be 2-D, got ndim=" + std::to_string(X.ndim()));
  if (Y.ndim() != 1 && Y.ndim() != 2) fail(std::string(yname) + " must be 1-D or 2-D");
  convexify::relu::Problem<T> p;
  p.X = X.data();
  p.n = X.shape(0);
  p.d = X.shape(1);
  p.Y = Y.data();
  p.y_cols = Y.ndim() == 1 ? 1 : Y.shape(1);
  require(p.n >= 1 && p.d >= 1, std::string(xname) + " must be non-empty");
  require(Y.shape(0) == p.n, std::string(yname) + " must have as many rows as " + xname);
  if (kernel_checks_x)  // the gradient kernel checks X in its first pass over it (Problem::check_name)
    p.check_name = xname;
  else
    require(convexify::relu::all_finite(p.X, p.n * p.d), std::string(xname) + " contains NaN or Inf");
  require(convexify::relu::all_finite(p.Y, p.n * p.y_cols), std::string(yname) + " contains NaN or Inf");
  return p;
}

RowMatrix<double> weights_of(const CArray<double>& W, const char* name) {
  if (W.ndim() != 2) fail(std::string(name) + " must be 2-D (B, d)");
  return map_matrix<double>(W, name);
}

KernelChoice kernel_of(const std::string& k) {
  return parse_choice<KernelChoice>(
      k, "kernel",
      {{"auto", KernelChoice::automatic}, {"fused", KernelChoice::fused}, {"gemm", KernelChoice::gemm}});
}

template <typename T>
py::tuple losses(const CArray<T>& X, const CArray<T>& Y, const CArray<double>& W, bool gradient, bool relaxed,
                 bool strict) {
  auto p = problem_of<T>(X, Y, "X", "y", true);
  RowMatrix<double> Wm = weights_of(W, "w");
  require(Wm.cols() == p.d, "w must have d columns");
  if (convexify::relu::may_choose_gemm<T>(Wm.rows(), KernelChoice::automatic)) p.gemm = scipy_gemm<T>();
  require(p.y_cols == 1 || p.y_cols == Wm.rows(), "y must be (n,) or (n, B)");
  convexify::relu::LossesResult<T> r;
  {
    py::gil_scoped_release release;
    r = convexify::relu::evaluate<T>(p, Wm, gradient, relaxed, strict);
  }
  py::object g = py::none();
  if (gradient) g = py::cast(r.gradient);
  return py::make_tuple(py::cast(r.loss), py::cast(r.relaxed_loss), g);
}

template <typename T>
GdResult gd(const CArray<T>& X, const CArray<T>& Y, const CArray<double>& W0, double step, long long iters,
            bool relaxed, bool strict, long long record_every, std::optional<CArray<T>> X_test,
            std::optional<CArray<T>> Y_test, std::optional<CArray<double>> w_star, const std::string& kernel,
            double blowup) {
  auto p = problem_of<T>(X, Y, "X", "y", true);
  RowMatrix<double> W = weights_of(W0, "W0");
  require(p.y_cols == 1 || p.y_cols == W.rows(), "y must be (n,) or (n, B) with B = rows of W0");
  std::optional<convexify::relu::Problem<T>> test;
  if (X_test.has_value() != Y_test.has_value()) fail("X_test and y_test must be given together");
  if (X_test) {
    test = problem_of<T>(*X_test, *Y_test, "X_test", "y_test", true);
    require(test->y_cols == 1 || test->y_cols == W.rows(), "y_test must be (m,) or (m, B)");
  }
  RowMatrix<double> star;
  if (w_star) star = weights_of(*w_star, "w_star");
  convexify::relu::GdOptions o;
  o.step = step;
  o.iters = iters;
  o.relaxed = relaxed;
  o.strict = strict;
  o.record_every = record_every;
  o.kernel = kernel_of(kernel);
  o.blowup = blowup;
  if (convexify::relu::may_choose_gemm<T>(W.rows(), o.kernel)) {
    p.gemm = scipy_gemm<T>();
    if (test) test->gemm = p.gemm;
  }
  py::gil_scoped_release release;
  return convexify::relu::gd<T>(p, W, o, test ? &*test : nullptr, star);
}

template <typename T>
convexify::relu::ScaledLambda power_scaled(const CArray<T>& X, long long iters) {
  if (X.ndim() != 2) fail("X must be 2-D");
  require(iters >= 1, "iters must be >= 1");
  const Index n = X.shape(0), d = X.shape(1);
  py::gil_scoped_release release;
  return convexify::relu::power_lambda_max<T>(X.data(), n, d, iters);
}

// lambda_max itself: inf when it overflows float64, 0 when it underflows (relu_power_lambda_scaled does not).
template <typename T>
double power(const CArray<T>& X, long long iters) {
  const auto s = power_scaled<T>(X, iters);
  return std::ldexp(s.lambda, 2 * s.exponent);
}

template <typename T>
py::tuple power_tuple(const CArray<T>& X, long long iters) {
  const auto s = power_scaled<T>(X, iters);
  return py::make_tuple(s.lambda, s.exponent);
}

NewtonResult newton(const CArray<double>& X, const CArray<double>& y, const CArray<double>& w0, double tol,
                    long long max_iter) {
  auto Xm = map_matrix<double>(X, "X");  // a view: no copy of X
  Vector<double> yv = map_vector<double>(y, "y");
  Vector<double> wv = map_vector<double>(w0, "w0");
  convexify::relu::NewtonOptions o;
  o.tol = tol;
  o.max_iter = max_iter;
  py::gil_scoped_release release;
  return convexify::relu::newton(Xm, yv, wv, o);
}

// One overload per dtype of X (and Y, X_test, Y_test): T = double first, then float.
template <typename T>
void bind_overloads(py::module_& m) {
  m.def("relu_losses", &losses<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("W").noconvert(), py::arg("gradient"), py::arg("relaxed"), py::arg("strict"),
        "(L, L_r, 2 X^T[m o (relu(XW^T) - Y)] or None) for every row of W (docs/relu.md#losses).");
  m.def("relu_gd", &gd<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(), py::arg("W0").noconvert(),
        py::arg("step"), py::arg("iters"), py::arg("relaxed"), py::arg("strict"), py::arg("record_every"),
        py::arg("X_test").noconvert() = py::none(), py::arg("Y_test").noconvert() = py::none(),
        py::arg("w_star").noconvert() = py::none(), py::arg("kernel") = "auto", py::arg("blowup") = 1e30,
        "Batched gradient descent (docs/relu.md#gd); kernel: 'auto', 'fused' or 'gemm'.");
  m.def("relu_power_lambda", &power<T>, py::arg("X").noconvert(), py::arg("iters"),
        "lambda_max(X^T X) by power iteration (GEMV only), scaled internally; inf/0 when out of range.");
  m.def(
      "relu_power_lambda_scaled", &power_tuple<T>, py::arg("X").noconvert(), py::arg("iters"),
      "(lam, e) with lambda_max(X^T X) = lam * 4**e, the power iteration on X / 2**e (docs/relu.md#scales).");
}

}  // namespace

void bind_relu(py::module_& m) {
  py::class_<GdResult>(m, "ReluGdResult", py::module_local(),
                       "Result of relu_gd (the core's relu::GdResult), read-only.")
      .def_readonly("W", &GdResult::W)
      .def_readonly("train_loss", &GdResult::train_loss)
      .def_readonly("test_loss", &GdResult::test_loss)
      .def_readonly("recovery_error", &GdResult::recovery_error)
      .def_readonly("diverged", &GdResult::diverged)
      .def_readonly("diverged_at", &GdResult::diverged_at)
      .def_readonly("iterations", &GdResult::iterations)
      .def_readonly("kernel", &GdResult::kernel);
  py::class_<NewtonResult>(m, "ReluNewtonResult", py::module_local(),
                           "Result of relu_newton (the core's relu::NewtonResult), read-only.")
      .def_readonly("w", &NewtonResult::w)
      .def_readonly("iterations", &NewtonResult::iterations)
      .def_readonly("gradient_norm", &NewtonResult::gradient_norm)
      .def_readonly("tolerance", &NewtonResult::tolerance)
      .def_readonly("relaxed_loss", &NewtonResult::relaxed_loss)
      .def_readonly("loss", &NewtonResult::loss)
      .def_readonly("dual_bound", &NewtonResult::dual_bound)
      .def_readonly("duality_gap", &NewtonResult::duality_gap)
      .def_readonly("converged", &NewtonResult::converged)
      .def_readonly("status", &NewtonResult::status)
      .def_readonly("history", &NewtonResult::history);
  bind_overloads<double>(m);
  bind_overloads<float>(m);
  m.def("relu_newton", &newton, py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("w0").noconvert(),
        py::arg("tol"), py::arg("max_iter"), "Semismooth Newton for min L_r (docs/relu.md#newton).");
}

}  // namespace convexify::bindings
