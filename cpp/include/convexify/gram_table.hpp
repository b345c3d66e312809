// Piecewise Chebyshev interpolation on uniform panels, used by lens 3 to replace per-pair evaluations of a
// one-variable map (a dual activation, or the whole ReLU angle recursion) by an O(1) lookup (SPEC 4.7).
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

namespace convexify::gram {

class ChebTable {
 public:
  // Fit f on [lo, hi] with `degree`-degree Chebyshev interpolants on uniform panels, doubling the number of
  // panels (from start_panels up to max_panels) until the error at check points between the nodes (the panel
  // midpoints and two further points per node gap) is <= tol.  Returns whether tol was met; error() is the
  // measured maximum (absolute) error of the last fit.
  bool build(const std::function<double(double)>& f, double lo, double hi, int degree, double tol,
             int start_panels, int max_panels);

  double operator()(double x) const {
    const double u = (x - lo_) * inv_width_;
    int p = static_cast<int>(u);
    p = std::min(std::max(p, 0), panels_ - 1);
    const double s = 2.0 * (u - p) - 1.0;
    const double* c = &coef_[static_cast<std::size_t>(p) * n_];
    // Clenshaw recurrence for sum_j c_j T_j(s).
    double b1 = 0.0, b2 = 0.0;
    const double s2 = 2.0 * s;
    for (int j = n_ - 1; j >= 1; --j) {
      const double b0 = c[j] + s2 * b1 - b2;
      b2 = b1;
      b1 = b0;
    }
    return c[0] + s * b1 - b2;
  }

  double error() const { return error_; }
  int panels() const { return panels_; }
  long long evaluations() const { return evaluations_; }

 private:
  double lo_ = 0.0, inv_width_ = 1.0, error_ = 0.0;
  int panels_ = 0, n_ = 0;
  long long evaluations_ = 0;
  std::vector<double> coef_;
};

}  // namespace convexify::gram
