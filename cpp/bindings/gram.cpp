// Bindings for lens "gram" (filled in by the lens's issue).
#include "bindings.hpp"

namespace convexify::bindings {

void bind_gram(py::module_& m) { (void)m; }

}  // namespace convexify::bindings
