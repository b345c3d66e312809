// Lens 3: Du, Lee, Li, Wang & Zhai (2019) Gram recursions K^(h) for wide fully connected and residual
// networks (SPEC 4.3-4.7).  Pure C++; the Python layer (convexify.gram) validates and documents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convexify/gram_table.hpp"

namespace convexify::gram {

enum class Activation { relu, erf, tanh, softplus, sigmoid, gelu };
enum class Arch { fc, resnet };

// Parse a name ("relu", "erf", "tanh", "softplus", "sigmoid", "gelu" / "fc", "resnet"); throws
// std::invalid_argument naming the argument for anything else.
Activation parse_activation(const std::string& name);
Arch parse_arch(const std::string& name);
// True where SPEC 4.6 gives a closed form (relu, erf); the others use 2-D Gauss-Hermite quadrature.
bool has_closed_form(Activation act);

// Probabilists' Gauss-Hermite rule of order q (weight exp(-t^2/2)/sqrt(2 pi), weights sum to 1), by
// Golub-Welsch.  Exact for polynomials of degree <= 2q - 1.
struct GaussHermite {
  std::vector<double> nodes;
  std::vector<double> weights;
};
GaussHermite gauss_hermite(int q);

double activation_value(Activation act, double x);
double activation_derivative(Activation act, double x);
// c_sigma = 1 / E_{z~N(0,1)}[sigma(z)^2]: 2 for relu, closed form for erf, GH order 200 otherwise (SPEC 4.7).
double c_sigma(Activation act);

struct GramOptions {
  int depth = 1;  // H >= 1 (fc), >= 2 (resnet)
  Activation activation = Activation::relu;
  Arch arch = Arch::fc;
  double c_res = 1.0;         // resnet residual scale; r = c_res / H
  int quadrature_order = 64;  // 2-D Gauss-Hermite order for smooth activations, in [1, 400]
  // Replace per-pair evaluations by verified piecewise-Chebyshev tables where the map is one-variable:
  // the ReLU FC angle recursion for |cos theta^(0)| <= 0.9 (agreeing with the direct angle form to 4e-15),
  // and the dual activations of a layer with a constant diagonal (to 1e-13 relative; SPEC 4.7 fast path).
  // 0: never, 1: above a size threshold (20000 pairs), 2: always where applicable.
  int tables = 1;
};

// Side information of one call (O(n H) numbers).
struct GramSide {
  std::vector<std::vector<double>> diag;  // diag[h][i] = K^(h)_ii, h = 0..H
  std::vector<std::vector<double>> b;     // resnet: b[h][i], h = 1..H-1 (index 0 unused, empty); fc: empty
  int threads = 1;
  std::vector<double> table_errors;    // measured maximum error of every table in use
  std::vector<double> table_attempts;  // measured error of every table built (kept or not)
  long long table_evaluations = 0;     // function evaluations spent building tables
};

// Compute K^(H) (or all of K^(0..H)) of X (n x d, row-major, rows = samples) into `out`, which holds
// n*n doubles (return_all = false) or (H+1)*n*n doubles (slices h = 0..H), row-major.  One fused pass over
// the upper triangle in tiles (K^(0) tile by GEMM, then every layer per pair), mirrored to the lower
// triangle, so the result is exactly symmetric.  Bitwise independent of the thread count.
//
// k0_in_out: the first n*n doubles of `out` already hold K^(0) = X X^T in their lower triangle
// (out[j*n + i], j > i; e.g. from a BLAS dsyrk), which is read tile by tile and overwritten in place.
GramSide gram_matrix(const double* X, std::int64_t n, std::int64_t d, const GramOptions& options, double* out,
                     bool return_all, bool k0_in_out = false);

}  // namespace convexify::gram
