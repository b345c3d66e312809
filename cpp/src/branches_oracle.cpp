// Heuristic neuron oracle for the duality-gap bracket (see docs/branches.md#bracket): multistart fixed-point
// ascent on u -> sum_j c_j relu(u . x_j) over the unit sphere.  Returns a lower bound on M+(c).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "convexify/branches.hpp"
#include "convexify/interrupt.hpp"
#include "convexify/threads.hpp"

namespace convexify::branches {

OracleResult neuron_oracle(const Eigen::Ref<const ColMatrix<double>>& Xt,
                           const Eigen::Ref<const Vector<double>>& c,
                           const Eigen::Ref<const RowMatrix<double>>& starts, int iterations) {
  require_nonempty(Xt, "X");
  require_finite(Xt, "X");
  const Eigen::Index d = Xt.rows(), n = Xt.cols(), S = starts.rows();
  require(c.size() == n, "c must have one entry per row of X: X has " + std::to_string(n) + " rows, c has " +
                             std::to_string(c.size()));
  require_finite(c, "c");
  require_nonempty(starts, "starts");
  require_shape(starts.rows(), starts.cols(), S, d, "starts");
  require_finite(starts, "starts");
  require(iterations >= 0, "iterations must be >= 0, got " + std::to_string(iterations));

  OracleResult out;
  out.start_values = Vector<double>::Zero(S);
  out.start_u = RowMatrix<double>::Zero(S, d);
  const int nt = threads_for(static_cast<long long>(S) * (iterations + 1) * n * d, 2'000'000LL);
  // Ctrl-C: the calling thread polls between ascent steps; every thread abandons its start and skips the
  // starts left once it is seen (dynamic schedule: starts are independent, the result does not depend on
  // which thread runs which).
  std::atomic<bool> stop{false};
#ifdef CONVEXIFY_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic)
#endif
  for (Eigen::Index s = 0; s < S; ++s) {
    if (stop.load(std::memory_order_relaxed)) continue;
    Vector<double> u = starts.row(s).transpose();
    const double nu = u.norm();
    if (!(nu > 0.0)) continue;  // a zero start has value 0
    u /= nu;
    Vector<double> z(n), w(n), G(d), trial(d);
    // value of a unit vector v, and the masked weights w = c o 1[X v > 0] (so that G = X^T w)
    auto evaluate = [&](const Vector<double>& v) {
      z.noalias() = Xt.transpose() * v;
      double value = 0.0;
      for (Eigen::Index j = 0; j < n; ++j) {
        const bool active = z[j] > 0.0;
        value += active ? c[j] * z[j] : 0.0;
        w[j] = active ? c[j] : 0.0;
      }
      return value;
    };
    double current = evaluate(u);
    double best = std::max(current, 0.0);
    if (current > 0.0) out.start_u.row(s) = u.transpose();
    for (int it = 0; it < iterations; ++it) {
      if (stop.load(std::memory_order_relaxed)) break;
      if (interrupted()) {
        stop.store(true, std::memory_order_relaxed);
        break;
      }
      G.noalias() = Xt * w;
      const double ng = G.norm();
      if (!(ng > 0.0)) break;  // no active sample pulls u anywhere
      // u <- normalise(u + t (G/||G|| - u)), t = 1/2 (see docs/branches.md#bracket); halve t while the value
      // does not improve
      // (the undamped map can overshoot into cells where the objective is lower).
      bool moved = false;
      for (double t = 0.5; t > 1e-3; t *= 0.5) {
        trial = (1.0 - t) * u + (t / ng) * G;
        const double nt = trial.norm();
        if (!(nt > 0.0)) continue;
        trial /= nt;
        const double value = evaluate(trial);
        if (value > current) {
          u = trial;
          current = value;
          moved = true;
          break;
        }
      }
      if (!moved) break;  // a local maximum to within the smallest step
      if (current > best) {
        best = current;
        out.start_u.row(s) = u.transpose();
      }
    }
    out.start_values[s] = best;
  }
  throw_if_interrupted();
  Eigen::Index arg = 0;
  out.value = out.start_values.maxCoeff(&arg);
  out.u = out.start_u.row(arg).transpose();
  if (!(out.value > 0.0)) {
    out.value = 0.0;
    out.u.setZero();
  }
  return out;
}

}  // namespace convexify::branches
