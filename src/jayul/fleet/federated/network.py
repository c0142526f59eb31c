"""The federated RUL model's network: a small multi-layer perceptron in plain numpy.

Why numpy and not the C-MAPSS benchmark's LightGBM blend: federated averaging (FedAvg,
FedProx) averages parameters, which is honest for a network whose sites start every round
from the same weights (their updates live in one space), and meaningless for trees. The
parameters are a list of arrays, exactly what Flower's strategies aggregate.

Training is mini-batch Adam on the squared error of `y / cap`, with an L2 penalty and, for
FedProx, the proximal term `mu / 2 * ||w - w_round||^2` that keeps a site near the round's
global weights when its data differ from the others'.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Weights = list[FloatArray]


def init_weights(n_inputs: int, hidden: Sequence[int], seed: int) -> Weights:
    """He-initialised weights and zero biases: [W1, b1, W2, b2, ..., W_out, b_out]."""
    rng = np.random.default_rng(seed)
    sizes = [n_inputs, *hidden, 1]
    weights: Weights = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        weights.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)))
        weights.append(np.zeros(fan_out))
    return weights


def forward(weights: Weights, x: FloatArray) -> tuple[FloatArray, list[FloatArray]]:
    """Output (rows,) and the activations of every layer (input first) for backprop."""
    activations = [x]
    h = x
    n_layers = len(weights) // 2
    for layer in range(n_layers):
        h = h @ weights[2 * layer] + weights[2 * layer + 1]
        if layer < n_layers - 1:
            h = np.maximum(h, 0.0)
        activations.append(h)
    return h[:, 0], activations


def gradients(weights: Weights, x: FloatArray, y: FloatArray) -> Weights:
    """Gradient of the mean squared error over the batch, in the order of `weights`."""
    out, activations = forward(weights, x)
    delta = (2.0 / len(y)) * (out - y)[:, None]
    grads: Weights = [np.empty(0)] * len(weights)
    for layer in range(len(weights) // 2 - 1, -1, -1):
        grads[2 * layer] = activations[layer].T @ delta
        grads[2 * layer + 1] = delta.sum(axis=0)
        if layer > 0:
            delta = (delta @ weights[2 * layer].T) * (activations[layer] > 0.0)
    return grads


def train(
    weights: Weights,
    x: FloatArray,
    y: FloatArray,
    epochs: int,
    seed: int,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    l2: float = 1e-4,
    proximal_mu: float = 0.0,
) -> Weights:
    """`epochs` passes of Adam from `weights` (not changed); a fresh optimiser state each call,
    as a site starts each federated round. `proximal_mu > 0` adds FedProx's proximal term."""
    anchor = [w.copy() for w in weights]
    current = [w.copy() for w in weights]
    first = [np.zeros_like(w) for w in weights]
    second = [np.zeros_like(w) for w in weights]
    rng = np.random.default_rng(seed)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            grads = gradients(current, x[batch], y[batch])
            step += 1
            for i, grad in enumerate(grads):
                if i % 2 == 0:  # penalise weights, not biases
                    grad = grad + l2 * current[i]
                if proximal_mu > 0.0:
                    grad = grad + proximal_mu * (current[i] - anchor[i])
                first[i] = 0.9 * first[i] + 0.1 * grad
                second[i] = 0.999 * second[i] + 0.001 * grad * grad
                m_hat = first[i] / (1.0 - 0.9**step)
                v_hat = second[i] / (1.0 - 0.999**step)
                current[i] = current[i] - learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
    return current


def predict(weights: Weights, x: FloatArray) -> FloatArray:
    """The network's output for each row."""
    out, _ = forward(weights, x)
    return out
