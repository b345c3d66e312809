"""Lens 2: the shallow ReLU neuron and its convex relaxation (Ergen & Pilanci 2019; docs/relu.md).

For data ``X`` (n, d) with samples as rows, labels ``y`` (n,) and a weight ``w`` (d,) (the flattened weight of
``torch.nn.Linear(d, 1, bias=False)``), with ``z = X w``:

* ``L(w)   = ||relu(z) - y||^2``                         (survey eq. 5/7, un-normalised sum)
* ``L_r(w) = ||relu(z)||^2 - 2 y^T z + ||y||^2``          (survey eq. 8, convex)
* ``L_r(w) - L(w) = 2 y^T relu(-z)``                      (exact identity; ``L_r >= L`` when ``y >= 0``)
* ``grad L(w)   = 2 X^T [1[z >= 0] o (relu(z) - y)]``     (``strict=True``: ``1[z > 0]``, as autodiff gives)
* ``grad L_r(w) = 2 X^T (relu(z) - y)``

**Exactness (docs/relu.md#exactness).**  ``argmin L_r = argmin L`` holds when the labels are exactly
realizable, ``y = relu(X w*)``; the minimiser is unique when the positive-label rows span R^d.  The survey
states it more generally; that is false (docs/relu.md#survey-theorem): with non-negative non-realizable labels
(``X = [[1], [-1]], y = (1, 1)``), with noise, and with negative labels (``L_r`` may be unbounded below) the
two problems differ.

Shapes (docs/relu.md#shapes): one problem, or B runs sharing ``X`` (``W`` (B, d), ``y`` (n,) or (n, B)) in
:func:`gd`; B problems with their own data (``X`` (B, n, d), ``Y`` (B, n)) in :func:`gd_stacked`.

A bias is an explicit constant-1 column of ``X`` (:func:`add_bias_column`), never implicit.
float64 by default; float32 data is kept end to end in :func:`gd`: the core multiplies in float32 and keeps
partial sums in float32 only over at most 128 features or 512 samples, accumulating in float64 beyond that;
the weights are iterated in float64 and returned in float32.
"""

from __future__ import annotations

from .._errors import RelaxationWarning
from ._gd import GDResult, gd
from ._guards import unbounded_direction
from ._losses import add_bias_column, default_step, gradient, lambda_max, loss, relaxed_loss
from ._newton import NewtonResult, newton
from ._planted import Planted, planted
from ._stacked import gd_stacked

__all__ = [
    "loss",
    "relaxed_loss",
    "gradient",
    "gd",
    "gd_stacked",
    "GDResult",
    "newton",
    "NewtonResult",
    "planted",
    "Planted",
    "add_bias_column",
    "default_step",
    "lambda_max",
    "unbounded_direction",
    "RelaxationWarning",
]
