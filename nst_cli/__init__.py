"""The top layer: the command line (``python -m nst_cli``), built on the extended run, and its batches of several workers."""

from nst_cli.app import build_parser, main, make_plan, make_settings, resolve_recipe

__all__ = ["main", "build_parser", "make_plan", "make_settings", "resolve_recipe"]
