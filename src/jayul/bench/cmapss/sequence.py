"""A small dilated 1-D convolutional network on the raw history: an optional blend member.

The tree members read summaries of fixed windows (means, slopes, spreads); this network reads
the last `window` rows of the standardised signals (and the health index) themselves, through
three dilated convolutions (a small temporal convolutional network), so it can pick up shapes
of the recent path that the summaries flatten, and its errors differ from the trees'. Two
scalars join before the head: the age (rows seen) and the health index's own baseline (mean of
the unit's first rows), which the window alone cannot see.

torch is an optional extra (`pip install jayul[torch]`): it is imported only when a network is
fitted or used, so this module imports without it. Deterministic for a seed: fixed seeds for
the weights and the batch order, deterministic algorithms, and a fixed thread count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from jayul.health.rul.features import WindowFeatures

FloatArray = npt.NDArray[np.float64]


def torch_available() -> bool:
    """Whether the optional torch extra is installed."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _torch() -> Any:
    try:
        import torch
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the 'conv' RUL member needs torch, an optional extra: pip install 'jayul[torch]'"
        ) from error
    return torch


@contextmanager
def _torch_settings(threads: int) -> Iterator[Any]:
    """torch with a fixed thread count and deterministic algorithms, restored afterwards
    (both are process-wide settings)."""
    torch = _torch()
    threads_before = torch.get_num_threads()
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(max(1, threads))
    torch.use_deterministic_algorithms(True)
    try:
        yield torch
    finally:
        torch.set_num_threads(threads_before)
        torch.use_deterministic_algorithms(deterministic_before)


def _network(torch: Any, n_channels: int, width: int, kernel: int, n_scalars: int) -> Any:
    nn = torch.nn

    class DilatedConvNet(nn.Module):  # type: ignore[misc,name-defined]
        """Three dilated convolutions (dilation 1, 2, 4); the last step and the mean over
        time of the top layer, with the scalars, feed a two-layer head."""

        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv1d(n_channels, width, kernel, dilation=1),
                nn.ReLU(),
                nn.Conv1d(width, width, kernel, dilation=2),
                nn.ReLU(),
                nn.Conv1d(width, width, kernel, dilation=4),
                nn.ReLU(),
            )
            self.head = nn.Sequential(
                nn.Linear(2 * width + n_scalars, width), nn.ReLU(), nn.Linear(width, 1)
            )

        def forward(self, x: Any, scalars: Any) -> Any:
            h = self.conv(x)
            pooled = torch.cat([h[:, :, -1], h.mean(dim=2), scalars], dim=1)
            return self.head(pooled).squeeze(1)

    return DilatedConvNet()


class ConvSequenceRegressor:
    """Remaining life (capped) from the last `window` rows of a history (module docstring).

    `window`: rows read (a shorter history is padded at its start with its first row);
    `width`: channels of every convolution and of the head; `kernel`: convolution width
    (with dilations 1, 2, 4 the network sees `1 + 7 * (kernel - 1)` rows, at most `window`);
    `epochs`, `batch_size`, `learning_rate`, `weight_decay`: Adam training (the rate decays
    to zero on a cosine); `row_stride`: train on every k-th row of each history;
    `baseline_rows`: rows whose health-index mean is the unit's baseline; `cap`: the label
    cap (the network predicts label / cap); `seed`, `n_threads`: determinism and CPU use.
    """

    def __init__(
        self,
        window: int = 40,
        width: int = 24,
        kernel: int = 5,
        epochs: int = 20,
        batch_size: int = 256,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        row_stride: int = 2,
        baseline_rows: int = 20,
        baseline_channels: bool = False,
        context_windows: Sequence[int] = (),
        cap: float = 125.0,
        seed: int = 0,
        n_threads: int = 1,
    ) -> None:
        self.window = window
        self.width = width
        self.kernel = kernel
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.row_stride = row_stride
        self.baseline_rows = baseline_rows
        self.baseline_channels = baseline_channels
        self.context_windows = context_windows
        self.cap = cap
        self.seed = seed
        self.n_threads = n_threads

    def _inputs(
        self, history: FloatArray, rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Windows (rows x channels x window) ending at each of `rows`, and the scalars."""
        z = self.features_.signals(history)
        start = z[: max(1, self.baseline_rows)].mean(axis=0)
        head = start[-1] if self.index_ else 0.0
        rows = np.asarray(rows, dtype=np.int64)
        context = [np.empty((len(rows), 0))]
        if self.context_windows:
            # longer context than the window: each signal's mean over the last w rows, as a
            # change from the unit's start (slow wear shows over hundreds of rows)
            cum = np.vstack([np.zeros((1, z.shape[1])), np.cumsum(z, axis=0)])
            for w in self.context_windows:
                lo = np.maximum(rows + 1 - w, 0)
                mean = (cum[rows + 1] - cum[lo]) / (rows + 1 - lo)[:, None]
                context.append(mean - start)
        if self.baseline_channels:
            # every signal's change from the unit's own start, as the tree features have it
            z = np.hstack([z, z - start])
        padded = np.vstack([np.repeat(z[:1], self.window - 1, axis=0), z])
        # windows[r] holds rows r - window + 1 .. r of the history (padded before row 0)
        windows = sliding_window_view(padded, self.window, axis=0)[rows]
        age = (np.asarray(rows, dtype=np.float64) + 1.0) / 100.0
        scalars = np.column_stack([age, np.full(len(rows), head), *context])
        return windows.astype(np.float32), scalars.astype(np.float32)

    def fit(
        self,
        features: WindowFeatures,
        histories: Sequence[FloatArray],
        labels: Sequence[FloatArray],
    ) -> Self:
        """Train on every `row_stride`-th row of each history against its (capped) `labels`.
        `features` (fitted) standardises the signals and adds its health index, if any."""
        reach = 1 + 7 * (self.kernel - 1)  # rows the three dilated convolutions span
        if reach > self.window:
            raise ValueError(f"kernel {self.kernel} spans {reach} rows, window is {self.window}")
        self.features_ = features
        self.index_ = features.index_weights_ is not None
        stride = max(1, self.row_stride)
        parts = [self._inputs(h, np.arange(0, len(h), stride)) for h in histories]
        x = np.concatenate([p[0] for p in parts])
        s = np.concatenate([p[1] for p in parts])
        y = np.concatenate([np.asarray(label)[::stride] for label in labels]) / self.cap
        n_channels = x.shape[1]
        with _torch_settings(self.n_threads) as torch:
            torch.manual_seed(self.seed)
            net = _network(torch, n_channels, self.width, self.kernel, s.shape[1])
            optimiser = torch.optim.Adam(
                net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
            )
            x_t, s_t = torch.from_numpy(x), torch.from_numpy(s)
            y_t = torch.from_numpy(y.astype(np.float32))
            order = torch.Generator().manual_seed(self.seed)
            net.train()
            for epoch in range(self.epochs):
                # cosine decay to zero: the last epochs take small steps, so the weights a
                # seed ends with depend less on the last few batches
                rate = 0.5 * self.learning_rate * (1 + np.cos(np.pi * epoch / self.epochs))
                for group in optimiser.param_groups:
                    group["lr"] = rate
                batches = torch.randperm(len(y_t), generator=order).split(self.batch_size)
                for batch in batches:
                    optimiser.zero_grad()
                    loss = torch.mean((net(x_t[batch], s_t[batch]) - y_t[batch]) ** 2)
                    loss.backward()
                    optimiser.step()
            net.eval()
        self.network_ = net
        self.shape_ = (n_channels, s.shape[1])
        return self

    # The network's class is built inside a function (so that torch is imported only when
    # used) and so cannot be pickled by reference: pickle its weights and rebuild it.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "network_" in state:
            state["network_"] = {k: v.clone() for k, v in state["network_"].state_dict().items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "network_" in state:
            torch = _torch()
            net = _network(torch, self.shape_[0], self.width, self.kernel, self.shape_[1])
            net.load_state_dict(state["network_"])
            net.eval()
            self.network_ = net

    def _predict(self, x: npt.NDArray[np.float32], s: npt.NDArray[np.float32]) -> FloatArray:
        with _torch_settings(self.n_threads) as torch, torch.no_grad():
            out = self.network_(torch.from_numpy(x), torch.from_numpy(s)).numpy()
        return np.asarray(out, dtype=np.float64) * self.cap

    def predict_rows(self, history: FloatArray, rows: npt.NDArray[np.int64]) -> FloatArray:
        """Prediction at each of `rows` of one history, from the rows up to it only."""
        x, s = self._inputs(history, np.asarray(rows, dtype=np.int64))
        return self._predict(x, s)

    def predict_last(self, histories: Sequence[FloatArray]) -> FloatArray:
        """Prediction at the last row of each history."""
        xs, ss = [], []
        for h in histories:
            x, s = self._inputs(h, np.array([len(h) - 1]))
            xs.append(x)
            ss.append(s)
        return self._predict(np.concatenate(xs), np.concatenate(ss))
