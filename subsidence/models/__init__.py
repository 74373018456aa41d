"""The model registry: names accepted by ``train`` and the pages, and their classes.

Classes are imported lazily so that ``import subsidence`` stays light (torch loads only when
a neural model is used).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from subsidence.errors import SubsidenceError

if TYPE_CHECKING:  # the protocol only; importing it here would load numpy for nothing
    from subsidence.models.base import Model

# name -> (module, class). The order is the order shown to users.
_REGISTRY: dict[str, tuple[str, str]] = {
    "paper-lstm": ("subsidence.models.lstm", "PaperLSTM"),
    "persistence": ("subsidence.models.baselines", "Persistence"),
    "linear-trend": ("subsidence.models.baselines", "LinearTrend"),
    "seasonal-trend": ("subsidence.models.baselines", "SeasonalTrend"),
    "gm11": ("subsidence.models.baselines", "GM11"),
    "consolidation": ("subsidence.models.consolidation", "Consolidation"),
    "spatial-lstm": ("subsidence.models.hybrid", "SpatialLSTM"),
    "physics-lstm": ("subsidence.models.hybrid", "PhysicsLSTM"),
}


def model_names() -> list[str]:
    """Names of all models ``train`` accepts, in display order."""
    return list(_REGISTRY)


def model_class(name: str) -> type[Model]:
    """The class registered under ``name``.

    Raises
    ------
    SubsidenceError
        If ``name`` is not a registered model; the message lists the known names.
    """
    if name not in _REGISTRY:
        raise SubsidenceError(f"unknown model {name!r}: expected one of {', '.join(_REGISTRY)}")
    module, cls = _REGISTRY[name]
    found: type[Model] = getattr(importlib.import_module(module), cls)
    return found


def make_model(name: str, config: Any = None, *, max_epochs: int | None = None) -> Model:
    """An unfitted model of the registry; ``max_epochs`` overrides the config's when it has one.

    Model classes take an optional config as their only argument and expose it as ``.config``.
    """
    from dataclasses import fields, replace

    cls = model_class(name)
    model = cls(config) if config is not None else cls()
    if max_epochs is not None:
        if max_epochs < 1:
            raise SubsidenceError(f"max_epochs must be >= 1; found {max_epochs}")
        current = getattr(model, "config", None)
        if current is not None and "max_epochs" in {f.name for f in fields(current)}:
            model = cls(replace(current, max_epochs=max_epochs))
    return model
