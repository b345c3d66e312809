// Piecewise Chebyshev tables for lens 3 (see gram_table.hpp).
#include "convexify/gram_table.hpp"

#include "convexify/interrupt.hpp"

#include <cmath>

namespace convexify::gram {

bool ChebTable::build(const std::function<double(double)>& f, double lo, double hi, double tol,
                      int start_panels, int max_panels) {
  constexpr double kPi = 3.14159265358979323846;
  n_ = kCoefficients;
  lo_ = lo;
  evaluations_ = 0;
  std::vector<double> cosines(static_cast<std::size_t>(n_) * n_);
  for (int j = 0; j < n_; ++j)
    for (int k = 0; k < n_; ++k) cosines[j * n_ + k] = std::cos(kPi * j * (k + 0.5) / n_);
  std::vector<double> values(n_);
  for (int panels = start_panels;; panels *= 2) {
    panels_ = panels;
    const double width = (hi - lo) / panels;
    inv_width_ = 1.0 / width;
    coef_.assign(static_cast<std::size_t>(panels) * n_, 0.0);
    for (int p = 0; p < panels; ++p) {
      throw_if_interrupted();  // a table of a smooth activation at depth 6 can take seconds
      const double a = lo + p * width;
      for (int k = 0; k < n_; ++k) {
        const double s = std::cos(kPi * (k + 0.5) / n_);  // Chebyshev points of the first kind
        values[k] = f(a + 0.5 * (s + 1.0) * width);
      }
      evaluations_ += n_;
      double* c = &coef_[static_cast<std::size_t>(p) * n_];
      for (int j = 0; j < n_; ++j) {
        double sum = 0.0;
        for (int k = 0; k < n_; ++k) sum += values[k] * cosines[j * n_ + k];
        c[j] = (j == 0 ? 1.0 : 2.0) * sum / n_;
      }
    }
    // Monomial coefficients: T_0 = 1, T_1 = s, T_{j+1} = 2 s T_j - T_{j-1}.
    mono_.assign(coef_.size(), 0.0);
    std::vector<double> t_prev(n_, 0.0), t_cur(n_, 0.0), t_next(n_, 0.0);
    for (int p = 0; p < panels; ++p) {
      const double* c = &coef_[static_cast<std::size_t>(p) * n_];
      double* m = &mono_[static_cast<std::size_t>(p) * n_];
      std::fill(t_prev.begin(), t_prev.end(), 0.0);
      std::fill(t_cur.begin(), t_cur.end(), 0.0);
      t_prev[0] = 1.0;  // T_0
      m[0] += c[0];
      if (n_ > 1) {
        t_cur[1] = 1.0;  // T_1
        m[1] += c[1];
      }
      for (int j = 2; j < n_; ++j) {
        for (int k = 0; k < n_; ++k) t_next[k] = (k > 0 ? 2.0 * t_cur[k - 1] : 0.0) - t_prev[k];
        for (int k = 0; k < n_; ++k) m[k] += c[j] * t_next[k];
        t_prev.swap(t_cur);
        t_cur.swap(t_next);
      }
    }
    // Verify between the nodes of every panel (and at the panel edges).
    error_ = 0.0;
    for (int p = 0; p < panels; ++p) {
      throw_if_interrupted();  // a table of a smooth activation at depth 6 can take seconds
      const double a = lo + p * width;
      for (int k = 0; k <= n_; ++k) {
        const double s0 = k == 0 ? 1.0 : std::cos(kPi * (k - 0.5) / n_);
        const double s1 = k == n_ ? -1.0 : std::cos(kPi * (k + 0.5) / n_);
        for (double frac : {0.5, 0.2}) {
          const double s = s0 + frac * (s1 - s0);
          const double x = a + 0.5 * (s + 1.0) * width;
          error_ = std::max(error_, std::abs((*this)(x)-f(x)));
          ++evaluations_;
        }
      }
    }
    if (error_ <= tol) return true;
    if (panels * 2 > max_panels) return false;
  }
}

}  // namespace convexify::gram
