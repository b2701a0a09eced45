"""Argument checks shared by every layer: each returns the value, or raises a ``ValueError`` naming it."""

from __future__ import annotations

import math
import numbers
import re
from typing import Sequence, TypeVar

__all__ = ["one_of", "positive_int", "non_negative_float", "positive_float", "parse_duration"]

T = TypeVar("T")


def one_of(name: str, value: T, allowed: Sequence[T]) -> T:
    """``value`` if it is one of ``allowed``.

    Raises:
        ValueError: It is not; the message lists what is allowed.
    """
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def positive_int(name: str, value: int) -> int:
    """``value`` as an ``int`` if it is an integer of at least 1 (a ``bool`` is not).

    Raises:
        ValueError: It is not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def non_negative_float(name: str, value: float) -> float:
    """``value`` as a ``float`` if it is a finite real number of at least 0 (a ``bool`` is not).

    Raises:
        ValueError: It is not (NaN and infinity included).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def positive_float(name: str, value: float) -> float:
    """``value`` as a ``float`` if it is a finite real number greater than 0.

    Raises:
        ValueError: It is not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number greater than 0; got {value!r}")
    return float(value)


_DURATION = re.compile(r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m(?:in)?)?(?:(?P<s>\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str | float) -> float:
    """Seconds in a duration such as ``60``, ``"90s"``, ``"2m"``, ``"1m30s"`` or ``"1.5h"``.

    Raises:
        ValueError: ``text`` is not a positive duration.
    """
    if isinstance(text, numbers.Real) and not isinstance(text, bool):
        seconds = float(text)
    else:
        found = _DURATION.match(str(text).strip().lower().replace(" ", ""))
        if not found or not any(found.groups()):
            raise ValueError(f"a time budget is seconds (60), or with units (90s, 2m, 1m30s, 1h); got {text!r}")
        seconds = sum(float(found.group(unit) or 0) * scale for unit, scale in (("h", 3600), ("m", 60), ("s", 1)))
    if not math.isfinite(seconds) or not seconds > 0:
        raise ValueError(f"a time budget must be more than 0 seconds; got {text!r}")
    return seconds
