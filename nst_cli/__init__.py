"""The top layer: the command line (``python -m nst_cli``), built on the extended run, and its batches of several workers.

``main`` and the other public names come from ``nst_cli.app`` when first used, so that the
package imports none of its modules and ``app`` can import ``nst_cli.batch`` without a circle.
"""

import importlib

__all__ = ["main", "build_parser", "make_plan", "make_settings", "resolve_recipe"]


def __getattr__(name: str):
    """The public name ``name``, imported from ``nst_cli.app`` on first use."""
    if name not in __all__:
        raise AttributeError(f"module 'nst_cli' has no attribute {name!r}")
    value = getattr(importlib.import_module("nst_cli.app"), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
