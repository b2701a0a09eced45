"""The options of an extended run, in one object, each checked when the object is made."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nst_extended.controls import blend_weights
from nst_plumbing.checks import non_negative_float, one_of, positive_float, positive_int
from nst_plumbing.config import (BETA_1, CONTENT_WEIGHT, EPSILON, LEARNING_RATE, OPTIMIZERS, PRECISIONS,
                                 PRESERVE_COLORS, STYLE_WEIGHT)
from nst_plumbing.images import check_max_dim
from nst_plumbing.weights import VGG19Weights

__all__ = ["Settings", "SettingError"]

INITS = ("content", "noise")


class SettingError(ValueError):
    """A setting is out of range; ``setting`` names it, so the command line can name its option."""

    def __init__(self, setting: str, message: str):
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class Settings:
    """How an extended run paints: the article's recipe by default, and every option beyond it.

    Attributes:
        iterations: Adam steps, or L-BFGS loss evaluations, at each scale: one number for every
            scale, or one per scale; ``None`` is the active run profile's.
        content_weight: Weight of the content loss.
        style_weight: Weight of the style loss.
        max_dim: Longest side of the result; by default the profile's. Arrays keep their size
            unless ``scales`` is given.
        scales: Image sizes from coarse to fine, the last being the result's size: each level
            has its own targets and starts from the previous level's result, upsampled.
            ``None`` is one level at ``max_dim``.
        optimizer: ``"adam"`` (the article) or ``"lbfgs"`` (SciPy's L-BFGS-B, bounded to the
            valid pixel range; the paper's choice).
        learning_rate: Adam's learning rate.
        beta_1: Adam's first-moment decay.
        epsilon: Adam's epsilon.
        tv_weight: Weight of ``total_variation_loss``, against grain; 0 is the article.
        precision: VGG19's precision when the run builds its model: ``"auto"`` (bfloat16 where
            the hardware makes it faster), ``"float32"`` or ``"bfloat16"``.
        init: ``"content"`` starts from the content image (the article); ``"noise"`` from
            uniform noise in the pixel range (the paper).
        seed: Seeds TensorFlow, NumPy and Python for a repeatable run.
        compiled: Compile the loss and gradient with ``tf.function``; ``False`` runs eagerly.
        check_memory: Refuse, before any work, a run whose estimated peak memory does not fit.
        preserve_colors: ``None`` (the style's colours), ``"luminance"`` (style the brightness
            only and keep the content's colour) or ``"histogram"`` (recolour each style image
            to the content's colour statistics first).
        style_blend_weights: One weight per style (normalised to sum to 1; equal when ``None``).
        style_scale: The style image's longest side relative to the content's: 2 makes the
            result's brush strokes larger.
        weights: VGG19's weights when the run builds its model (``find_vgg19_weights``).
    """

    iterations: int | Sequence[int] | None = None
    content_weight: float = CONTENT_WEIGHT
    style_weight: float = STYLE_WEIGHT
    max_dim: int | None = None
    scales: Sequence[int] | None = None
    optimizer: str = "adam"
    learning_rate: float = LEARNING_RATE
    beta_1: float = BETA_1
    epsilon: float = EPSILON
    tv_weight: float = 0.0
    precision: str = "auto"
    init: str = "content"
    seed: int | None = None
    compiled: bool = True
    check_memory: bool = True
    preserve_colors: str | None = None
    style_blend_weights: Sequence[float] | None = None
    style_scale: float = 1.0
    weights: VGG19Weights | str | os.PathLike | None = "auto"

    def __post_init__(self) -> None:
        numbers = {"content_weight": non_negative_float, "style_weight": non_negative_float,
                   "tv_weight": non_negative_float, "beta_1": non_negative_float, "learning_rate": positive_float,
                   "epsilon": positive_float, "style_scale": positive_float}
        for name, check in numbers.items():
            self._set(name, functools.partial(check, name))
        if not self.beta_1 < 1:
            raise SettingError("beta_1", f"beta_1 must be in [0, 1); got {self.beta_1!r}")
        choices = {"optimizer": OPTIMIZERS, "precision": PRECISIONS, "init": INITS, "preserve_colors": PRESERVE_COLORS}
        for name, allowed in choices.items():
            self._set(name, functools.partial(one_of, name, allowed=allowed))
        self._set("max_dim", lambda value: check_max_dim(value) or value)
        self._set("scales", self._checked_scales)
        self._set("iterations", self._checked_iterations)
        self._set("seed", self._checked_seed)
        if self.style_blend_weights is not None:
            self._set("style_blend_weights", self._checked_blend_weights)

    def _set(self, name: str, check) -> None:
        """Replaces the attribute ``name`` by ``check(value)``; a ``ValueError`` names the setting."""
        try:
            object.__setattr__(self, name, check(getattr(self, name)))
        except SettingError:
            raise
        except ValueError as exc:
            raise SettingError(name, str(exc)) from None

    def _checked_scales(self, scales: Sequence[int] | None) -> tuple[int, ...] | None:
        if scales is None:
            return None
        if isinstance(scales, (str, bytes)) or not isinstance(scales, (Sequence, np.ndarray)) or len(scales) == 0:
            raise ValueError(f"scales must be a non-empty sequence of image sizes, coarse to fine; got {scales!r}")
        for value in scales:
            try:
                check_max_dim(value)
            except ValueError:
                raise ValueError(f"scales: each size must be an integer of at least 16 pixels; got {value!r}") from None
        if any(later <= earlier for earlier, later in zip(scales, scales[1:])):
            raise ValueError(f"scales must increase from coarse to fine (the last is the result's size); "
                             f"got {' '.join(map(str, scales))}")
        if self.max_dim is not None and self.max_dim != scales[-1]:
            raise SettingError("max_dim", f"max_dim {self.max_dim} contradicts scales {' '.join(map(str, scales))}, "
                                          "whose last size is the result's; give one of them")
        return tuple(int(value) for value in scales)

    def _checked_iterations(self, iterations: int | Sequence[int] | None) -> int | tuple[int, ...] | None:
        if iterations is None:
            return None
        if not isinstance(iterations, (Sequence, np.ndarray)) or isinstance(iterations, (str, bytes)):
            return positive_int("iterations", iterations)
        levels = len(self.scales or (None,))
        if len(iterations) == 0:
            raise ValueError("iterations must be a positive integer, or one per scale; got an empty sequence")
        values = tuple(positive_int("iterations", value) for value in iterations)
        if len(values) == 1:
            return values[0]
        if self.scales is None:
            raise ValueError(f"several iterations need as many scales; got {len(values)} iterations and no scales")
        if len(values) != levels:
            raise ValueError(f"iterations takes one number, or one per scale ({levels}); got {len(values)}")
        return values

    @staticmethod
    def _checked_seed(seed: int | None) -> int | None:
        if seed is None:
            return None
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
            raise ValueError(f"seed must be a whole number from 0 to 2**32 - 1, or None; got {seed!r}")
        return int(seed)

    def _checked_blend_weights(self, weights: Sequence[float]) -> tuple[float, ...]:
        blend_weights(weights, [True] * len(weights))  # counts are checked against the styles in the plan
        return tuple(float(weight) for weight in weights)

    @property
    def levels(self) -> tuple[int | None, ...]:
        """The longest side of each level, coarse to fine (``None``: the profile's or an array's own)."""
        return self.scales or (self.max_dim,)

    def iterations_per_level(self, default: int) -> tuple[int, ...]:
        """The iterations of each level, with ``default`` (the profile's) when none were given."""
        iterations = default if self.iterations is None else self.iterations
        if isinstance(iterations, tuple):
            return iterations
        return (iterations,) * len(self.levels)
