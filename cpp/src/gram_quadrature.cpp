// Activations, probabilists' Gauss-Hermite rules and c_sigma for lens 3 (see docs/gram.md#closed-forms and
// docs/gram.md#quadrature).
#include <Eigen/Eigenvalues>
#include <cmath>

#include "convexify/checks.hpp"
#include "convexify/gram.hpp"

namespace convexify::gram {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
}  // namespace

bool has_closed_form(Activation act) {
  return act == Activation::relu || act == Activation::erf;
}

namespace {

// Orthonormal probabilists' Hermite polynomials p_0 = 1, p_{j+1} = (t p_j - sqrt(j) p_{j-1}) / sqrt(j+1),
// evaluated with rescaling so that large |t| and q do not overflow.  Returns p_{q-1}(t) and p_q(t) (sharing
// one scale factor, enough for the Newton ratio) and log(sum_{j<q} p_j(t)^2) = -log(weight).
struct HermiteEval {
  double p_prev, p, log_sum;
};

HermiteEval hermite_orthonormal(double t, int q) {
  double p_prev = 0.0, p = 1.0, sum = 1.0, log_scale = 0.0;
  const double big = 1e100;
  for (int j = 0; j < q; ++j) {
    const double next =
        (t * p - std::sqrt(static_cast<double>(j)) * p_prev) / std::sqrt(static_cast<double>(j + 1));
    p_prev = p;
    p = next;
    if (j + 1 < q) sum += p * p;
    if (std::abs(p) > big) {
      p /= big;
      p_prev /= big;
      sum /= big * big;
      log_scale += 2.0 * std::log(big);
    }
  }
  return {p_prev, p, std::log(sum) + log_scale};
}

}  // namespace

GaussHermite gauss_hermite(int q) {
  require_range(q, 1, 400, "quadrature_order");
  GaussHermite rule;
  rule.nodes.assign(q, 0.0);
  rule.weights.assign(q, 1.0);
  if (q == 1) return rule;
  // Golub-Welsch for starting nodes (Jacobi matrix of the recurrence), then Newton on p_q with
  // p_q' = sqrt(q) p_{q-1}, and weights 1 / sum_{j<q} p_j(t_k)^2 (Christoffel numbers), which keeps the
  // tiny outer weights accurate to relative round-off (eigenvector components do not).
  Eigen::VectorXd diagonal = Eigen::VectorXd::Zero(q);
  Eigen::VectorXd sub(q - 1);
  for (int k = 1; k < q; ++k) sub[k - 1] = std::sqrt(static_cast<double>(k));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(diagonal, sub, Eigen::EigenvaluesOnly);
  const Eigen::VectorXd& t0 = es.eigenvalues();
  std::vector<double> t(q), w(q);
  for (int k = 0; k < q; ++k) {
    double x = 0.5 * (t0[k] - t0[q - 1 - k]);  // symmetric about 0
    for (int it = 0; it < 3; ++it) {
      const HermiteEval e = hermite_orthonormal(x, q);
      if (e.p_prev == 0.0) break;
      x -= e.p / (std::sqrt(static_cast<double>(q)) * e.p_prev);
    }
    t[k] = x;
  }
  for (int k = 0; k < q; ++k) {
    const int m = q - 1 - k;
    rule.nodes[k] = 0.5 * (t[k] - t[m]);
    if (q % 2 == 1 && k == q / 2) rule.nodes[k] = 0.0;
  }
  double total = 0.0;
  for (int k = 0; k < q; ++k) {
    w[k] = std::exp(-hermite_orthonormal(rule.nodes[k], q).log_sum);
    total += w[k];
  }
  for (int k = 0; k < q; ++k) rule.weights[k] = 0.5 * (w[k] + w[q - 1 - k]) / total;
  return rule;
}

double activation_value(Activation act, double x) {
  switch (act) {
    case Activation::relu:
      return x > 0.0 ? x : 0.0;
    case Activation::erf:
      return std::erf(x);
    case Activation::tanh:
      return std::tanh(x);
    case Activation::softplus:
      return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Activation::sigmoid:
      if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
      {
        const double e = std::exp(x);
        return e / (1.0 + e);
      }
    case Activation::gelu:
      return x * 0.5 * std::erfc(-x * kSqrt1_2);
  }
  return 0.0;
}

double activation_derivative(Activation act, double x) {
  switch (act) {
    case Activation::relu:
      return x > 0.0 ? 1.0 : 0.0;
    case Activation::erf:
      return 2.0 / std::sqrt(kPi) * std::exp(-x * x);
    case Activation::tanh: {
      const double th = std::tanh(x);
      return 1.0 - th * th;
    }
    case Activation::softplus:
      return activation_value(Activation::sigmoid, x);
    case Activation::sigmoid: {
      const double s = activation_value(Activation::sigmoid, x);
      return s * (1.0 - s);
    }
    case Activation::gelu:
      return 0.5 * std::erfc(-x * kSqrt1_2) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x);
  }
  return 0.0;
}

double c_sigma(Activation act) {
  if (act == Activation::relu) return 2.0;
  if (act == Activation::erf) return 1.0 / ((2.0 / kPi) * std::asin(2.0 / 3.0));
  const GaussHermite rule = gauss_hermite(200);
  double second_moment = 0.0;
  for (int k = 0; k < 200; ++k) {
    const double s = activation_value(act, rule.nodes[k]);
    second_moment += rule.weights[k] * s * s;
  }
  return 1.0 / second_moment;
}

}  // namespace convexify::gram
