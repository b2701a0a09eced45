"""Which precision VGG19 computes in, and the models a run needs for it."""

from __future__ import annotations

import os

import tensorflow as tf

import nst_helpers as nst
from nst_plumbing.checks import one_of
from nst_plumbing.config import BFLOAT16_MIN_SIDE, PRECISIONS
from nst_plumbing.device import native_bfloat16
from nst_plumbing.weights import VGG19Weights

__all__ = ["preferred_precision", "resolve_precision", "model_precision", "build_models"]


def preferred_precision(image_side: int | None = None) -> str:
    """The precision ``precision="auto"`` picks for VGG19 on this machine.

    ``"bfloat16"`` where the hardware multiplies bfloat16 matrices natively (a GPU of compute
    capability 8.0 or later, Ampere and newer, or a CPU with AMX-BF16 tiles) and the image is
    large enough for that to pay reliably: below ``BFLOAT16_MIN_SIDE`` pixels on its longest side
    the measured gain varied from run to run, sometimes a loss. ``"float32"`` everywhere else,
    where bfloat16 would be emulated and could be slower. ``tools/benchmark.py`` measures both on
    the machine at hand.

    Args:
        image_side: The longest side of the run's result; ``None`` leaves size out of it.
    """
    if image_side is not None and image_side < BFLOAT16_MIN_SIDE:
        return "float32"
    return "bfloat16" if native_bfloat16() else "float32"


def resolve_precision(precision: str, image_side: int | None = None) -> str:
    """``precision``, with ``"auto"`` replaced by ``preferred_precision(image_side)``.

    Raises:
        ValueError: ``precision`` is not one of ``PRECISIONS``.
    """
    one_of("precision", precision, PRECISIONS)
    return preferred_precision(image_side) if precision == "auto" else precision


def model_precision(model: tf.keras.Model) -> str:
    """``"bfloat16"`` if any layer of ``model`` computes in bfloat16, else ``"float32"``."""
    return "bfloat16" if any(layer.compute_dtype == "bfloat16" for layer in model.layers) else "float32"


def build_models(precision: str, weights: VGG19Weights | str | os.PathLike | None = "auto", verbose: bool = True,
                 ) -> tuple[tf.keras.Model, tf.keras.Model]:
    """The model a run steps with, and the one that computes its targets.

    A bfloat16 run computes its targets with a float32 model: exact targets keep its loss within
    about a percent of float32's. A float32 run uses one model for both.

    Args:
        precision: ``"float32"`` or ``"bfloat16"``.
        weights: What ``nst_helpers.get_model`` accepts.
        verbose: Print which weights were loaded.

    Returns:
        ``(model, target_model)``.
    """
    model = nst.get_model(weights=weights, verbose=verbose, precision=precision)
    target_model = nst.get_model(weights=weights, verbose=False) if precision == "bfloat16" else model
    return model, target_model
