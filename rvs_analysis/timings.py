"""Where a report's seconds go: named stopwatches that the renderer reads after every report.

Library code wraps its expensive, shareable steps in :func:`timed` (``sources.load_source``:
``"source_load"``; the harmonised frames of ``report.area_data``: ``"harmonise"``). The seconds
add up per name in the process until :func:`take` returns and clears them; the renderer's warm
kernel takes them before and after each report, so the manifest records per report how much of
its cells' time went into loading and harmonising the source (and shows that a warm kernel pays
it once per batch). Outside a batch nobody takes them and they cost a dictionary update.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["take", "timed"]

_TOTALS: dict[str, float] = {}


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Add the seconds spent in the ``with`` block to the stopwatch ``name``.

    Parameters
    ----------
    name : str
        Stopwatch name, e.g. ``"source_load"``.

    Notes
    -----
    Wall-clock seconds (:func:`time.perf_counter`), counted also when the block raises. Nested
    blocks of the same name are counted once (the outer one).
    """
    if name in _ACTIVE:
        yield
        return
    _ACTIVE.add(name)
    started = time.perf_counter()
    try:
        yield
    finally:
        _ACTIVE.discard(name)
        _TOTALS[name] = _TOTALS.get(name, 0.0) + time.perf_counter() - started


_ACTIVE: set[str] = set()


def take() -> dict[str, float]:
    """The seconds per stopwatch since the last call, rounded to milliseconds; then reset.

    Returns
    -------
    dict of str to float
        Only stopwatches that ran; empty when none did.
    """
    totals = {name: round(seconds, 4) for name, seconds in _TOTALS.items()}
    _TOTALS.clear()
    return totals
