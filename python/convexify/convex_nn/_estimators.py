"""scikit-learn estimators: convex training of a two-layer ReLU network (gated or ReLU formulation)."""

from __future__ import annotations

import warnings
from typing import List, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._errors import InputError, InputTypeError
from .._validate import as_array, as_choice, as_int, as_real, same_rows
from ._solve import (
    FORMULATIONS,
    Certificate,
    _huber_delta,
    make_patterns,
    relu_network,
    solve_masks,
    to_network,
)


def _add_bias(X: np.ndarray, fit_intercept: bool) -> np.ndarray:
    return np.ascontiguousarray(np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X)


class _ConvexNNBase(BaseEstimator):
    _loss = "squared"

    def __init__(
        self,
        formulation: str = "gated",
        lam: float = 1e-3,
        loss: Optional[str] = None,
        huber_delta: float = 1.0,
        patterns="gaussian",
        n_patterns: int = 100,
        fit_intercept: bool = True,
        tol: float = 1e-6,
        max_iter: int = 10000,
        random_state: Optional[int] = 0,
    ):
        self.formulation = formulation
        self.lam = lam
        self.loss = loss
        self.huber_delta = huber_delta
        self.patterns = patterns
        self.n_patterns = n_patterns
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _validate_X(self, X, reset: bool) -> np.ndarray:
        from sklearn.utils.validation import check_array

        try:
            X = check_array(X, dtype=np.float64, ensure_2d=True)
        except TypeError as exc:
            raise InputTypeError(f"X: {exc}") from exc
        except ValueError as exc:
            raise InputError(f"X: {exc}") from exc
        X = as_array(X, "X", 2)
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} "
                "features as input"
            )
        return X

    def _check_params(self):
        as_choice(self.formulation, "formulation", FORMULATIONS)
        as_real(self.lam, "lam", minimum=0.0)
        as_int(self.n_patterns, "n_patterns", minimum=1)
        as_real(self.tol, "tol", minimum=0.0)
        _huber_delta(self.huber_delta)
        as_int(self.max_iter, "max_iter", minimum=1)

    def _fit_targets(self, X, targets: List[np.ndarray], loss: str):
        self._check_params()
        Xb = _add_bias(X, self.fit_intercept)
        M, G, scope = make_patterns(Xb, self.patterns, self.n_patterns, self.random_state)
        self.patterns_ = M
        self.gates_ = G
        coefs, certs, iters = [], [], []
        for t in targets:
            r = solve_masks(
                Xb,
                np.ascontiguousarray(t, dtype=np.float64),
                M,
                self.lam,
                loss,
                self.tol,
                self.max_iter,
                gates=G,
                scope=scope,
                formulation=self.formulation,
                huber_delta=self.huber_delta,
            )
            coefs.append(np.stack([r.V, r.W]) if self.formulation == "relu" else r.U)
            certs.append(r.certificate)
            iters.append(r.n_iter)
        self._coefs = coefs
        self.coef_ = coefs[0] if len(coefs) == 1 else np.stack(coefs)
        self.certificate_ = certs[0] if len(certs) == 1 else certs
        self.n_iter_ = iters[0] if len(iters) == 1 else np.array(iters)
        return self

    def _decision(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = self._validate_X(X, reset=False)
        Xb = _add_bias(X, self.fit_intercept)
        if self.formulation == "relu":
            return np.stack([_relu_model(Xb, C[0], C[1]) for C in self._coefs], axis=1)
        gates = (Xb @ self.gates_.T >= 0).astype(np.float64)
        return np.stack([((Xb @ U.T) * gates).sum(axis=1) for U in self._coefs], axis=1)

    def to_nonconvex(self, X_train=None):
        """``(W1, a)`` of the network ``relu(X W1^T) a`` (``X`` with the bias column when ``fit_intercept``).

        ``formulation='relu'``: the fitted model is that network, exactly (``X_train`` is not needed).
        ``formulation='gated'``: exact (same objective) when each neuron of the gated solution lies in its
        pattern's cone on the training data (pass ``X_train``); otherwise InputError
        (docs/convex_nn.md#mapping).
        """
        check_is_fitted(self, "coef_")
        if self.formulation == "relu":
            if len(self._coefs) != 1:
                raise InputError("to_nonconvex: one output only (binary or single-target)")
            return relu_network(self._coefs[0][0], self._coefs[0][1])
        if X_train is None:
            raise InputError("X_train: the training data is needed to check each neuron's cone")
        Xb = _add_bias(self._validate_X(X_train, reset=False), self.fit_intercept)
        if len(self._coefs) != 1:
            raise InputError("to_nonconvex: one output only (binary or single-target)")
        return to_network(self._coefs[0], self.patterns_, Xb)

    def path(self, X, y, lams):
        """Fit along ``lams`` (decreasing recommended); return the certificates.  The gated formulation warm
        starts each solve from the previous solution."""
        lams = as_array(lams, "lams", 1)
        out, U0 = [], None
        self.fit(X, y)
        Xb = _add_bias(self._validate_X(X, reset=False), self.fit_intercept)
        t = self._targets_for_path(y)
        for lam in lams:
            r = solve_masks(
                Xb,
                t,
                self.patterns_,
                float(lam),
                self._loss_name(),
                self.tol,
                self.max_iter,
                U0=U0,
                gates=self.gates_,
                formulation=self.formulation,
                huber_delta=self.huber_delta,
            )
            U0 = r.U if self.formulation == "gated" else None
            out.append(r.certificate)
        return out

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags = getattr(tags, "regressor_tags", None)
        if tags.regressor_tags is not None:
            tags.regressor_tags.poor_score = True
        if getattr(tags, "classifier_tags", None) is not None:
            tags.classifier_tags.poor_score = True
        return tags


def _relu_model(Xb: np.ndarray, V: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``sum_i relu(X v_i) - relu(X w_i)``, the network of the ReLU formulation."""
    return np.maximum(Xb @ V.T, 0).sum(axis=1) - np.maximum(Xb @ W.T, 0).sum(axis=1)


def _column_to_1d(y: np.ndarray) -> np.ndarray:
    """An (n, 1) target as (n,), with scikit-learn's DataConversionWarning (stacklevel: the caller's fit)."""
    from sklearn.exceptions import DataConversionWarning

    warnings.warn(
        "y: a column-vector y was passed when a 1d array was expected", DataConversionWarning, stacklevel=3
    )
    return y.ravel()


class ConvexReLURegressor(RegressorMixin, _ConvexNNBase):
    """Two-layer ReLU network trained exactly by the convex program, squared loss (default) or the Huber loss
    (``loss="huber"``, threshold ``huber_delta`` on the residual, in the units of ``y``).

    ``formulation='gated'`` (default) fits the gated network ``sum_i 1[X g_i >= 0] (X u_i)`` by FISTA;
    ``formulation='relu'`` fits the ReLU network ``sum_i relu(X v_i) - relu(X w_i)`` by ADMM on the
    cone-constrained program (docs/convex_nn.md#relu; n <= 10000 training rows)."""

    def _loss_name(self):
        return "squared" if self.loss is None else self.loss

    def _targets_for_path(self, y):
        return as_array(y, "y", 1)

    def fit(self, X, y):
        if y is None:
            raise InputError("y: requires y to be passed, but the target y is None")
        X = self._validate_X(X, reset=True)
        y = as_array(y, "y", (1, 2))
        if y.ndim == 2 and y.shape[1] == 1:
            y = _column_to_1d(y)
        same_rows(("X", X), ("y", y))
        if self.loss not in (None, "squared", "huber"):
            raise InputError(f"loss: the regressor supports 'squared' and 'huber', got {self.loss!r}")
        self._multi = y.ndim == 2
        targets = [y[:, k] for k in range(y.shape[1])] if self._multi else [y]
        return self._fit_targets(X, targets, self._loss_name())

    def predict(self, X):
        F = self._decision(X)
        return F if self._multi else F[:, 0]


class ConvexReLUClassifier(ClassifierMixin, _ConvexNNBase):
    """Two-layer (gated) ReLU network classifier by the convex program (one-vs-rest), with the logistic loss
    (default, ``loss=None`` or ``"logistic"``) or the squared hinge ``(1/2n) sum max(0, 1 - y f)^2``
    (``loss="squared_hinge"``; no probabilities, so ``predict_proba`` raises)."""

    def _loss_name(self):
        return "logistic" if self.loss is None else self.loss

    def _targets_for_path(self, y):
        y = np.asarray(y)
        return np.where(y == self.classes_[-1], 1.0, -1.0)

    def fit(self, X, y):
        from sklearn.utils.multiclass import check_classification_targets

        if y is None:
            raise InputError("y: requires y to be passed, but the target y is None")
        X = self._validate_X(X, reset=True)
        y = np.asarray(y)
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise InputError(f"y: {exc}") from exc
        if y.ndim != 1:
            if y.ndim == 2 and y.shape[1] == 1:
                y = _column_to_1d(y)
            else:
                raise InputError(f"y must be 1-D class labels, got shape {y.shape}")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise InputError("y contains NaN or Inf")
        same_rows(("X", X), ("y", y))
        if self.loss not in (None, "logistic", "squared_hinge"):
            raise InputError(
                f"loss: the classifier supports 'logistic' and 'squared_hinge', got {self.loss!r}"
            )
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise InputError(f"y: a classifier needs at least 2 classes, got {len(self.classes_)}")
        if len(self.classes_) == 2:
            targets = [np.where(y == self.classes_[1], 1.0, -1.0)]
        else:
            targets = [np.where(y == c, 1.0, -1.0) for c in self.classes_]
        return self._fit_targets(X, targets, self._loss_name())

    def decision_function(self, X):
        F = self._decision(X)
        return F[:, 0] if F.shape[1] == 1 else F

    def predict_proba(self, X):
        if self._loss_name() != "logistic":
            raise InputError(
                "predict_proba: the squared hinge loss gives no probabilities; use decision_function"
            )
        F = self._decision(X)
        if F.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-F[:, 0]))
            return np.stack([1 - p, p], axis=1)
        P = 1.0 / (1.0 + np.exp(-F))
        return P / P.sum(axis=1, keepdims=True)

    def predict(self, X):
        F = self._decision(X)
        idx = (F[:, 0] > 0).astype(int) if F.shape[1] == 1 else F.argmax(axis=1)
        return self.classes_[idx]


__all__ = ["ConvexReLURegressor", "ConvexReLUClassifier", "Certificate"]
