// Blocks of one lens-3 kernel of any shape (docs/gram.md#tiles).  A block is cut into kTile x kTile
// sub-tiles; each computes its K^(0) entries by detail::dot_block and runs the recursion of
// gram_recursion.hpp on them.  For K(X, X) an entry (i, j) below the diagonal is computed as the pair (j, i),
// exactly as gram_matrix computes the upper triangle and mirrors it, so blocks and the dense matrix agree bit
// for bit.
#include "convexify/gram_tiles.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "convexify/checks.hpp"
#include "convexify/interrupt.hpp"
#include "gram_dot.hpp"
#include "gram_recursion.hpp"

namespace convexify::gram {

namespace {

using detail::Index;
constexpr Index kTile = 128;

GramOptions recursion_options(const GramOptions& options, TileKernelKind kind) {
  GramOptions opt = options;
  if (kind == TileKernelKind::ntk) {
    opt.depth = options.depth + 1;  // as gram::ntk: Sigma^(h), h <= H, are layers of the depth-(H + 1) recursion
    opt.tables = TableMode::direct;
  }
  return opt;
}

std::vector<double> stacked(const double* X, Index n, const double* X2, Index n2, Index d) {
  std::vector<double> Z(static_cast<std::size_t>((n + n2) * d));
  std::copy(X, X + n * d, Z.begin());
  if (X2 != nullptr) std::copy(X2, X2 + n2 * d, Z.begin() + n * d);
  return Z;
}

}  // namespace

struct GramTiles::Impl {
  Impl(const double* X, Index n_, const double* X2, Index n2_, Index d_, const GramOptions& options,
       TileKernelKind kind_)
      : n(n_),
        n2(X2 == nullptr ? n_ : n2_),
        d(d_),
        sym(X2 == nullptr),
        kind(kind_),
        depth(options.depth),
        Z(stacked(X, n_, X2, X2 == nullptr ? 0 : n2_, d_)),
        rec(Z.data(), n_ + (X2 == nullptr ? 0 : n2_), d_, recursion_options(options, kind_),
            kind_ == TileKernelKind::ntk ? options.depth : 0) {}

  Index n, n2, d;
  bool sym;
  TileKernelKind kind;
  int depth;
  std::vector<double> Z;  // the rows of X, then those of X2
  detail::Recursion rec;

  int outputs() const { return kind == TileKernelKind::gram ? 1 : 3; }
  Index nvalues() const { return kind == TileKernelKind::gram ? depth + 1 : 3; }
  Index first_value() const { return kind == TileKernelKind::gram ? depth : 0; }
  // The global (row-of-Z) index of column j of K.
  Index col(Index j) const { return sym ? j : n + j; }

  // Values of the pairs (i, j0 + b), b < count, given their K^(0) entries (as gram_matrix and ntk compute
  // them): value v at vals[v * count + b].
  void pairs(Index i, Index j0, Index count, const double* k0, double* vals,
             const detail::StopFlag& stop) const {
    if (kind == TileKernelKind::gram) {
      rec.row(i, j0, count, k0, vals, stop);
      return;
    }
    double v[3];
    for (Index b = 0; b < count; ++b) {
      if (rec.poll_pairs() && stop.check()) return;
      rec.ntk_pair(i, j0 + b, k0[b], v);
      for (int s = 0; s < 3; ++s) vals[s * count + b] = v[s];
    }
  }

  // K[I:I+ni, J:J+nj] into out[o] at (r0, c0) with leading dimension ld.
  void sub_tile(Index I, Index ni, Index J, Index nj, double* const* out, Index ld, Index r0, Index c0,
                const detail::StopFlag& stop) const {
    const Index g0 = col(J);
    std::vector<double> k0(static_cast<std::size_t>(ni * nj));
    detail::dot_block(Z.data() + I * d, ni, Z.data() + g0 * d, nj, d, k0.data(), nj);
    std::vector<double> vals(static_cast<std::size_t>(nvalues() * std::max(ni, nj)));
    const Index first = first_value();
    auto put = [&](Index count, Index row, Index column, Index row_step, Index col_step) {
      for (int o = 0; o < outputs(); ++o) {
        if (out[o] == nullptr) continue;
        const double* v = vals.data() + (first + o) * count;
        double* dst = out[o] + (r0 + row) * ld + c0 + column;
        const Index step = row_step * ld + col_step;
        for (Index b = 0; b < count; ++b) dst[b * step] = v[b];
      }
    };
    // Pairs (i, j) with j >= i (every pair of a cross kernel), row by row.
    for (Index a = 0; a < ni; ++a) {
      if (stop.check()) return;
      const Index i = I + a;
      const Index b0 = sym ? std::min(std::max(i - J, Index{0}), nj) : 0;
      if (b0 == nj) continue;
      pairs(i, g0 + b0, nj - b0, &k0[a * nj + b0], vals.data(), stop);
      put(nj - b0, a, b0, 0, 1);
    }
    if (!sym) return;
    // Entries (i, j) with i > j, as the pairs (j, i): column b of the sub-tile is row j of the upper triangle.
    std::vector<double> column(static_cast<std::size_t>(ni));
    for (Index b = 0; b < nj; ++b) {
      if (stop.check()) return;
      const Index j = J + b;
      const Index a0 = std::min(std::max(j + 1 - I, Index{0}), ni);
      if (a0 == ni) continue;
      for (Index a = a0; a < ni; ++a) column[a - a0] = k0[a * nj + b];
      pairs(j, I + a0, ni - a0, column.data(), vals.data(), stop);
      put(ni - a0, a0, b, 1, 0);
    }
  }
};

GramTiles::GramTiles(const double* X, std::int64_t n, const double* X2, std::int64_t n2, std::int64_t d,
                     const GramOptions& options, TileKernelKind kind) {
  detail::check_inputs(X, n, d, options);
  if (X2 != nullptr) {
    require(n2 > 0, "X2 must be non-empty, got " + std::to_string(n2) + " rows");
    require_finite(detail::RowMap(X2, n2, d), "X2");
  }
  if (kind == TileKernelKind::ntk) require(options.arch == Arch::fc, "kernel 'nngp'/'ntk' needs arch 'fc'");
  impl_ = std::make_unique<Impl>(X, n, X2, n2, d, options, kind);
}

GramTiles::~GramTiles() = default;
GramTiles::GramTiles(GramTiles&&) noexcept = default;
GramTiles& GramTiles::operator=(GramTiles&&) noexcept = default;

std::int64_t GramTiles::rows() const { return impl_->n; }
std::int64_t GramTiles::cols() const { return impl_->n2; }
bool GramTiles::symmetric() const { return impl_->sym; }
int GramTiles::outputs() const { return impl_->outputs(); }
const GramSide& GramTiles::side() const { return impl_->rec.side(); }

void GramTiles::block(std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, double* const* out,
                      std::int64_t ld, int threads) const {
  require(0 <= i0 && i0 <= i1 && i1 <= impl_->n && 0 <= j0 && j0 <= j1 && j1 <= impl_->n2,
          "block [" + std::to_string(i0) + ":" + std::to_string(i1) + ", " + std::to_string(j0) + ":" +
              std::to_string(j1) + "] lies outside K");
  require(ld >= j1 - j0, "block: leading dimension smaller than the block's width");
  std::vector<std::pair<Index, Index>> tiles;
  for (Index I = i0; I < i1; I += kTile)
    for (Index J = j0; J < j1; J += kTile) tiles.emplace_back(I, J);
  const Index ntiles = static_cast<Index>(tiles.size());
  const detail::StopFlag stop;
  const Impl& im = *impl_;
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(dynamic)
  for (Index t = 0; t < ntiles; ++t) {
    if (stop.check()) continue;
    const Index I = tiles[t].first, J = tiles[t].second;
    im.sub_tile(I, std::min(kTile, i1 - I), J, std::min(kTile, j1 - J), out, ld, I - i0, J - j0, stop);
  }
  throw_if_interrupted();
}

std::vector<double> GramTiles::diag(int output) const {
  require(impl_->sym, "diag: K(X, X2) with X2 given has no diagonal");
  require(output >= 0 && output < impl_->outputs(), "diag: no output " + std::to_string(output));
  const Impl& im = *impl_;
  std::vector<double> vals(static_cast<std::size_t>(im.nvalues()));
  std::vector<double> out(static_cast<std::size_t>(im.n));
  const detail::StopFlag stop;
  for (Index i = 0; i < im.n; ++i) {
    const double k0 = im.rec.side().diag[0][i];
    im.pairs(i, i, 1, &k0, vals.data(), stop);
    out[i] = vals[im.first_value() + output];
  }
  throw_if_interrupted();
  return out;
}

}  // namespace convexify::gram
