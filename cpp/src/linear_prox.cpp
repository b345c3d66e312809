// prox of (t/2) * (sum of the k largest squares) by weighted isotonic regression (PAV); see
// docs/linear.md#dr.
//
// On the cone of non-increasing vectors the function is the fixed quadratic (t/2) sum_{i<=k} x_i^2, so
// minimising 1/2||x - a||^2 + that is a weighted isotonic regression with weights w_i = 1 + t (i <= k) or 1
// and targets a_i / w_i; each pooled block takes the value sum(a) / sum(w).  The naive "divide the k largest
// by 1+t" is wrong whenever a_k / (1 + t) < a_{k+1}.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "convexify/linear.hpp"

namespace convexify::linear {

Vec prox_topk_sorted(const Eigen::Ref<const Vec>& a, Index k, double t) {
  const Index m = a.size();
  std::vector<double> sum_a, sum_w;
  std::vector<Index> len;
  sum_a.reserve(m);
  sum_w.reserve(m);
  len.reserve(m);
  for (Index i = 0; i < m; ++i) {
    sum_a.push_back(a(i));
    sum_w.push_back(i < k ? 1.0 + t : 1.0);
    len.push_back(1);
    // Merge while the previous block's value is below the last one's (a violation of non-increase).
    while (sum_a.size() >= 2) {
      const std::size_t b = sum_a.size() - 1;
      if (!(sum_a[b - 1] / sum_w[b - 1] < sum_a[b] / sum_w[b])) break;
      sum_a[b - 1] += sum_a[b];
      sum_w[b - 1] += sum_w[b];
      len[b - 1] += len[b];
      sum_a.pop_back();
      sum_w.pop_back();
      len.pop_back();
    }
  }
  Vec x(m);
  Index pos = 0;
  for (std::size_t b = 0; b < sum_a.size(); ++b) {
    const double value = sum_a[b] / sum_w[b];
    for (Index j = 0; j < len[b]; ++j) x(pos++) = value;
  }
  return x;
}

Vec prox_topk(const Eigen::Ref<const Vec>& v, Index k, double t) {
  require(k >= 0, "k must be >= 0");
  require_positive(t, "t");
  require_finite(v, "v");
  const Index m = v.size();
  std::vector<Index> order(m);
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index i, Index j) { return std::abs(v(i)) > std::abs(v(j)); });
  Vec a(m);
  for (Index i = 0; i < m; ++i) a(i) = std::abs(v(order[i]));
  const Vec x = prox_topk_sorted(a, k, t);
  Vec out(m);
  for (Index i = 0; i < m; ++i) out(order[i]) = std::copysign(x(i), v(order[i]));
  return out;
}

}  // namespace convexify::linear
