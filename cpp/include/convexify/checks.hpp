// Argument checks shared by the C++ core.  The core never trusts its caller: every public entry point
// re-checks shapes, finiteness and ranges and throws std::invalid_argument (-> Python ValueError /
// convexify.InputError) with a message that names the argument.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace convexify {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ColMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

[[noreturn]] inline void fail(const std::string& message) {
  throw std::invalid_argument(message);
}

inline void require(bool condition, const std::string& message) {
  if (!condition) fail(message);
}

template <typename Derived>
void require_finite(const Eigen::DenseBase<Derived>& a, const char* name) {
  if (!a.allFinite()) fail(std::string(name) + " contains NaN or Inf");
}

template <typename Derived>
void require_nonempty(const Eigen::DenseBase<Derived>& a, const char* name) {
  if (a.size() == 0) {
    std::ostringstream s;
    s << name << " must be non-empty, got shape (" << a.rows() << ", " << a.cols() << ")";
    fail(s.str());
  }
}

inline void require_shape(Eigen::Index rows, Eigen::Index cols, Eigen::Index want_rows,
                          Eigen::Index want_cols, const char* name) {
  if (rows != want_rows || cols != want_cols) {
    std::ostringstream s;
    s << name << " must have shape (" << want_rows << ", " << want_cols << "), got (" << rows << ", " << cols
      << ")";
    fail(s.str());
  }
}

inline void require_positive(double v, const char* name) {
  if (!(v > 0.0) || !std::isfinite(v)) {
    std::ostringstream s;
    s << name << " must be a finite positive number, got " << v;
    fail(s.str());
  }
}

inline void require_nonnegative(double v, const char* name) {
  if (!(v >= 0.0) || !std::isfinite(v)) {
    std::ostringstream s;
    s << name << " must be a finite non-negative number, got " << v;
    fail(s.str());
  }
}

inline void require_range(long long v, long long lo, long long hi, const char* name) {
  if (v < lo || v > hi) {
    std::ostringstream s;
    s << name << " must be in [" << lo << ", " << hi << "], got " << v;
    fail(s.str());
  }
}

}  // namespace convexify
