// The per-pair Gram recursion of lens 3 (docs/gram.md#fc, docs/gram.md#resnet, docs/gram.md#closed-forms,
// docs/gram.md#quadrature) and of the NNGP / NTK (docs/gram.md#ntk): side information (diagonals, ResNet b and
// mu, quadrature u-sides, tables) for every row once, then any pair (i, j) given <x_i, x_j>.  Internal to the
// core: gram_kernel.cpp (dense matrices) and gram_tiles.cpp (blocks of any shape) share it, so every entry is
// computed by the same code whichever path asks for it.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "convexify/checks.hpp"
#include "convexify/gram.hpp"
#include "convexify/gram_table.hpp"
#include "convexify/interrupt.hpp"
#include "gram_dot.hpp"

namespace convexify::gram::detail {

constexpr double kPi = 3.14159265358979323846;
constexpr double kInvPi = 0.31830988618379067154;
constexpr double kInv2Pi = 0.15915494309189533577;
// Tables pay only when there are many more pairs than table-building evaluations.
constexpr double kTablePairs = 20000.0;
constexpr int kMaxDepthStack = 64;
// Gauss-Hermite weights below this fraction of the largest are dropped from the 2-D sums: their total
// contribution is below round-off relative to the result (documented in convexify.gram).
constexpr double kWeightCut = 1e-22;

using Index = std::int64_t;
using RowMap = Eigen::Map<const RowMatrix<double>>;

// sin t - t cos t without cancellation (rule 3 of docs/gram.md#closed-forms).
inline double sin_minus_t_cos(double t) {
  if (t < 1e-2) {
    const double t2 = t * t;
    return t * t2 * (1.0 / 3.0 - t2 * (1.0 / 30.0 - t2 / 840.0));
  }
  return std::sin(t) - t * std::cos(t);
}

// One ReLU layer on the angle (rule 2 of docs/gram.md#closed-forms): cos t' = (sin t + (pi - t) cos t) / pi,
// carried as 1 - cos t' = (2 pi sin^2(t/2) - (sin t - t cos t)) / pi.  The state is (t, s, c) with s =
// sin(t/2), c = cos(t/2), so sin t = 2 s c and cos t = c^2 - s^2 need no trigonometric call; the new
// half-angle sine is s' = sqrt((1 - cos t') / 2) and c' = sqrt(1 - s'^2) has no cancellation because t' <=
// pi/2.
struct HalfAngle {
  double t, s, c;
};

inline double relu_angle_step(HalfAngle& a) {
  const double S = a.t < 1e-2 ? sin_minus_t_cos(a.t) : 2.0 * a.s * a.c - a.t * (a.c - a.s) * (a.c + a.s);
  double one_minus_cos = (2.0 * kPi * a.s * a.s - S) * kInvPi;
  one_minus_cos = std::min(std::max(one_minus_cos, 0.0), 2.0);
  a.s = std::sqrt(0.5 * one_minus_cos);
  a.c = std::sqrt(1.0 - 0.5 * one_minus_cos);
  a.t = 2.0 * std::asin(a.s);
  return 1.0 - one_minus_cos;  // cos t'
}

inline double clip_rho(double rho) {
  return std::min(1.0, std::max(-1.0, rho));
}

// sqrt(a b) for a, b >= 0 without overflow or underflow of the product (variances near 1e+-300 from rows at
// scales near 1e+-150 with unit_norm='ignore').  Where the product is a normal number this is the plain
// form; elsewhere the mantissas are multiplied and the power of two is halved exactly, so the result is the
// plain form's bits scaled by a power of two (sqrt_prod(a, a) == a stays exact, which the sigma'-kernels at
// rho = 1 rely on).
inline double sqrt_prod(double a, double b) {
  const double p = a * b;
  if (p >= std::numeric_limits<double>::min() && p <= std::numeric_limits<double>::max()) return std::sqrt(p);
  if (p == 0.0 && (a == 0.0 || b == 0.0)) return 0.0;
  int ea = 0, eb = 0;
  double fa = std::frexp(a, &ea);
  const double fb = std::frexp(b, &eb);
  int e = ea + eb;
  if (e % 2 != 0) {
    fa *= 2.0;
    e -= 1;
  }
  return std::ldexp(std::sqrt(fa * fb), e / 2);
}

// The erf closed forms (docs/gram.md#closed-forms) for (u, v) ~ N(0, [[a, c], [c, b]]) in a form that
// neither overflows nor cancels: with p_a = 1 / (1 + 2a) and q_a = a / (1 + 2a) (so p_a + 2 q_a = 1),
//   E[erf(u) erf(v)] = (2/pi) asin(2c / sqrt((1 + 2a)(1 + 2b))) = (2/pi) asin(c / sqrt((a + 1/2)(b + 1/2))),
//   E[erf'(u) erf'(v)] = (4/pi) / sqrt((1 + 2a)(1 + 2b) - 4c^2) = (4/pi) sqrt(p_a p_b) / sqrt(D),
//   D = p_a p_b + 2 q_a p_b + 2 p_a q_b + 4 q_a q_b (1 - rho^2),
// rho = c / sqrt(a b): every term of D is >= 0, so the determinant keeps its digits when
// a, b >> 1 (where (1 + 2a)(1 + 2b) - 4c^2 cancels) and does not overflow.
inline double erf_sigma(double a, double b, double c) {
  const double prod = (1.0 + 2.0 * a) * (1.0 + 2.0 * b);
  if (prod <= std::numeric_limits<double>::max())
    return 2.0 * kInvPi * std::asin(clip_rho(2.0 * c / std::sqrt(prod)));
  return 2.0 * kInvPi * std::asin(clip_rho(c / sqrt_prod(0.5 + a, 0.5 + b)));  // exactly 1 at a = b = c
}

inline double erf_deriv(double a, double b, double c) {
  const double pa = 0.5 / (0.5 + a), pb = 0.5 / (0.5 + b);
  const double qa = 0.5 * a / (0.5 + a), qb = 0.5 * b / (0.5 + b);
  const double sab = sqrt_prod(a, b);
  const double rho = sab > 0.0 ? clip_rho(c / sab) : 0.0;
  const double det = pa * pb + 2.0 * (qa * pb + pa * qb) + 4.0 * qa * qb * ((1.0 - rho) * (1.0 + rho));
  return 4.0 * kInvPi * std::sqrt(pa) * std::sqrt(pb) / std::sqrt(det);
}

// Ctrl-C inside a parallel loop (docs/conventions.md#threads): the calling thread polls the host through
// interrupted(), every thread reads the loop's shared flag, so all of them skip the work left.
class StopFlag {
 public:
  bool check() const {
    if (stop_.load(std::memory_order_relaxed)) return true;
    if (!interrupted()) return false;
    stop_.store(true, std::memory_order_relaxed);
    return true;
  }

 private:
  mutable std::atomic<bool> stop_{false};
};

class Recursion {
 public:
  // ntk_layers > 0: also tabulate the derivative u-sides of layers 0..ntk_layers-1 for ntk_pair().
  Recursion(const double* X, Index n, Index d, const GramOptions& opt, int ntk_layers = 0)
      : X_(X),
        n_(n),
        d_(d),
        H_(opt.depth),
        act_(opt.activation),
        arch_(opt.arch),
        cs_(c_sigma(opt.activation)),
        r_(opt.c_res / opt.depth),
        angle_form_(opt.activation == Activation::relu && opt.arch == Arch::fc),
        quadrature_(!has_closed_form(opt.activation)),
        ntk_layers_(ntk_layers) {
    norm2_.resize(n);
    norm_.resize(n);
    for (Index i = 0; i < n; ++i) {
      const double* xi = X + i * d;
      const double s = dot_fixed(xi, xi, d);  // the bits of K^(0)_ii in every tile (gram_dot.hpp)
      require(s > 0.0, "X has a zero row (row " + std::to_string(i) + "): the angle to it is undefined");
      norm2_[i] = s;
      norm_[i] = std::sqrt(s);
    }
    if (quadrature_) {
      GaussHermite rule = gauss_hermite(opt.quadrature_order);
      const double wmax = *std::max_element(rule.weights.begin(), rule.weights.end());
      for (std::size_t k = 0; k < rule.nodes.size(); ++k) {
        if (rule.weights[k] >= kWeightCut * wmax) {
          nodes_.push_back(rule.nodes[k]);
          weights_.push_back(rule.weights[k]);
        }
      }
      q_ = static_cast<Index>(nodes_.size());
      GaussHermite mean_rule = gauss_hermite(128);
      mean_nodes_ = mean_rule.nodes;
      mean_weights_ = mean_rule.weights;
    }
    build_side();
    const double pairs = 0.5 * static_cast<double>(n) * static_cast<double>(n - 1);
    if (opt.tables == TableMode::table || (opt.tables == TableMode::automatic && pairs >= kTablePairs))
      build_tables();
  }

  const GramSide& side() const { return side_; }

  // All layer values of pair (i, j), i != j, given k0 = <x_i, x_j>; vals has H + 1 entries.
  void pair(Index i, Index j, double k0, double* vals) const {
    vals[0] = k0;
    if (angle_form_) {
      relu_fc_pair(i, j, k0, vals);
      return;
    }
    const auto& diag = side_.diag;
    double c = k0;
    if (arch_ == Arch::fc) {
      for (int h = 1; h < H_; ++h) {
        c = cs_ * e_sigma(h - 1, i, j, diag[h - 1][i], diag[h - 1][j], c);
        vals[h] = c;
      }
      vals[H_] = cs_ * c * e_deriv(H_ - 1, i, diag[H_ - 1][i], diag[H_ - 1][j], c);
      return;
    }
    c = cs_ * e_sigma(0, i, j, diag[0][i], diag[0][j], c);
    vals[1] = c;
    for (int h = 2; h < H_; ++h) {
      const auto& b = side_.b[h - 1];
      const auto& mu = mu_[h - 1];
      // Cross terms pair b of one point with mu of the other (see docs/gram.md#resnet).
      c = c + r_ * (b[i] * mu[j] + mu[i] * b[j]) +
          r_ * r_ * e_sigma(h - 1, i, j, diag[h - 1][i], diag[h - 1][j], c);
      vals[h] = c;
    }
    vals[H_] = r_ * r_ * c * e_deriv(H_ - 1, i, diag[H_ - 1][i], diag[H_ - 1][j], c);
  }

  // Pairs (i, j0 + b), b < count, of one tile row; vals[h * count + b] = K^(h), h = 0..H.  Table paths run
  // layer-major over the row so that the per-pair evaluations are independent (throughput-bound).  The direct
  // quadrature path (up to ~1e-2 s a pair at depth 1e4) checks `stop` between pairs and returns early (the
  // values are then incomplete and the caller throws).
  void row(Index i, Index j0, Index count, const double* k0, double* vals, const StopFlag& stop) const {
    const auto& diag = side_.diag;
    for (Index b = 0; b < count; ++b) vals[b] = k0[b];
    if (!relu_tables_.empty()) {
      const double ni = norm_[i];
      for (int h = 1; h <= H_; ++h) {
        const ChebTable& T = relu_tables_[h - 1];
        double* v = vals + h * count;
        for (Index b = 0; b < count; ++b) {
          const double nn = ni * norm_[j0 + b];
          v[b] = nn * T(std::min(std::max(k0[b] / nn, -0.9), 0.9));
        }
      }
      for (Index b = 0; b < count; ++b) {
        const Index j = j0 + b;
        if (j != i && std::abs(k0[b] / (ni * norm_[j])) <= 0.9) continue;
        fix_up(i, j, k0[b], vals + b, count);
      }
      return;
    }
    if (all_tables_) {
      const double sc = arch_ == Arch::fc ? cs_ : r_ * r_;
      for (int h = 1; h <= H_; ++h) {
        const double* prev = vals + (h - 1) * count;
        double* v = vals + h * count;
        const auto& dp = diag[h - 1];
        const double di = dp[i];
        const ChebTable& T = h < H_ ? sig_tables_[h - 1] : der_table_;
        if (h == H_) {
          for (Index b = 0; b < count; ++b)
            v[b] = sc * prev[b] * T(std::acos(clip_rho(prev[b] / sqrt_prod(di, dp[j0 + b]))));
        } else if (arch_ == Arch::fc || h == 1) {
          for (Index b = 0; b < count; ++b)
            v[b] = cs_ * T(std::acos(clip_rho(prev[b] / sqrt_prod(di, dp[j0 + b]))));
        } else {
          const auto& bb = side_.b[h - 1];
          const auto& mu = mu_[h - 1];
          for (Index b = 0; b < count; ++b) {
            const Index j = j0 + b;
            v[b] = prev[b] + r_ * (bb[i] * mu[j] + mu[i] * bb[j]) +
                   r_ * r_ * T(std::acos(clip_rho(prev[b] / sqrt_prod(di, dp[j]))));
          }
        }
      }
      for (Index b = 0; b < count; ++b)
        if (j0 + b == i) fix_up(i, i, k0[b], vals + b, count);
      return;
    }
    for (Index b = 0; b < count; ++b) {
      if (quadrature_ && stop.check()) return;
      fix_up(i, j0 + b, k0[b], vals + b, count);
    }
  }

  // One pair by the direct path (or the diagonal), written with stride `stride`.
  void fix_up(Index i, Index j, double k0, double* dst, Index stride) const {
    double tmp[kMaxDepthStack];
    std::vector<double> heap;
    double* v = tmp;
    if (H_ + 1 > kMaxDepthStack) {
      heap.resize(H_ + 1);
      v = heap.data();
    }
    if (i == j) {
      diagonal(i, v);
    } else {
      pair(i, j, k0, v);
    }
    for (int h = 0; h <= H_; ++h) dst[h * stride] = v[h];
  }

  void diagonal(Index i, double* vals) const {
    for (int h = 0; h <= H_; ++h) vals[h] = side_.diag[h][i];
  }

  // NNGP Sigma^(L), NTK Theta^(L) and K = Sigma^(L-1) o Sdot^(L) of pair (i, j) for L = ntk_layers_ (the
  // recursion was built with depth L + 1, so diag[h] = Sigma^(h)_ii for h <= L); out[0..2].
  void ntk_pair(Index i, Index j, double k0, double* out) const {
    const int L = ntk_layers_;
    const auto& diag = side_.diag;
    double sig = k0, theta = k0, k_last = 0.0;
    if (angle_form_ && i != j) {
      const double nn = norm_[i] * norm_[j];
      HalfAngle a = initial_angle(i, j, k0 / nn);
      for (int l = 1; l <= L; ++l) {
        const double sdot = (kPi - a.t) * kInvPi;  // c_sigma E[sigma' sigma'] = 2 (pi - theta) / (2 pi)
        k_last = sig * sdot;
        sig = nn * relu_angle_step(a);
        theta = sig + sdot * theta;
      }
    } else {
      if (i == j) sig = theta = diag[0][i];
      for (int l = 1; l <= L; ++l) {
        const double a = diag[l - 1][i], b = diag[l - 1][j];
        double sdot, next;
        if (i == j) {
          sdot = cs_ * e_diag(l - 1, i, a, true);
          next = diag[l][i];
        } else {
          sdot = cs_ * e_deriv(l - 1, i, a, b, sig);
          next = cs_ * e_sigma(l - 1, i, j, a, b, sig);
        }
        k_last = sig * sdot;
        sig = next;
        theta = sig + sdot * theta;
      }
    }
    out[0] = sig;
    out[1] = theta;
    out[2] = k_last;
  }

  int depth() const { return H_; }
  // Whether a pair is expensive enough (2-D quadrature, O(H q^2)) to check for Ctrl-C between pairs.
  bool poll_pairs() const { return quadrature_; }
  // Rough cost of one pair (all layers), in units of a few flops, for the thread-count decision.
  double cost_per_pair() const {
    return quadrature_ && !all_tables_ ? static_cast<double>(H_ * q_ * q_) : 10.0 * H_;
  }

 private:
  // FC ReLU in angle form (see docs/gram.md#closed-forms): K^(h)_ij = |x_i||x_j| cos theta^(h), K^(H) =
  // K^(H-1) (pi - theta^(H-1))/pi.
  void relu_fc_pair(Index i, Index j, double k0, double* vals) const {
    const double ni = norm_[i], nj = norm_[j];
    const double cosine = k0 / (ni * nj);
    const double nn = ni * nj;
    if (!relu_tables_.empty() && std::abs(cosine) <= 0.9) {
      for (int h = 1; h <= H_; ++h) vals[h] = nn * relu_tables_[h - 1](cosine);
      return;
    }
    HalfAngle a = initial_angle(i, j, cosine);
    double prev = k0;
    for (int h = 1; h < H_; ++h) {
      prev = nn * relu_angle_step(a);
      vals[h] = prev;
    }
    vals[H_] = prev * (kPi - a.t) * kInvPi;
  }

  // The angle theta^(0) between x_i and x_j with its half-angle sine and cosine: from the cosine where
  // |cos| <= 0.9, else from the normalised rows so that nearly parallel (or antiparallel) pairs keep their
  // digits.
  HalfAngle initial_angle(Index i, Index j, double cosine) const {
    HalfAngle a;
    if (std::abs(cosine) <= 0.9) {
      a.t = std::acos(cosine);
      a.s = std::sqrt(0.5 * (1.0 - cosine));
      a.c = std::sqrt(0.5 * (1.0 + cosine));
    } else {
      // theta = 2 atan2(|xh_i - xh_j|, |xh_i + xh_j|) (rule 1 of docs/gram.md#closed-forms).
      const double* xi = X_ + i * d_;
      const double* xj = X_ + j * d_;
      const double si = 1.0 / norm_[i], sj = 1.0 / norm_[j];
      double dm = 0.0, dp = 0.0;
      for (Index k = 0; k < d_; ++k) {
        const double u = xi[k] * si, v = xj[k] * sj;
        dm += (u - v) * (u - v);
        dp += (u + v) * (u + v);
      }
      dm = std::sqrt(dm);
      dp = std::sqrt(dp);
      const double hyp = std::hypot(dm, dp);
      a.t = 2.0 * std::atan2(dm, dp);
      a.s = dm / hyp;
      a.c = dp / hyp;
    }
    return a;
  }

  // E[sigma(u) sigma(v)] for (u, v) ~ N(0, [[a, c], [c, b]]) at layer covariance h (pre-tabulated u-side).
  double e_sigma(int h, Index i, Index j, double a, double b, double c) const {
    switch (act_) {
      case Activation::relu: {
        const double sab = sqrt_prod(a, b);
        const double rho = clip_rho(c / sab);
        const double t = std::acos(rho);
        return sab * kInv2Pi * (std::sqrt(std::max(0.0, 1.0 - rho * rho)) + (kPi - t) * rho);
      }
      case Activation::erf:
        return erf_sigma(a, b, c);
      default:
        if (!sig_tables_.empty() && sig_ok_[h])
          return sig_tables_[h](std::acos(clip_rho(c / sqrt_prod(a, b))));
        return quad_pair(&usig_[h][static_cast<std::size_t>(i * q_)], b, c / sqrt_prod(a, b), false);
    }
    (void)j;
  }

  // E[sigma'(u) sigma'(v)] at the covariance built from K^(h) (gram_matrix: h = H - 1).
  double e_deriv(int h, Index i, double a, double b, double c) const {
    switch (act_) {
      case Activation::relu:
        return (kPi - std::acos(clip_rho(c / sqrt_prod(a, b)))) * kInv2Pi;
      case Activation::erf:
        return erf_deriv(a, b, c);
      default:
        if (der_ok_ && h == H_ - 1) return der_table_(std::acos(clip_rho(c / sqrt_prod(a, b))));
        return quad_pair(&uder_[h][static_cast<std::size_t>(i * q_)], b, c / sqrt_prod(a, b), true);
    }
  }

  // sum_s [w_s g(sqrt(a) t_s)] sum_t w_t g(sqrt(b) (rho t_s + sqrt(1 - rho^2) t_t))
  // (docs/gram.md#quadrature).
  double quad_pair(const double* u_side, double b, double rho, bool deriv) const {
    rho = clip_rho(rho);
    const double sb = std::sqrt(b);
    const double a1 = sb * rho, a2 = sb * std::sqrt(std::max(0.0, 1.0 - rho * rho));
    double total = 0.0;
    for (Index s = 0; s < q_; ++s) {
      const double base = a1 * nodes_[s];
      double inner = 0.0;
      if (deriv) {
        for (Index t = 0; t < q_; ++t)
          inner += weights_[t] * activation_derivative(act_, base + a2 * nodes_[t]);
      } else {
        for (Index t = 0; t < q_; ++t) inner += weights_[t] * activation_value(act_, base + a2 * nodes_[t]);
      }
      total += u_side[s] * inner;
    }
    return total;
  }

  // E[g(u)^2], u ~ N(0, a): the 2-D rule at rho = 1 collapses to 1-D (the t-weights sum to 1).
  double e_diag(int h, Index i, double a, bool deriv) const {
    if (!quadrature_) return deriv ? e_deriv(h, i, a, a, a) : e_sigma(h, i, i, a, a, a);
    const double* u =
        deriv ? &uder_[h][static_cast<std::size_t>(i * q_)] : &usig_[h][static_cast<std::size_t>(i * q_)];
    const double sa = std::sqrt(a);
    double total = 0.0;
    for (Index s = 0; s < q_; ++s)
      total += u[s] *
               (deriv ? activation_derivative(act_, sa * nodes_[s]) : activation_value(act_, sa * nodes_[s]));
    return total;
  }

  // mu(a) = E_{u ~ N(0, a)}[sigma(u)] (docs/gram.md#notation): closed form for relu, 0 for odd activations,
  // GH q = 128.
  double mean(double a) const {
    switch (act_) {
      case Activation::relu:
        return std::sqrt(a * kInv2Pi);
      case Activation::erf:
      case Activation::tanh:
        return 0.0;
      default: {
        const double sa = std::sqrt(a);
        double m = 0.0;
        for (std::size_t k = 0; k < mean_nodes_.size(); ++k)
          m += mean_weights_[k] * activation_value(act_, sa * mean_nodes_[k]);
        return m;
      }
    }
  }

  void tabulate_u_side(const std::vector<double>& var, bool deriv, std::vector<double>& dst) const {
    dst.resize(static_cast<std::size_t>(n_ * q_));
    for (Index i = 0; i < n_; ++i) {
      const double sa = std::sqrt(var[i]);
      for (Index s = 0; s < q_; ++s) {
        const double x = sa * nodes_[s];
        dst[i * q_ + s] = weights_[s] * (deriv ? activation_derivative(act_, x) : activation_value(act_, x));
      }
    }
  }

  // Diagonals, b and mu vectors (O(n H)); the diagonal uses the same pair formulas at c = a.
  void build_side() {
    auto& diag = side_.diag;
    diag.assign(H_ + 1, std::vector<double>(n_));
    diag[0] = norm2_;
    if (angle_form_) {
      for (int h = 1; h <= H_; ++h) diag[h] = norm2_;
      return;
    }
    usig_.resize(std::max(H_ - 1, 0));
    mu_.assign(H_, std::vector<double>());
    if (arch_ == Arch::resnet) side_.b.assign(H_, std::vector<double>());
    for (int h = 1; h < H_; ++h) {
      throw_if_interrupted();  // O(n q) a layer: ~0.5 s at n = 1e5, q = 256
      if (quadrature_) tabulate_u_side(diag[h - 1], false, usig_[h - 1]);
      for (Index i = 0; i < n_; ++i) {
        const double a = diag[h - 1][i];
        const double e = e_diag(h - 1, i, a, false);
        if (arch_ == Arch::fc || h == 1) {
          diag[h][i] = cs_ * e;
        } else {
          diag[h][i] = a + 2.0 * r_ * side_.b[h - 1][i] * mu_[h - 1][i] + r_ * r_ * e;
        }
      }
      if (arch_ == Arch::resnet) {
        mu_[h].resize(n_);
        side_.b[h].resize(n_);
        for (Index i = 0; i < n_; ++i) mu_[h][i] = mean(diag[h][i]);
        if (h == 1) {
          for (Index i = 0; i < n_; ++i) side_.b[1][i] = std::sqrt(cs_) * mean(diag[0][i]);
        } else {
          for (Index i = 0; i < n_; ++i) side_.b[h][i] = side_.b[h - 1][i] + r_ * mu_[h - 1][i];
        }
      }
    }
    uder_.resize(H_);
    if (quadrature_) {
      tabulate_u_side(diag[H_ - 1], true, uder_[H_ - 1]);
      for (int h = 0; h < std::min(ntk_layers_, H_ - 1); ++h) tabulate_u_side(diag[h], true, uder_[h]);
    }
    const double scale = arch_ == Arch::fc ? cs_ : r_ * r_;
    for (Index i = 0; i < n_; ++i) {
      const double a = diag[H_ - 1][i];
      diag[H_][i] = scale * a * e_diag(H_ - 1, i, a, true);
    }
  }

  // Direct FC ReLU angle recursion from a cosine in [-0.9, 0.9]: K^(h) / (|x_i||x_j|), h = 1..H.
  double relu_direct(double cosine, int layer) const {
    HalfAngle a{std::acos(cosine), std::sqrt(0.5 * (1.0 - cosine)), std::sqrt(0.5 * (1.0 + cosine))};
    double prev = cosine;
    for (int h = 1; h < H_; ++h) {
      prev = relu_angle_step(a);
      if (h == layer) return prev;
    }
    return prev * (kPi - a.t) * kInvPi;
  }

  bool constant(const std::vector<double>& v) const {
    for (double x : v)
      if (std::abs(x - v[0]) > 64.0 * 2.220446049250313e-16 * std::abs(v[0])) return false;
    return true;
  }

  void build_tables() {
    if (angle_form_) {
      if (H_ < 2) return;  // K^(1) = K^(0) (pi - theta)/pi: one acos, nothing to save
      std::vector<ChebTable> tables(H_);
      for (int h = 1; h <= H_; ++h) {
        auto f = [this, h](double x) { return relu_direct(x, h); };
        const bool ok = tables[h - 1].build(f, -0.9, 0.9, 4e-15, 64, 8192);
        side_.table_attempts.push_back(tables[h - 1].error());
        if (!ok) return;
        side_.table_errors.push_back(tables[h - 1].error());
        side_.table_evaluations += tables[h - 1].evaluations();
      }
      relu_tables_ = std::move(tables);
      return;
    }
    if (!quadrature_) return;
    const auto& diag = side_.diag;
    sig_tables_.assign(std::max(H_ - 1, 0), ChebTable());
    sig_ok_.assign(std::max(H_ - 1, 0), false);
    std::vector<double> u(static_cast<std::size_t>(q_));
    auto u_side = [&](double a, bool deriv) {
      const double sa = std::sqrt(a);
      for (Index s = 0; s < q_; ++s)
        u[s] = weights_[s] *
               (deriv ? activation_derivative(act_, sa * nodes_[s]) : activation_value(act_, sa * nodes_[s]));
    };
    for (int h = 0; h <= H_ - 1; ++h) {
      if (!constant(diag[h])) continue;
      const double a = diag[h][0];
      const bool deriv = h == H_ - 1;
      u_side(a, deriv);
      auto f = [&](double theta) { return quad_pair(u.data(), a, std::cos(theta), deriv); };
      const double scale = std::max(std::abs(f(0.0)), 1e-300);
      ChebTable t;
      const bool ok = t.build(f, 0.0, kPi, 1e-13 * scale, 64, 8192);
      side_.table_evaluations += t.evaluations();
      side_.table_attempts.push_back(t.error() / scale);
      if (!ok) continue;
      side_.table_errors.push_back(t.error() / scale);
      if (deriv) {
        der_table_ = std::move(t);
        der_ok_ = true;
      } else {
        sig_tables_[h] = std::move(t);
        sig_ok_[h] = true;
      }
    }
    all_tables_ = der_ok_ && std::all_of(sig_ok_.begin(), sig_ok_.end(), [](char ok) { return ok != 0; });
  }

  std::vector<ChebTable> relu_tables_;  // relu_tables_[h-1](cos theta^(0)) = K^(h)_ij / (|x_i||x_j|)
  std::vector<ChebTable> sig_tables_;   // sig_tables_[h](theta) = E_{K^(h)}[sigma sigma] (constant diagonal)
  std::vector<char> sig_ok_;
  ChebTable der_table_;
  bool der_ok_ = false;
  bool all_tables_ = false;  // every layer of a quadrature activation is tabulated

  const double* X_;
  Index n_, d_;
  int H_;
  Activation act_;
  Arch arch_;
  double cs_, r_;
  bool angle_form_, quadrature_;
  int ntk_layers_;
  std::vector<double> norm2_, norm_;
  std::vector<double> nodes_, weights_, mean_nodes_, mean_weights_;
  Index q_ = 0;
  std::vector<std::vector<double>> usig_;  // usig_[h][i*q + s] = w_s sigma(sqrt(K^(h)_ii) t_s)
  std::vector<std::vector<double>> uder_;  // uder_[h][i*q + s] = w_s sigma'(sqrt(K^(h)_ii) t_s), h = H-1
                                           // (and h < ntk_layers_)
  std::vector<std::vector<double>> mu_;    // mu_[h][i] = mu_i(K^(h)), resnet
  GramSide side_;
};

inline void check_inputs(const double* X, std::int64_t n, std::int64_t d, const GramOptions& opt) {
  require(n > 0 && d > 0,
          "X must be non-empty, got shape (" + std::to_string(n) + ", " + std::to_string(d) + ")");
  require(opt.depth >= 1, "depth must be >= 1, got " + std::to_string(opt.depth));
  if (opt.arch == Arch::resnet)
    require(opt.depth >= 2, "depth must be >= 2 for arch='resnet', got " + std::to_string(opt.depth));
  require_positive(opt.c_res, "c_res");
  require_range(opt.quadrature_order, 1, 400, "quadrature_order");
  require_finite(RowMap(X, n, d), "X");
}

}  // namespace convexify::gram::detail
