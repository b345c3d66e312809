// Bindings for the optional CUDA kernels.  Device discovery is always bound (it reports 0 devices when the
// kernels were not compiled in); the kernels themselves only when CONVEXIFY_HAVE_CUDA is defined.
#include <string>
#include <vector>

#include "bindings.hpp"

#ifdef CONVEXIFY_HAVE_CUDA
#include "convexify/cuda.hpp"
#endif

namespace convexify::bindings {

namespace {

#ifdef CONVEXIFY_HAVE_CUDA
void require_device() {
  if (convexify::cuda::device_count() <= 0) {
    throw std::runtime_error("device='cuda' needs a usable GPU: " + convexify::cuda::unavailable_reason());
  }
}

template <typename T>
py::array_t<T> gram_cuda(const CArray<T>& X, int depth, const std::string& activation,
                         const std::string& arch, double c_res) {
  using convexify::cuda::GramActivation;
  using convexify::cuda::GramArch;
  auto x = map_matrix<T>(X, "X");
  require_nonempty(x, "X");
  require_finite(x, "X");
  require(depth >= 1, "depth must be >= 1");
  const GramActivation act = parse_choice<GramActivation>(
      activation, "activation", {{"relu", GramActivation::relu}, {"erf", GramActivation::erf}});
  const GramArch kind =
      parse_choice<GramArch>(arch, "arch", {{"fc", GramArch::fc}, {"resnet", GramArch::resnet}});
  require(kind == GramArch::fc || depth >= 2, "depth must be >= 2 for arch='resnet'");
  require_positive(c_res, "c_res");
  require_device();
  const long n = x.rows(), d = x.cols();
  py::array_t<T> out({n, n});
  T* dst = out.mutable_data();
  const T* src = X.data();
  {
    py::gil_scoped_release release;
    convexify::cuda::gram_matrix<T>(src, n, d, depth, act, kind, c_res, dst);
  }
  return out;
}

template <typename T>
py::tuple relu_gd_cuda(const CArray<T>& X, const CArray<T>& Y, const CArray<T>& W0, double grad_scale,
                       long iters, bool relaxed, bool strict, long record_every,
                       const std::optional<CArray<T>>& X_test, const std::optional<CArray<T>>& Y_test,
                       const std::optional<CArray<T>>& w_star) {
  auto x = map_matrix<T>(X, "X");
  auto y = map_matrix<T>(Y, "Y");
  auto w = map_matrix<T>(W0, "W0");
  require_nonempty(x, "X");
  require_nonempty(w, "W0");
  require_finite(x, "X");
  require_finite(y, "Y");
  require_finite(w, "W0");
  require_shape(y.rows(), y.cols(), x.rows(), w.rows(), "Y");
  require_shape(w.rows(), w.cols(), w.rows(), x.cols(), "W0");
  require_positive(grad_scale, "step");
  require(iters >= 0, "iters must be >= 0");
  require(record_every >= 1, "record_every must be >= 1");
  convexify::cuda::ReluGDArgs args;
  args.n = x.rows();
  args.d = x.cols();
  args.B = w.rows();
  args.iters = iters;
  args.record_every = record_every;
  args.grad_scale = grad_scale;
  args.relaxed = relaxed;
  args.strict = strict;
  const T* xt = nullptr;
  const T* yt = nullptr;
  if (X_test && Y_test) {
    auto mxt = map_matrix<T>(*X_test, "X_test");
    auto myt = map_matrix<T>(*Y_test, "Y_test");
    require_finite(mxt, "X_test");
    require_finite(myt, "Y_test");
    require_shape(mxt.rows(), mxt.cols(), mxt.rows(), args.d, "X_test");
    require_shape(myt.rows(), myt.cols(), mxt.rows(), args.B, "Y_test");
    args.n_test = mxt.rows();
    xt = X_test->data();
    yt = Y_test->data();
  }
  const T* ws = nullptr;
  if (w_star) {
    auto mws = map_matrix<T>(*w_star, "w_star");
    require_shape(mws.rows(), mws.cols(), args.B, args.d, "w_star");
    require_finite(mws, "w_star");
    ws = w_star->data();
  }
  require_device();
  const long rows = iters / record_every + 1;
  py::array_t<T> W({args.B, args.d});
  std::copy(W0.data(), W0.data() + args.B * args.d, W.mutable_data());
  std::vector<double> train(rows * args.B), test(xt ? rows * args.B : 0), rec(ws ? rows * args.B : 0);
  long recorded = 0;
  {
    py::gil_scoped_release release;
    recorded =
        convexify::cuda::relu_gd<T>(args, X.data(), Y.data(), W.mutable_data(), xt, yt, ws, train.data(),
                                    xt ? test.data() : nullptr, ws ? rec.data() : nullptr);
  }
  auto to_array = [&](const std::vector<double>& v) -> py::object {
    if (v.empty()) return py::none();
    py::array_t<double> a({recorded, args.B});
    std::copy(v.begin(), v.begin() + recorded * args.B, a.mutable_data());
    return a;
  };
  return py::make_tuple(W, to_array(train), to_array(test), to_array(rec));
}
#endif

}  // namespace

void bind_cuda(py::module_& m) {
#ifdef CONVEXIFY_HAVE_CUDA
  m.def("cuda_device_count", &convexify::cuda::device_count, "Number of usable CUDA devices.");
  m.def("cuda_device_names", &convexify::cuda::device_names, "Names of the visible CUDA devices.");
  m.def("cuda_unavailable_reason", &convexify::cuda::unavailable_reason, "Why no CUDA device is usable.");
  // float64 and float32 overloads of one name: pybind11 picks by the dtype of X (noconvert: no silent casts).
  m.def("gram_matrix_cuda", &gram_cuda<double>, py::arg("X").noconvert(), py::arg("depth"),
        py::arg("activation"), py::arg("arch"), py::arg("c_res"),
        "K^(H) on the GPU (ReLU/erf, FC/ResNet); see docs/gram.md#fc.");
  m.def("gram_matrix_cuda", &gram_cuda<float>, py::arg("X").noconvert(), py::arg("depth"),
        py::arg("activation"), py::arg("arch"), py::arg("c_res"));
  m.def("relu_gd_cuda", &relu_gd_cuda<double>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("W0").noconvert(), py::arg("grad_scale"), py::arg("iters"), py::arg("relaxed"),
        py::arg("strict"), py::arg("record_every"), py::arg("X_test").noconvert(),
        py::arg("Y_test").noconvert(), py::arg("w_star").noconvert(),
        "Batched ReLU GD on the GPU; see docs/relu.md#gd.");
  m.def("relu_gd_cuda", &relu_gd_cuda<float>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
        py::arg("W0").noconvert(), py::arg("grad_scale"), py::arg("iters"), py::arg("relaxed"),
        py::arg("strict"), py::arg("record_every"), py::arg("X_test").noconvert(),
        py::arg("Y_test").noconvert(), py::arg("w_star").noconvert());
#else
  m.def(
      "cuda_device_count", []() { return 0; },
      "Number of usable CUDA devices (0: CUDA was not compiled in).");
  m.def(
      "cuda_device_names", []() { return std::vector<std::string>{}; }, "Names of the visible CUDA devices.");
  m.def(
      "cuda_unavailable_reason", []() { return std::string("convexify was built without CUDA"); },
      "Why no CUDA device is usable.");
#endif
}

}  // namespace convexify::bindings
