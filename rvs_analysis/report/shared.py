"""Region-wide results computed once per process, not once per report.

Several chapters fit one model over every municipality of the region and only highlight the
report's own area afterwards: the clearance drivers model, the pilots' difference-in-differences
and event study. Their result is the same for each of the region's areas, so in a batch that
renders a report per municipality a warm kernel would fit the same model 39 times.
:func:`computed_once` keeps such a result in the process, keyed by the function, its arguments and
the *content* of the frames it is given (a changed source changes the key, so a result is never
reused across source versions), and hands every caller its own copy (a pickle round trip), so
that a report cannot change what the next report gets.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rvs_analysis.exceptions import UnkeyableArgumentError
from rvs_analysis.timings import timed

__all__ = ["UnkeyableArgumentError", "clear", "computed_once", "content_key"]

_RESULTS: dict[tuple, bytes] = {}
_LIMIT = 32
"""Results kept at most (a batch needs a handful; older ones are dropped first)."""


def _fingerprint(value: pd.DataFrame | pd.Series) -> tuple:
    """A frame or series by its content: shape, column names, types and a SHA-256 of its values
    and index."""
    if isinstance(value, pd.Series):
        return ("series", *_fingerprint(value.to_frame()))
    digest = hashlib.sha256()
    digest.update(repr(list(value.columns)).encode())
    digest.update(repr(list(value.dtypes.astype(str))).encode())
    digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    return ("frame", value.shape, digest.hexdigest())


_PLAIN = (str, bytes, int, float, complex, bool, type(None))


def content_key(value: Any) -> Any:
    """A hashable key that is equal for arguments of equal content, strictly.

    Plain values stand for themselves; frames, series and arrays for their type, shape and a
    SHA-256 of their bytes (:func:`_fingerprint`); lists, tuples, sets and dicts for their items'
    keys.

    Raises
    ------
    UnkeyableArgumentError
        For anything else (an object whose content the key could not vouch for).
    """
    if isinstance(value, _PLAIN):
        return (type(value).__name__, value)
    if isinstance(value, np.generic):
        return (type(value).__name__, value.item())
    if isinstance(value, pd.DataFrame | pd.Series):
        return (*_fingerprint(value), repr(value.attrs))
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return ("array", tuple(content_key(item) for item in value.tolist()))
        return ("array", value.dtype.str, value.shape, hashlib.sha256(value.tobytes()).hexdigest())
    if isinstance(value, pd.Timestamp):
        return ("timestamp", value.isoformat())
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(content_key(item) for item in value))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted(repr(content_key(item)) for item in value)))
    if isinstance(value, dict):
        return ("dict", tuple((content_key(k), content_key(v)) for k, v in value.items()))
    raise UnkeyableArgumentError(f"no content key for {type(value).__name__}")


def computed_once(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, computed once per process for equal arguments.

    Parameters
    ----------
    function : callable
        A pure function (its result depends on its arguments only) whose result can be pickled.
    *args, **kwargs
        Its arguments, compared by :func:`content_key` (frames by columns, types, index and
        values); a call with an argument that has no content key is computed and not kept.

    Returns
    -------
    object
        A fresh copy of the result on every call.

    Notes
    -----
    The seconds spent computing (not those of a repeated call) are counted in the
    ``"shared_results"`` stopwatch of :mod:`rvs_analysis.timings`.
    """
    try:
        key = (
            getattr(function, "__module__", ""),
            getattr(function, "__qualname__", repr(function)),
            content_key(args),
            content_key(kwargs),
        )
    except UnkeyableArgumentError:
        return function(*args, **kwargs)  # nothing to compare by: computed, not kept
    stored = _RESULTS.get(key)
    if stored is None:
        with timed("shared_results"):
            result = function(*args, **kwargs)
            stored = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        while len(_RESULTS) >= _LIMIT:
            del _RESULTS[next(iter(_RESULTS))]
        _RESULTS[key] = stored
    return pickle.loads(stored)


def clear() -> None:
    """Forget every stored result."""
    _RESULTS.clear()
