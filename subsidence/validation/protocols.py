"""Validation protocols that fit the study area: which split, how many folds, blocks and buffer.

The rules (written out with their reasons in ``docs/protocols.md``):

1. **Tiny networks** (fewer than :data:`LOO_MAX_POINTS` points, e.g. ~20 levelling benchmarks):
   leave-one-out. Blocks would hold one or two points each and folds of whole blocks would
   leave too few points to learn from.
2. **Spatial blocks** otherwise. The block side starts at the variogram range of last-epoch
   subsidence (:func:`subsidence_range_m`), so a test block is about one
   subsidence bowl. A small area (8 km x 18 km with a 10 km range holds 2 such blocks) gets
   smaller blocks: the range divided by 2, 3 or 4, the largest that gives at least
   ``2 x folds`` occupied blocks (every fold holds at least two blocks) for 3 to 5 folds
   (2 folds at the smallest block). The buffer is a quarter of the block at full size and
   half of what the block lost to the range when blocks were shrunk (so train and test points
   stay about a range apart across a block edge), halved until every fold keeps at least half
   of its training points.
3. **No honest spatial split** (fewer than :data:`LOO_MAX_POINTS` points, or blocks of a quarter of the range still fall in fewer than 4
   occupied blocks, or a fold would have fewer than :data:`MIN_TEST_POINTS` test points): the
   default falls back to the paper's random split and says why; the user can choose the
   temporal hold-out of the last acquisitions (any forecast claim) or leave-one-out. An
   explicit spatial request that cannot be met raises :class:`ProtocolError` naming what can be
   done.

Every :class:`Protocol` carries a plain sentence (``note``) with the block size, the buffer
and the reason, for the pages and the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.geostat.variogram import practical_range_m
from subsidence.series import SeriesData
from subsidence.validation.splits import (
    KINDS as KINDS,  # the split kinds, re-exported for the pages and the CLI
)
from subsidence.validation.splits import LEAVE_ONE_OUT as LEAVE_ONE_OUT
from subsidence.validation.splits import RANDOM as RANDOM
from subsidence.validation.splits import SPATIAL as SPATIAL
from subsidence.validation.splits import TEMPORAL as TEMPORAL
from subsidence.validation.splits import Fold, block_ids, folds_of, spatial_block_folds

LOO_MAX_POINTS = 50
"""Below this many points the default protocol is leave-one-out."""
MIN_TEST_POINTS = 5
"""A spatial fold with fewer test points than this is not a fair test."""
MAX_FOLDS = 5
SHRINK_FACTORS = (1, 2, 3, 4)
"""Block side = range / factor, tried in this order."""
MIN_TRAIN_KEPT = 0.5
"""The buffer is halved until every fold keeps at least this share of its training points."""


class ProtocolError(SubsidenceError):
    """The requested split cannot be made honestly on this study area; the message says what can."""


@dataclass(frozen=True)
class Protocol:
    """How models are trained and scored on one study area.

    Attributes
    ----------
    kind : {"spatial-block", "random", "temporal", "leave-one-out"}
    n_folds : int
        Fits per model (1 for random and temporal, one per point for leave-one-out).
    block_m, buffer_m : float or None
        Block side and buffer width of a spatial split, metres (None otherwise).
    note : str
        One or two plain sentences: what is held out, the block and buffer, and why.
    n_test_epochs : int or None
        Acquisitions held out at the end (temporal only).
    range_m : float or None
        Variogram range of last-epoch subsidence, metres, when it was estimated.
    alternatives : tuple of str
        Other kinds that can be run on this area.
    """

    kind: str
    n_folds: int
    block_m: float | None
    buffer_m: float | None
    note: str
    n_test_epochs: int | None = None
    range_m: float | None = None
    alternatives: tuple[str, ...] = ()

    def sentence(self) -> str:
        """The note, for pages and the CLI."""
        return self.note

    def folds(self, data: SeriesData, seed: int = 0) -> list[Fold]:
        """The train/test folds of this protocol on ``data`` (:func:`subsidence.validation.splits.folds_of`)."""
        return folds_of(
            self.kind,
            data.xy_m,
            data.n_epochs,
            seed,
            n_folds=self.n_folds,
            block_m=self.block_m,
            buffer_m=self.buffer_m,
            n_test_epochs=self.n_test_epochs,
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dictionary (for the CLI's output)."""
        out = asdict(self)
        out["alternatives"] = list(self.alternatives)
        return out


def _km(m: float) -> str:
    return f"{m / 1000:.1f} km" if m >= 1000 else f"{m:.0f} m"


def default_test_epochs(n_epochs: int) -> int:
    """Acquisitions held out by the temporal protocol: about 15 % of them, at least 1.

    At most ``n_epochs - 4`` so that the models keep 4 epochs to learn from.
    """
    return int(max(1, min(n_epochs - 4, round(0.15 * n_epochs))))


def subsidence_range_m(data: SeriesData, max_points: int = 2000, seed: int = 0) -> float:
    """Practical range (m) of an exponential variogram of last-epoch cumulative subsidence.

    :func:`subsidence.geostat.variogram.practical_range_m` on up to ``max_points`` points (seeded
    subsample), 20 distance classes up to half the extent's diagonal.
    """
    return practical_range_m(data.xy_m, data.subsidence_mm[:, -1], max_points=max_points, seed=seed)


def estimate_range_m(data: SeriesData, seed: int = 0) -> tuple[float, str]:
    """Variogram range of last-epoch subsidence (m) and how it was found (empty when fitted).

    Falls back to a quarter of the extent's diagonal when the fit is impossible (fewer than 10
    points, flat subsidence), saying so.
    """
    extent = np.ptp(data.xy_m, axis=0) if data.n_points else np.zeros(2)
    fallback = max(float(np.hypot(*extent)) / 4, 1.0)
    try:
        return subsidence_range_m(data, seed=seed), ""
    except (SubsidenceError, RuntimeError, ValueError):
        return fallback, " (the variogram of subsidence could not be fitted; a quarter of the extent is used)"


def _spatial_plan(
    data: SeriesData,
    range_m: float,
    n_folds: int | None,
    block_m: float | None,
    buffer_m: float | None,
    seed: int,
) -> tuple[int, float, float, str] | str:
    """(folds, block, buffer, reason) of an honest spatial split, or why there is none."""
    extent = np.ptp(data.xy_m, axis=0)
    area_text = f"the area ({_km(extent[0])} x {_km(extent[1])})"
    sizes = [block_m] if block_m is not None else [range_m / f for f in SHRINK_FACTORS]
    chosen = None
    for i, size in enumerate(sizes):
        counts = np.unique(block_ids(data.xy_m, size), return_counts=True)[1]
        cap = MAX_FOLDS if n_folds is None else len(counts)
        most = min(cap, len(counts) // 2, data.n_points // MIN_TEST_POINTS)
        want = n_folds if n_folds is not None else most
        last = i == len(sizes) - 1
        if want >= 2 and most >= want and (want >= 3 or last or n_folds is not None):
            chosen = (want, size, len(counts))
            break
    if chosen is None:
        blocks = len(np.unique(block_ids(data.xy_m, sizes[-1])))
        asked = f"{n_folds} folds" if n_folds is not None else "2 folds"
        return (
            f"{area_text} holds {blocks} occupied block(s) of {_km(sizes[-1])}, too few for {asked} of at least "
            f"two whole blocks each"
        )
    folds, size, n_blocks = chosen
    if block_m is not None:
        reason = f"blocks of {_km(size)} as asked ({n_blocks} occupied)"
    elif size == range_m:
        reason = f"blocks as wide as the subsidence range ({_km(range_m)}; {n_blocks} occupied)"
    else:
        reason = (
            f"{area_text} holds too few blocks as wide as the subsidence range ({_km(range_m)}), "
            f"so blocks are {_km(size)} ({n_blocks} occupied)"
        )
    if buffer_m is not None:
        return folds, size, buffer_m, reason
    buffer = size / 4 if size >= range_m else (range_m - size) / 2
    start = buffer
    fold_list = spatial_block_folds(data.xy_m, size, folds, seed, 0.0)
    for _ in range(6):
        kept = _kept_share(data.xy_m, fold_list, buffer)
        if kept >= MIN_TRAIN_KEPT:
            break
        buffer /= 2
    else:
        buffer = 0.0
    if buffer < start:
        reason += f"; the buffer is cut from {_km(start)} to {_km(buffer)} so every fold keeps half its training points"
    return folds, size, buffer, reason


def _kept_share(xy_m: np.ndarray, folds: list[Fold], buffer_m: float) -> float:
    """Smallest share of a fold's non-test points that a ``buffer_m`` buffer keeps."""
    from scipy.spatial import cKDTree

    if buffer_m <= 0:
        return 1.0
    tree = cKDTree(xy_m)
    worst = 1.0
    for f in folds:
        near = tree.query_ball_point(xy_m[f.test_idx], r=buffer_m)
        dropped = np.setdiff1d(np.unique(np.concatenate(near).astype(np.int64)), f.test_idx)
        candidates = len(xy_m) - len(f.test_idx)
        worst = min(worst, 1 - len(dropped) / max(candidates, 1))
    return worst


def default_protocol(
    data: SeriesData,
    kind: str | None = None,
    n_folds: int | None = None,
    seed: int = 0,
    *,
    block_m: float | None = None,
    buffer_m: float | None = None,
    n_test_epochs: int | None = None,
) -> Protocol:
    """The protocol the data allow (``kind`` None), or the requested one with defaults from the data.

    Parameters
    ----------
    data : SeriesData
    kind : str, optional
        One of :data:`KINDS`; None picks by the rules of the module docstring.
    n_folds : int, optional
        Spatial folds wanted; default from the number of occupied blocks (2..5).
    block_m, buffer_m : float, optional
        Spatial block side and buffer, metres; default from the subsidence range.
    n_test_epochs : int, optional
        Temporal hold-out; default :func:`default_test_epochs`.

    Raises
    ------
    ProtocolError
        When ``kind`` is given and cannot be made on this area (a spatial split with too few
        blocks, a temporal split with too few epochs); the message offers what can be done.
    """
    if kind is not None and kind not in KINDS:
        raise SubsidenceError(f"unknown split kind {kind!r}: expected one of {', '.join(KINDS)}")
    n, e = data.n_points, data.n_epochs
    if n < 2:
        raise ProtocolError(f"need at least 2 points to hold any out; found {n}")
    temporal_ok = e >= 5
    others = [k for k in (RANDOM, TEMPORAL, LEAVE_ONE_OUT) if k != TEMPORAL or temporal_ok]

    if kind == RANDOM:
        return Protocol(
            RANDOM,
            1,
            None,
            None,
            f"Random split of the {n} points, 70 % to train and 30 % to test (the paper's): it measures "
            "interpolation between neighbours, not how a model does where it saw no point.",
            alternatives=tuple(k for k in KINDS if k != RANDOM),
        )
    if kind == TEMPORAL:
        if not temporal_ok:
            raise ProtocolError(
                f"a temporal split needs at least 5 acquisitions; this area has {e}: use random or leave-one-out"
            )
        k = n_test_epochs if n_test_epochs is not None else default_test_epochs(e)
        if not 1 <= k <= e - 4:
            raise ProtocolError(f"hold out 1..{e - 4} of the {e} acquisitions; found {k}")
        return Protocol(
            TEMPORAL,
            1,
            None,
            None,
            f"Every point is fitted on its first {e - k} acquisitions and scored on the last {k} "
            f"(from {data.dates[e - k].date()}): the test for a forecast.",
            n_test_epochs=k,
            alternatives=tuple(x for x in KINDS if x != TEMPORAL),
        )
    if kind == LEAVE_ONE_OUT or (kind is None and n < LOO_MAX_POINTS):
        why = (
            f"With {n} points (fewer than {LOO_MAX_POINTS}) spatial blocks would leave too few points to learn from, "
            "so each"
            if kind is None
            else "Each"
        )
        return Protocol(
            LEAVE_ONE_OUT,
            n,
            None,
            None,
            f"{why} point is held out once and the models are fitted on the other {n - 1} "
            f"(leave-one-out, {n} fits per model).",
            alternatives=tuple(others[:-1] if kind is None else [k for k in KINDS if k != LEAVE_ONE_OUT]),
        )

    if n < LOO_MAX_POINTS and block_m is None:
        raise ProtocolError(
            f"no honest spatial split with {n} points (fewer than {LOO_MAX_POINTS}): blocks would hold one or two "
            f"points and leave too few to learn from; choose {', '.join(others)}"
        )
    range_m, how = estimate_range_m(data, seed)
    plan = _spatial_plan(data, range_m, n_folds, block_m, buffer_m, seed)
    if isinstance(plan, str):
        offer = "choose " + ", ".join(others) + (" (fewer than 50 points)" if n < LOO_MAX_POINTS else "")
        if kind == SPATIAL:
            raise ProtocolError(f"no honest spatial split: {plan}; {offer}")
        return Protocol(
            RANDOM,
            1,
            None,
            None,
            f"No honest spatial split: {plan}{how}. The random 70/30 split is used instead; it measures "
            f"interpolation between neighbours. You can also choose {', '.join(k for k in others if k != RANDOM)}.",
            range_m=range_m,
            alternatives=(TEMPORAL,) if temporal_ok else (),
        )
    folds, size, buffer, reason = plan
    note = (
        f"Spatial blocks of {_km(size)} dealt into {folds} folds, each held out once, with a {_km(buffer)} buffer "
        f"of dropped training points around the test points: {reason}{how}."
    )
    return Protocol(SPATIAL, folds, size, buffer, note, range_m=range_m, alternatives=tuple(others))


def make_folds(
    data: SeriesData,
    kind: str | None = None,
    n_folds: int | None = None,
    seed: int = 0,
    *,
    block_size_m: float | None = None,
    buffer_m: float | None = None,
    n_test_epochs: int | None = None,
) -> list[Fold]:
    """Folds of ``kind`` with defaults from the data: :func:`default_protocol`, then its folds.

    ``kind`` None and every option None give the protocol the data allow. Raises
    :class:`ProtocolError` when an explicitly requested split cannot be made.
    """
    protocol = default_protocol(
        data, kind, n_folds, seed, block_m=block_size_m, buffer_m=buffer_m, n_test_epochs=n_test_epochs
    )
    return protocol.folds(data, seed)
