"""What every model sees and what every model offers.

All models (the paper's LSTM, baselines, physics and spatial models) take the same
:class:`subsidence.series.SeriesData` and return modelled changes in the same layout, so evaluation, saving
and the pages treat them alike.

Layout of changes: with ``E`` epochs there are ``E - 1`` changes; column ``k`` is the change
from epoch ``k`` to epoch ``k + 1`` in mm (positive = more subsidence). A one-step-ahead
prediction of column ``k`` may use inputs up to epoch ``k`` only (the change in column
``k - 1`` and the head up to epoch ``k``). Column 0 has no history and is NaN in predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from subsidence.series import SeriesData

ONE_STEP = "one-step"
FREE_RUNNING = "free-running"
MODES = (ONE_STEP, FREE_RUNNING)


@dataclass(frozen=True)
class TrainingProgress:
    """One report from a training loop, passed to the ``progress`` callback.

    ``epoch`` counts from 1; ``val_loss`` is None without a validation part.
    """

    epoch: int
    max_epochs: int
    train_loss: float
    val_loss: float | None = None
    message: str = ""


ProgressCallback = Callable[[TrainingProgress], None]
StopFlag = Callable[[], bool]


class Model(Protocol):
    """What every model offers. Implementations are registered in ``subsidence.models``.

    ``fit`` returns a fitted model (it may return ``self``); ``predict`` returns modelled
    changes of shape (n, E - 1) in mm in the layout described in this module's docstring.
    ``to_state``/``from_state`` give arrays (saved as safetensors) and JSON-safe metadata:
    saving never pickles.
    """

    name: ClassVar[str]

    def __init__(self, config: Any = None) -> None: ...

    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Model: ...

    def predict(self, data: SeriesData, mode: str = ONE_STEP) -> np.ndarray: ...

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]: ...

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Model: ...
