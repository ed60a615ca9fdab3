"""The one number coercer of every configuration: settings, environment variables, YAML fields."""

from __future__ import annotations

from typing import Any


def number(
    raw: Any,
    kind: type = int,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> Any:
    """`raw` (a number, or text from the command line or the environment) as an int or float
    within bounds. ValueError says what was expected and what came, for the caller to prefix with
    the setting's name and line."""
    what = "a whole number" if kind is int else "a number"
    bounds = []
    if above is not None:
        bounds.append(f"> {above:g}")
    if minimum is not None:
        bounds.append(f">= {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    expected = f"expected {what}" + (f" {' and '.join(bounds)}" if bounds else "")
    if isinstance(raw, bool):
        raise ValueError(f"{expected}, got {raw!r}")
    try:
        if kind is int and isinstance(raw, float):
            if not raw.is_integer():
                raise ValueError
            value: Any = int(raw)
        else:
            value = kind(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ValueError(f"{expected}, got {raw!r}") from None
    too_low = (minimum is not None and value < minimum) or (above is not None and value <= above)
    if too_low or (maximum is not None and value > maximum):
        raise ValueError(f"{expected}, got {raw!r}")
    return value
