// Bindings for lens 2 (shallow ReLU, see docs/relu.md).  Names are prefixed relu_; the _f64/_f32 suffix is
// the dtype of X and Y (weights are always float64 here: the core keeps a float64 master copy).
#include "convexify/relu.hpp"

#include <optional>
#include <type_traits>

#include "bindings.hpp"

namespace convexify::bindings {

namespace {

using convexify::relu::Index;
using convexify::relu::KernelChoice;

// SciPy's BLAS GEMM (sgemm/dgemm, Fortran signature) from scipy.linalg.cython_blas, or null when SciPy or
// the capsule is unavailable.  Looked up once, with the GIL held, and only where the GEMM kernel can be
// chosen (importing SciPy takes ~0.15 s); SciPy stays imported afterwards.
template <typename T>
convexify::relu::BlasGemm<T> scipy_gemm() {
  static const convexify::relu::BlasGemm<T> fn = []() -> convexify::relu::BlasGemm<T> {
    try {
      py::object capi = py::module_::import("scipy.linalg.cython_blas").attr("__pyx_capi__");
      py::object capsule = capi[std::is_same_v<T, float> ? "sgemm" : "dgemm"];
      PyObject* c = capsule.ptr();
      void* ptr = PyCapsule_IsValid(c, PyCapsule_GetName(c)) ? PyCapsule_GetPointer(c, PyCapsule_GetName(c))
                                                             : nullptr;
      if (ptr == nullptr) PyErr_Clear();
      return reinterpret_cast<convexify::relu::BlasGemm<T>>(ptr);
    } catch (const py::error_already_set&) {
      return nullptr;
    }
  }();
  return fn;
}

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
  if (k == "auto") return KernelChoice::automatic;
  if (k == "fused") return KernelChoice::fused;
  if (k == "gemm") return KernelChoice::gemm;
  fail("kernel must be one of 'auto', 'fused', 'gemm', got '" + k + "'");
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
py::dict gd(const CArray<T>& X, const CArray<T>& Y, const CArray<double>& W0, double step, long long iters,
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
  convexify::relu::GdResult r;
  {
    py::gil_scoped_release release;
    r = convexify::relu::gd<T>(p, W, o, test ? &*test : nullptr, star);
  }
  py::dict out;
  out["W"] = py::cast(r.W);
  out["train_loss"] = py::cast(r.train_loss);
  out["test_loss"] = test ? py::object(py::cast(r.test_loss)) : py::object(py::none());
  out["recovery_error"] = w_star ? py::object(py::cast(r.recovery_error)) : py::object(py::none());
  out["diverged"] = py::cast(r.diverged);
  out["diverged_at"] = py::cast(r.diverged_at);
  out["kernel"] = r.kernel;
  return out;
}

template <typename T>
double power(const CArray<T>& X, int iters) {
  if (X.ndim() != 2) fail("X must be 2-D");
  require(iters >= 1, "iters must be >= 1");
  const Index n = X.shape(0), d = X.shape(1);
  py::gil_scoped_release release;
  return convexify::relu::power_lambda_max<T>(X.data(), n, d, iters);
}

py::dict newton(const CArray<double>& X, const CArray<double>& y, const CArray<double>& w0, double tol,
                long long max_iter) {
  RowMatrix<double> Xm = map_matrix<double>(X, "X");
  Vector<double> yv = map_vector<double>(y, "y");
  Vector<double> wv = map_vector<double>(w0, "w0");
  convexify::relu::NewtonOptions o;
  o.tol = tol;
  o.max_iter = max_iter;
  convexify::relu::NewtonResult r;
  {
    py::gil_scoped_release release;
    r = convexify::relu::newton(Xm, yv, wv, o);
  }
  py::dict out;
  out["w"] = py::cast(r.w);
  out["iterations"] = r.iterations;
  out["gradient_norm"] = r.gradient_norm;
  out["tolerance"] = r.tolerance;
  out["relaxed_loss"] = r.relaxed_loss;
  out["loss"] = r.loss;
  out["dual_bound"] = r.dual_bound;
  out["duality_gap"] = r.duality_gap;
  out["converged"] = r.converged;
  out["status"] = r.status;
  out["history"] = py::cast(r.history);
  return out;
}

template <typename T>
void bind_dtype(py::module_& m, const std::string& suffix) {
  m.def(("relu_losses_" + suffix).c_str(), &losses<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("W").noconvert(), py::arg("gradient"), py::arg("relaxed"), py::arg("strict"),
        "(L, L_r, 2 X^T[m o (relu(XW^T) - Y)] or None) for every row of W (docs/relu.md#losses).");
  m.def(("relu_gd_" + suffix).c_str(), &gd<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("W0").noconvert(), py::arg("step"), py::arg("iters"), py::arg("relaxed"), py::arg("strict"),
        py::arg("record_every"), py::arg("X_test").noconvert() = py::none(),
        py::arg("Y_test").noconvert() = py::none(), py::arg("w_star").noconvert() = py::none(),
        py::arg("kernel") = "auto", py::arg("blowup") = 1e30, "Batched gradient descent (docs/relu.md#gd).");
  m.def(("relu_power_lambda_" + suffix).c_str(), &power<T>, py::arg("X").noconvert(), py::arg("iters"),
        "lambda_max(X^T X) by power iteration (GEMV only).");
}

}  // namespace

void bind_relu(py::module_& m) {
  bind_dtype<double>(m, "f64");
  bind_dtype<float>(m, "f32");
  m.def("relu_newton", &newton, py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("w0").noconvert(),
        py::arg("tol"), py::arg("max_iter"), "Semismooth Newton for min L_r (docs/relu.md#newton).");
}

}  // namespace convexify::bindings
