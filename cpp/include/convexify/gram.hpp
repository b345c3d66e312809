// Lens 3: Du, Lee, Li, Wang & Zhai (2019) Gram recursions K^(h) for wide fully connected and residual
// networks, and the NNGP / NTK of the fully connected network (see docs/gram.md#fc, docs/gram.md#resnet,
// docs/gram.md#closed-forms, docs/gram.md#quadrature, docs/gram.md#ntk).  Pure C++; the Python layer
// (convexify.gram) validates and documents, the bindings map strings to the enumerations below.
#pragma once

#include <cstdint>
#include <vector>

#include "convexify/checks.hpp"
#include "convexify/gram_table.hpp"

namespace convexify::gram {

enum class Activation { relu, erf, tanh, softplus, sigmoid, gelu };
enum class Arch { fc, resnet };
// When per-pair evaluations are replaced by verified piecewise-Chebyshev tables (docs/gram.md#quadrature).
enum class TableMode {
  direct,     // never
  automatic,  // above a size threshold (20000 pairs)
  table,      // wherever they apply
};

// True where closed forms exist (relu, erf; see docs/gram.md#closed-forms); the others use 2-D
// Gauss-Hermite quadrature.
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
// c_sigma = 1 / E_{z~N(0,1)}[sigma(z)^2]: 2 for relu, closed form for erf, GH order 200 otherwise
// (see docs/gram.md#quadrature).
double c_sigma(Activation act);

struct GramOptions {
  int depth = 1;  // H >= 1 (fc), >= 2 (resnet)
  Activation activation = Activation::relu;
  Arch arch = Arch::fc;
  double c_res = 1.0;         // resnet residual scale; r = c_res / H
  int quadrature_order = 64;  // 2-D Gauss-Hermite order for smooth activations, in [1, 400]
  // Replace per-pair evaluations by verified piecewise-Chebyshev tables where the map is one-variable:
  // the ReLU FC angle recursion for |cos theta^(0)| <= 0.9 (agreeing with the direct angle form to 4e-15),
  // and the dual activations of a layer with a constant diagonal (to 1e-13 relative; the fast path of
  // docs/gram.md#quadrature).
  TableMode tables = TableMode::automatic;
};

// Side information of one gram_matrix call (O(n H) numbers).
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
// the upper triangle in tiles computes K^(0)_ij in a fixed per-entry order (docs/gram.md#tiles), runs every
// layer per pair and mirrors the result to the lower triangle, so it is exactly symmetric.  Bitwise
// independent of the thread count, and equal bit for bit to every block GramTiles computes.
GramSide gram_matrix(const double* X, std::int64_t n, std::int64_t d, const GramOptions& options, double* out,
                     bool return_all);

// NNGP and NTK of the depth-H fully connected network (Jacot et al. 2018; docs/gram.md#ntk), all n x n and
// exactly symmetric:
//   Sigma^(0) = X X^T,  Sigma^(h) = c_sigma E_{Sigma^(h-1)}[sigma sigma],
//   Sdot^(h) = c_sigma E_{Sigma^(h-1)}[sigma' sigma'],  Theta^(0) = Sigma^(0),
//   Theta^(h) = Sigma^(h) + Sdot^(h) o Theta^(h-1),  K = Sigma^(H-1) o Sdot^(H) (Du's K^(H)).
// The same expectations as gram_matrix: the ReLU angle form, the erf closed form, 2-D Gauss-Hermite
// quadrature of options.quadrature_order otherwise (options.arch must be fc; tables are not used).
struct NtkResult {
  RowMatrix<double> nngp;  // Sigma^(H)
  RowMatrix<double> ntk;   // Theta^(H)
  RowMatrix<double> K;     // Sigma^(H-1) o Sdot^(H)
  int threads = 1;
};
NtkResult ntk(const double* X, std::int64_t n, std::int64_t d, const GramOptions& options);

}  // namespace convexify::gram
