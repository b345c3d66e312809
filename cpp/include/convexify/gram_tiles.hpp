// Blocks of one lens-3 kernel K(X, X2) of any shape (docs/gram.md#tiles): the tile kernel behind cross
// kernels, tiled and out-of-core matrices and the matrix-free operator.  Side information (diagonals, ResNet
// b and mu, quadrature u-sides, tables) is computed once for all rows of X and X2; every entry is then
// computed by the same per-pair code as gram::gram_matrix and gram::ntk, with K^(0)_ij in a fixed summation
// order, so a block equals the corresponding block of the dense matrix bit for bit.  block() is
// single-threaded (parallelism comes from outside: threads or Dask workers calling it on disjoint blocks).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "convexify/gram.hpp"

namespace convexify::gram {

enum class TileKernelKind {
  gram,  // Du's K^(H) (one output)
  ntk,   // the NNGP Sigma^(H), the NTK Theta^(H) and Du's K^(H) = Sigma^(H-1) o Sdot^(H) (three outputs, FC)
};

class GramTiles {
 public:
  // X (n x d) and, unless X2 is null, X2 (n2 x d), row-major.  Without X2 the kernel is K(X, X) (symmetric).
  GramTiles(const double* X, std::int64_t n, const double* X2, std::int64_t n2, std::int64_t d,
            const GramOptions& options, TileKernelKind kind);
  ~GramTiles();
  GramTiles(GramTiles&&) noexcept;
  GramTiles& operator=(GramTiles&&) noexcept;

  std::int64_t rows() const;
  std::int64_t cols() const;
  bool symmetric() const;
  int outputs() const;  // 1 (gram) or 3 (ntk: nngp, ntk, K)

  // K[i0:i1, j0:j1] into out[o] (row-major, leading dimension ld) for every output o with out[o] non-null.
  // Entries below the diagonal of K(X, X) are the values of their mirror pairs (j, i).  `threads` > 1 runs
  // 128 x 128 sub-tiles in parallel (same bits); Ctrl-C is polled between sub-tiles and rows.
  void block(std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, double* const* out,
             std::int64_t ld, int threads = 1) const;
  // The diagonal K_ii of output o (symmetric kernels), n values.
  std::vector<double> diag(int output) const;
  const GramSide& side() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convexify::gram
