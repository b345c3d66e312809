// Dense Gram matrices of lens 3 (see docs/gram.md#fc, docs/gram.md#resnet, docs/gram.md#performance) and the
// NNGP / NTK of the FC network (docs/gram.md#ntk).
//
// Every K^(h)_ij depends only on K^(h-1)_ij and O(n) side vectors (diagonals, and for ResNets b and mu),
// so all layers are applied to one pair before moving to the next (gram_recursion.hpp).  The upper triangle is
// cut into tiles; each tile computes its block of K^(0) = X X^T in the fixed per-entry order of gram_dot.hpp,
// runs the recursion for every pair of the tile and writes the block and its transpose.  Tiles are
// independent, so the result does not depend on the number of threads, and every entry has the bits that
// gram_tiles.cpp computes for it in a block of any shape (docs/gram.md#tiles).
#include <algorithm>
#include <utility>
#include <vector>

#include "convexify/gram.hpp"
#include "convexify/interrupt.hpp"
#include "convexify/threads.hpp"
#include "gram_dot.hpp"
#include "gram_recursion.hpp"

namespace convexify::gram {

namespace {

using detail::Index;
using detail::Recursion;
using detail::RowMap;
using detail::StopFlag;

constexpr Index kTile = 128;

// The fused tile loop shared by gram_matrix and ntk.  The upper triangle is cut into kTile x kTile tiles;
// each tile computes its block of K^(0) by detail::dot_block, calls row(i, j0, count, k0, vals) for every row
// of the tile, which writes value v of pair (i, j0 + b) at vals[v * count + b] (it may return early once
// stop.check() is true), and writes values first_value .. first_value + slices.size() - 1 to the slices and
// their mirror images.  Tiles are independent, so the result does not depend on the number of threads.
// Returns the thread count used.
template <typename RowFn>
int fill_tiles(const double* X, Index n, Index d, const std::vector<double*>& slices, Index first_value,
               Index nvalues, double cost_per_pair, const RowFn& row) {
  const Index nslices = static_cast<Index>(slices.size());
  std::vector<std::pair<Index, Index>> tiles;
  for (Index I = 0; I < n; I += kTile)
    for (Index J = I; J < n; J += kTile) tiles.emplace_back(I, J);
  const double pairs = 0.5 * static_cast<double>(n) * static_cast<double>(n + 1);
  const double work = pairs * (cost_per_pair + static_cast<double>(d));
  const int nt = threads_for(static_cast<long long>(work / 1000.0), 2000);
  const Index ntiles = static_cast<Index>(tiles.size());

  // Ctrl-C: the calling thread polls between its tiles, rows (and, through row, pairs); every thread skips
  // the work left once it is seen.
  const StopFlag stop;
#pragma omp parallel for num_threads(nt) schedule(dynamic)
  for (Index t = 0; t < ntiles; ++t) {
    if (stop.check()) continue;
    const Index I = tiles[t].first, J = tiles[t].second;
    const Index ni = std::min(kTile, n - I), nj = std::min(kTile, n - J);
    std::vector<double> k0(static_cast<std::size_t>(ni * nj));
    detail::dot_block(X + I * d, ni, X + J * d, nj, d, k0.data(), nj);
    std::vector<double> vals(static_cast<std::size_t>(nvalues * kTile));
    // The tile's values per output slice, so that the mirrored block is written row by row (contiguous),
    // not column by column (one page per element at large n).
    std::vector<double> block(static_cast<std::size_t>(nslices * ni * nj));
    for (Index a = 0; a < ni; ++a) {
      if (stop.check()) break;  // rows of smooth activations at depth 6 take ~ms each: poll per row as well
      const Index i = I + a;
      const Index b0 = I == J ? a : 0;
      const Index count = nj - b0;
      row(i, J + b0, count, &k0[a * nj + b0], vals.data(), stop);
      for (Index s = 0; s < nslices; ++s) {
        const double* v = vals.data() + (first_value + s) * count;
        std::copy(v, v + count, slices[s] + i * n + J + b0);
        std::copy(v, v + count, block.data() + (s * ni + a) * nj + b0);
      }
    }
    for (Index s = 0; s < nslices; ++s) {
      double* slice = slices[s];
      const double* blk = block.data() + s * ni * nj;
      for (Index b = 0; b < nj; ++b) {
        double* dst = slice + (J + b) * n + I;
        const Index a_end = I == J ? b + 1 : ni;  // diagonal tile: rows a <= b only (the upper part)
        for (Index a = 0; a < a_end; ++a) dst[a] = blk[a * nj + b];
      }
    }
  }
  throw_if_interrupted();
  return nt;
}

}  // namespace

GramSide gram_matrix(const double* X, std::int64_t n, std::int64_t d, const GramOptions& opt, double* out,
                     bool return_all) {
  detail::check_inputs(X, n, d, opt);
  const Recursion rec(X, n, d, opt);
  const int H = opt.depth;
  const Index nslices = return_all ? H + 1 : 1;
  std::vector<double*> slices;
  for (Index s = 0; s < nslices; ++s) slices.push_back(out + s * n * n);
  const int nt =
      fill_tiles(X, n, d, slices, return_all ? 0 : H, H + 1, rec.cost_per_pair(),
                 [&rec](Index i, Index j0, Index count, const double* k0, double* vals,
                        const StopFlag& stop) { rec.row(i, j0, count, k0, vals, stop); });
  GramSide side = rec.side();
  side.threads = nt;
  return side;
}

NtkResult ntk(const double* X, std::int64_t n, std::int64_t d, const GramOptions& options) {
  detail::check_inputs(X, n, d, options);
  require(options.arch == Arch::fc, "ntk: arch must be 'fc'");
  GramOptions opt = options;
  opt.depth = options.depth + 1;  // Sigma^(h), h <= H, are the lower layers of the depth-(H + 1) recursion
  opt.tables = TableMode::direct;
  const Recursion rec(X, n, d, opt, options.depth);
  NtkResult res;
  res.nngp.resize(n, n);
  res.ntk.resize(n, n);
  res.K.resize(n, n);
  res.threads = fill_tiles(
      X, n, d, {res.nngp.data(), res.ntk.data(), res.K.data()}, 0, 3,
      3.0 * rec.cost_per_pair(),
      [&rec](Index i, Index j0, Index count, const double* k0, double* vals, const StopFlag& stop) {
        double v[3];
        for (Index b = 0; b < count; ++b) {
          if (rec.poll_pairs() && stop.check()) return;
          rec.ntk_pair(i, j0 + b, k0[b], v);
          for (int s = 0; s < 3; ++s) vals[s * count + b] = v[s];
        }
      });
  return res;
}

}  // namespace convexify::gram
