// Bindings for lens "branches" (filled in by the lens's issue).
#include "bindings.hpp"

namespace convexify::bindings {

void bind_branches(py::module_& m) { (void)m; }

}  // namespace convexify::bindings
