"""A small neural network on the windowed features: a smooth member for the RUL blend.

The blend's other members are trees, whose predictions are step functions of the features and
whose errors therefore look alike. A multi-layer perceptron (scikit-learn's `MLPRegressor`) on
the same features, standardised, fits a smooth function instead; where the remaining life
falls steadily with the health index it follows the slope rather than a staircase, so its
errors differ from the trees'. The blend weights decide how much it counts.
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class MlpRegressor:
    """`MLPRegressor` on standardised features, the target in units of the label cap.

    `hidden`: units per hidden layer; `alpha`: L2 penalty; `epochs`: passes over the data
    (Adam, mini-batches of `batch_size`; no early stopping, so no random validation split);
    `cap`: the label cap (the target is divided by it, so the output layer sees values in
    [0, 1]); `seed`: weights and batch order; `n_threads`: BLAS threads while fitting and
    predicting (fixed, so the result does not depend on the process it runs in).
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 32),
        alpha: float = 1e-3,
        epochs: int = 60,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        cap: float = 125.0,
        seed: int = 0,
        n_threads: int = 1,
    ) -> None:
        self.hidden = hidden
        self.alpha = alpha
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.cap = cap
        self.seed = seed
        self.n_threads = n_threads

    def fit(self, x: FloatArray, y: FloatArray) -> Self:
        """Standardise the features and train the network on `y / cap`."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor
        from threadpoolctl import threadpool_limits

        x = np.asarray(x, dtype=np.float64)
        spread = x.std(axis=0)
        self.center_ = x.mean(axis=0)
        self.scale_ = np.where(spread > 1e-12, spread, 1.0)
        self.network_: Any = MLPRegressor(
            hidden_layer_sizes=self.hidden,
            alpha=self.alpha,
            batch_size=self.batch_size,
            learning_rate_init=self.learning_rate,
            max_iter=self.epochs,
            # exactly `epochs` passes: no stop when the training loss levels off
            tol=0.0,
            n_iter_no_change=self.epochs + 1,
            shuffle=True,
            random_state=self.seed,
        )
        with threadpool_limits(self.n_threads), warnings.catch_warnings():
            # a fixed number of epochs is the setting, not a failure to converge
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.network_.fit((x - self.center_) / self.scale_, np.asarray(y) / self.cap)
        return self

    def predict(self, x: FloatArray) -> FloatArray:
        """Predicted remaining life (label scale) for each feature row."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(self.n_threads):
            z = (np.asarray(x, dtype=np.float64) - self.center_) / self.scale_
            return np.asarray(self.network_.predict(z), dtype=np.float64) * self.cap
