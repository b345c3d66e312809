// Bindings for lens "linear" (filled in by the lens's issue).
#include "bindings.hpp"

namespace convexify::bindings {

void bind_linear(py::module_& m) { (void)m; }

}  // namespace convexify::bindings
