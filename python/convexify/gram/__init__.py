"""Lens 3: Gram matrices of wide networks (Du, Lee, Li, Wang & Zhai 2019; docs/gram.md).

Networks (docs/gram.md#networks; samples are rows, weights ``(out, in)``, all weights i.i.d. N(0, 1),
width ``m``)::

    FC      X^(0) = X,  X^(h) = sqrt(c_sigma/m) sigma(X^(h-1) W^(h)T),                  h = 1..H
    ResNet  X^(1) = sqrt(c_sigma/m) sigma(X W^(1)T),
            X^(h) = X^(h-1) + (c_res/(H sqrt m)) sigma(X^(h-1) W^(h)T),                  h = 2..H
    output  u = X^(H) a^T,   L = 1/2 sum_i (u_i - y_i)^2,   c_sigma = 1 / E_{z~N(0,1)}[sigma(z)^2]

The infinite-width Gram matrices ``K^(h)`` (docs/gram.md#fc, docs/gram.md#resnet) are computed by
:func:`gram_matrix` in one fused C++ pass over the upper triangle. ``K^(h)`` for ``h < H`` is the NNGP of
this parametrisation (docs/gram.md#ntk); ``K^(H)`` is the limit of the Gram block of the last hidden weight
matrix ``W^(H)``, whose eigenvalue ``lambda_min(K^(H))`` drives Du et al.'s linear-convergence theorem
(docs/gram.md#theorem).

**Correction of the survey's Definition 1 (docs/gram.md#survey-definition-1).** The survey writes the last
layer as ``K^(H) = c_sigma K^(H-1) o E_{A^(H-1)}[sigma' sigma']``. The pre-activations of layer ``H`` are
``W^(H) x^(H-1)``, whose covariance in the wide limit is built from ``K^(H-1)``, i.e. ``A^(H)``; the correct
last line is ``K^(H) = c_sigma K^(H-1) o E_{A^(H)}[sigma' sigma']``.  This module implements the corrected
recursion; finite-width networks match it and not the survey's reading (see ``convexify reproduce``).
Also (docs/gram.md#survey): the theorem gives widths and step sizes only up to unspecified constants (and
``2^{O(H)}`` with an unspecified base for FC nets; docs/gram.md#survey-depth), so :func:`requirements` returns
scaling monomials, never certified numbers; in the survey's eq. (13) ``m`` is the width (not the number of
hidden layers) and every ``||x_i|| = 1`` (docs/gram.md#survey-eq-13); the theorem assumes a smooth
Lipschitz activation, so ReLU results are an extension; and ``lambda_min(K^(H)) > 0`` needs a
non-polynomial activation and no two parallel inputs (for odd activations also no antipodal pair
``x_j = -x_i``; docs/gram.md#survey-activation).
"""

from __future__ import annotations

from ._inputs import ACTIVATIONS, ARCHS
from ._kernel import c_sigma, gram_matrix
from ._lambda_min import LambdaMin, lambda_min
from ._network import TrainResult, WideTrainResult, empirical_gram, train_wide
from ._ntk import NTKResult, ntk
from ._operator import GramOperator
from ._rates import KernelPrediction, Requirements, kernel_prediction, rate, requirements
from ._regression import KernelRegression, kernel_regression
from ._sample import sample_last_gram
from ._spectrum import Spectrum, certify_lambda_min, spectrum
from ._tiles import TileKernel

__all__ = [
    "ACTIVATIONS",
    "ARCHS",
    "gram_matrix",
    "c_sigma",
    "ntk",
    "NTKResult",
    "spectrum",
    "Spectrum",
    "certify_lambda_min",
    "rate",
    "kernel_prediction",
    "KernelPrediction",
    "requirements",
    "Requirements",
    "empirical_gram",
    "sample_last_gram",
    "train_wide",
    "WideTrainResult",
    "TrainResult",
    "TileKernel",
    "GramOperator",
    "lambda_min",
    "LambdaMin",
    "kernel_regression",
    "KernelRegression",
]
