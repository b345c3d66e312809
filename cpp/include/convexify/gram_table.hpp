// Piecewise Chebyshev interpolation on uniform panels, used by lens 3 to replace per-pair evaluations of a
// one-variable map (a dual activation, or the whole ReLU angle recursion) by an O(1) lookup (see
// docs/gram.md#quadrature).
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

namespace convexify::gram {

class ChebTable {
 public:
  // Fit f on [lo, hi] with degree-7 Chebyshev interpolants on uniform panels, doubling the number of
  // panels (from start_panels up to max_panels) until the error at check points between the nodes (the panel
  // midpoints and two further points per node gap) is <= tol.  Returns whether tol was met; error() is the
  // measured maximum (absolute) error of the last fit.
  bool build(const std::function<double(double)>& f, double lo, double hi, double tol, int start_panels,
             int max_panels);

  double operator()(double x) const {
    const double u = (x - lo_) * inv_width_;
    int p = static_cast<int>(u);
    p = std::min(std::max(p, 0), panels_ - 1);
    const double s = 2.0 * (u - p) - 1.0;
    // Degree-7 polynomial in s in [-1, 1] on the panel's monomial coefficients (converted from the Chebyshev
    // fit; the panels are narrow, so the coefficients decay fast and the conversion loses nothing measurable
    // -- build() verifies this very evaluator).  Estrin's scheme: short dependency chains, so evaluations
    // for consecutive pairs overlap in the pipeline.
    const double* c = &mono_[static_cast<std::size_t>(p) * kCoefficients];
    const double s2 = s * s;
    const double s4 = s2 * s2;
    const double p01 = c[0] + c[1] * s, p23 = c[2] + c[3] * s, p45 = c[4] + c[5] * s, p67 = c[6] + c[7] * s;
    return (p01 + s2 * p23) + s4 * (p45 + s2 * p67);
  }

  static constexpr int kDegree = 7;
  static constexpr int kCoefficients = kDegree + 1;

  double error() const { return error_; }
  int panels() const { return panels_; }
  long long evaluations() const { return evaluations_; }

 private:
  double lo_ = 0.0, inv_width_ = 1.0, error_ = 0.0;
  int panels_ = 0, n_ = 0;
  long long evaluations_ = 0;
  std::vector<double> coef_;  // Chebyshev coefficients per panel
  std::vector<double> mono_;  // the same polynomials in the monomial basis
};

}  // namespace convexify::gram
