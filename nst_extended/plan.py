"""An extended run's plan: every check, the sizes, the precision and the memory estimate, before any work.

Nothing is decoded and no model is built here: image sizes come from the files' headers (or the
arrays' shapes), so a bad file, a mask that does not fit, an image too small for VGG19 or a run
that cannot fit in memory is refused at once, naming what is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import tensorflow as tf

from nst_extended.controls import blend_weights, read_regions, style_side
from nst_extended.precision import model_precision, resolve_precision
from nst_extended.settings import SettingError, Settings
from nst_plumbing.config import MIN_IMAGE_SIDE
from nst_plumbing.device import get_profile
from nst_plumbing.images import ImageSource, as_batch, image_size, read_grey, scaled_size
from nst_plumbing.memory import MemoryEstimate, check_memory_fits

__all__ = ["Plan", "plan_run", "style_list"]


@dataclass(frozen=True)
class Plan:
    """What an extended run will do, worked out and checked before any image is decoded.

    Attributes:
        content: The content image (path, URL or RGB array).
        styles: The style images; ``None`` is a region without style.
        mask: The mask's grey levels (read once), or ``None``.
        settings: The run's ``Settings``.
        levels: The longest side of each level, coarse to fine (``None``: the profile's size, or
            an array's own).
        iterations: The evaluations of each level.
        blend: Each style's weight, normalised.
        precision: ``"float32"`` or ``"bfloat16"``: what VGG19 computes in.
        sizes: Per level, the ``(width, height)`` of the content and of each real style image.
        memory: The peak-memory estimate, or ``None`` when ``settings.check_memory`` is off.
    """

    content: ImageSource
    styles: tuple[ImageSource | None, ...]
    mask: np.ndarray | None
    settings: Settings
    levels: tuple[int | None, ...]
    iterations: tuple[int, ...]
    blend: tuple[float, ...]
    precision: str
    sizes: tuple[tuple[tuple[int, int], ...], ...]
    memory: MemoryEstimate | None

    @property
    def resize_arrays(self) -> bool:
        """Whether arrays are resized to each level (coarse to fine), or keep their size."""
        return self.settings.scales is not None

    @property
    def resize_styles(self) -> bool:
        """Whether style arrays are resized (coarse to fine, or a ``style_scale``)."""
        return self.resize_arrays or self.settings.style_scale != 1

    @property
    def result_size(self) -> tuple[int, int]:
        """The result's ``(width, height)``."""
        return self.sizes[-1][0]


def style_list(style: ImageSource | Sequence[ImageSource | None]) -> list[ImageSource | None]:
    """``style`` as a list of styles: one image, or a non-empty sequence of them."""
    if isinstance(style, (str, os.PathLike, np.ndarray)):
        return [style]
    if isinstance(style, Sequence) and not isinstance(style, bytes) and len(style) > 0:
        return list(style)
    raise ValueError(f"style must be an image (path, URL or RGB array) or a non-empty list of them; got {style!r}")


def planned_size(image: ImageSource, max_dim: int | None, resize_arrays: bool) -> tuple[int, int]:
    """The ``(width, height)`` an image will have at a level, from a file's header (nothing decoded)."""
    if isinstance(image, (str, os.PathLike)):
        return image_size(image, get_profile().max_dim if max_dim is None else max_dim)
    return scaled_size(as_batch(image, None).shape[2:0:-1], max_dim if resize_arrays else None)


def _check_sides(level_sizes: tuple[tuple[int, int], ...], num_styles: int) -> None:
    names = ["content"] + [f"style{f' {i + 1}' if num_styles > 1 else ''}" for i in range(num_styles)]
    for name, (width, height) in zip(names, level_sizes):
        if min(width, height) < MIN_IMAGE_SIDE:
            raise ValueError(f"the {name} image is {width}x{height} px; each side must be at least {MIN_IMAGE_SIDE} "
                             "px for VGG19's deepest layers (raise max_dim, the first scale or style_scale)")


def _check_styles(styles: list, mask: ImageSource | None) -> None:
    if all(style is None for style in styles):
        raise ValueError("every style is None: give at least one style image")
    if mask is None and any(style is None for style in styles):
        raise ValueError("a style of None leaves a region without style, so it needs a mask that marks the regions")


def plan_run(content: ImageSource, style: ImageSource | Sequence[ImageSource | None], settings: Settings, *,
             mask: ImageSource | None = None, model: tf.keras.Model | None = None) -> Plan:
    """Checks an extended run and works out what it will do, before any image is decoded.

    Args:
        content: The content image (path, URL or RGB array).
        style: A style image, or a list of them (``None``: a region without style, with a mask).
        settings: The run's ``Settings``.
        mask: An image of grey levels with the content's aspect ratio, one level per style.
        model: The model the run will step with, if it is given: the run keeps its precision.

    Returns:
        The ``Plan``.

    Raises:
        ValueError: The styles, weights, mask or sizes do not fit, or an image is unreadable.
        InsufficientMemoryError: (a ``ValueError``) the run cannot fit in memory.
    """
    styles = style_list(style)
    _check_styles(styles, mask)
    try:
        blend = blend_weights(settings.style_blend_weights, styles)
    except ValueError as exc:  # the weights do not match the styles: a setting, named as such
        raise SettingError("style_blend_weights", str(exc)) from None
    if model is not None and settings.precision not in ("auto", model_precision(model)):
        raise ValueError(f"precision {settings.precision!r} contradicts the given model, which computes in "
                         f"{model_precision(model)}; pass precision='auto' or build the model with "
                         "get_model(precision=...)")
    levels = settings.levels
    resize_arrays, resize_styles = settings.scales is not None, settings.scales is not None or settings.style_scale != 1
    sizes = []
    for level in levels:
        content_size = planned_size(content, level, resize_arrays)
        side = style_side(max(content_size), settings.style_scale)
        sizes.append((content_size, *(planned_size(image, side, resize_styles) for image in styles
                                      if image is not None)))
        _check_sides(sizes[-1], len(styles))
    if mask is not None:
        read_regions(mask, sizes[-1][0], len(styles))  # a mismatch fails now, naming the file
        mask = read_grey(mask) if isinstance(mask, (str, os.PathLike)) else np.asarray(mask)
    width, height = max(sizes[-1], key=lambda size: size[0] * size[1])
    precision = model_precision(model) if model is not None else resolve_precision(settings.precision,
                                                                                    max(width, height))
    memory = (check_memory_fits(height, width, optimizer=settings.optimizer, precision=precision)
              if settings.check_memory else None)
    return Plan(content, tuple(styles), mask, settings, levels, settings.iterations_per_level(get_profile().iterations),
                tuple(blend), precision, tuple(sizes), memory)
