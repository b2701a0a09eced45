"""The extended run: the lesson's method with L-BFGS, coarse to fine, total variation, bfloat16 and the controls.

``run_style_transfer`` plans the run (``plan_run``: every check before any work), then
``paint`` reads each level's images, computes the targets and runs the optimiser level by
level, coarse to fine, each level starting from the previous level's best image, upsampled.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

import nst_helpers as nst
from nst_extended.controls import keep_colors, read_regions, style_side, to_grey
from nst_extended.loss import LossWeights, compiled_loss_and_grads, loss_and_grads
from nst_extended.optimizers import MAX_VALS, MIN_VALS, Recorder, adam, lbfgs
from nst_extended.plan import Plan, plan_run
from nst_extended.precision import build_models
from nst_extended.settings import Settings
from nst_extended.targets import color_controlled, compute_targets
from nst_plumbing.device import get_profile
from nst_plumbing.images import ImageSource, as_batch, scaled_size
from nst_plumbing.record import History

__all__ = ["run_style_transfer", "paint"]


def _at_size(image: ImageSource, max_dim: int | None, resize_arrays: bool) -> np.ndarray:
    """An RGB batch of ``image``: a path read with its longest side ``max_dim`` (the profile's
    when ``None``); an array as it is, or resized to ``max_dim`` when ``resize_arrays``."""
    if not resize_arrays or isinstance(image, (str, os.PathLike)):
        return as_batch(image, get_profile().max_dim if max_dim is None else max_dim)
    batch = as_batch(image, None)
    width, height = scaled_size((batch.shape[2], batch.shape[1]), max_dim)
    if (height, width) == batch.shape[1:3]:
        return batch
    return tf.image.resize(batch, (height, width), method="lanczos3", antialias=True).numpy().clip(0, 255)


def _level_images(plan: Plan) -> list[tuple[np.ndarray, list[np.ndarray | None]]]:
    """Each level's content image and style images, decoded at the level's size."""
    images = []
    for level in plan.levels:
        content_image = _at_size(plan.content, level, plan.resize_arrays)
        side = style_side(max(content_image.shape[1:3]), plan.settings.style_scale)
        images.append((content_image, [None if style is None else _at_size(style, side, plan.resize_styles)
                                       for style in plan.styles]))
    return images


def _start(plan: Plan, previous: np.ndarray | None, content_image: np.ndarray, processed_content: np.ndarray,
           ) -> np.ndarray:
    """Where a level's optimisation starts: the coarser level's result upsampled, noise, or the content."""
    if previous is not None:
        resized = tf.image.resize(previous, processed_content.shape[1:3], method="bicubic").numpy()
        return np.clip(resized, MIN_VALS, MAX_VALS)
    if plan.settings.init == "noise":
        noise = np.random.uniform(0, 255, size=content_image.shape)
        return nst.load_and_process_img(to_grey(noise) if plan.settings.preserve_colors == "luminance" else noise)
    return processed_content


def _level_step(plan: Plan, model: tf.keras.Model, targets, weights: LossWeights) -> Callable:
    """One evaluation at a level: the image to its gradient and losses."""
    step = compiled_loss_and_grads() if plan.settings.compiled else loss_and_grads
    grey = plan.settings.preserve_colors == "luminance"
    return lambda image: step(model, image, weights, targets, grey=grey)


def paint(plan: Plan, model: tf.keras.Model | None = None, target_model: tf.keras.Model | None = None,
          callback: Callable[[nst.StepInfo], None] | None = None) -> nst.StyleTransferResult:
    """Carries out a plan: targets and optimisation at each level, coarse to fine.

    Args:
        plan: From ``plan_run``.
        model: The model to step with; built in the plan's precision when ``None``.
        target_model: The model that computes the targets; by default ``model``, or a float32
            model when a bfloat16 model is built here.
        callback: Called with a ``StepInfo`` after every loss evaluation.

    Returns:
        ``StyleTransferResult(best_img, best_loss, history)``.
    """
    settings = plan.settings
    level_images = _level_images(plan)
    if settings.seed is not None:
        tf.keras.utils.set_random_seed(settings.seed)
    if model is None:
        model, built_target_model = build_models(plan.precision, settings.weights)
        target_model = target_model or built_target_model
    target_model = target_model or model
    recorder = Recorder(History(optimizer=settings.optimizer, precision=plan.precision), sum(plan.iterations),
                        callback)
    weights = LossWeights.of(settings.style_weight, settings.content_weight, settings.tv_weight)
    previous = None
    for (content_image, style_images), iterations in zip(level_images, plan.iterations):
        regions = None if plan.mask is None else read_regions(plan.mask, content_image.shape[2:0:-1], len(plan.styles))
        seen_content, seen_styles = color_controlled(settings.preserve_colors, content_image, style_images)
        processed_content = nst.load_and_process_img(seen_content)
        targets = compute_targets(target_model, processed_content,
                                  [None if style is None else nst.load_and_process_img(style) for style in seen_styles],
                                  style_blend_weights=plan.blend, regions=regions)
        start = _start(plan, previous, content_image, processed_content)
        recorder.new_scale(max(content_image.shape[1:3]))
        step = _level_step(plan, model, targets, weights)
        if settings.optimizer == "adam":
            adam(step, start, iterations, recorder, settings.learning_rate, settings.beta_1, settings.epsilon)
        else:
            lbfgs(step, start, iterations, recorder)
        previous = recorder.best_image
    best_img = nst.deprocess_img(recorder.best_image)
    if settings.preserve_colors == "luminance":
        best_img = keep_colors(best_img, level_images[-1][0][0])
    return nst.StyleTransferResult(best_img, recorder.best_loss, recorder.history)


def run_style_transfer(content_path: ImageSource, style_path: ImageSource | Sequence[ImageSource | None],
                       settings: Settings | None = None, *, mask: ImageSource | None = None,
                       model: tf.keras.Model | None = None, target_model: tf.keras.Model | None = None,
                       callback: Callable[[nst.StepInfo], None] | None = None) -> nst.StyleTransferResult:
    """Gatys et al.'s optimisation with the article's recipe, or the faster and controlled variants of it.

    Args:
        content_path: Content image (path, URL or RGB array).
        style_path: Style image (path, URL or RGB array), or a list of them: several styles are
            blended (``settings.style_blend_weights``), or, with a ``mask``, each paints its own
            region; with a mask an entry may be ``None``, leaving its region without style.
        settings: The options (``Settings``); ``None`` is the article's recipe at the profile's
            size and iteration count.
        mask: An image of grey levels with the content's aspect ratio: each level is a region,
            and the regions, darkest first, take the styles in order (``controls.read_regions``).
        model: A model from ``get_model``; built with ``settings.weights`` and the plan's
            precision when ``None``. A given model keeps its own precision.
        target_model: The model that computes the targets, once per scale; by default ``model``.
            For a bfloat16 ``model`` pass a float32 one (built here when both are ``None``):
            exact targets keep a bfloat16 run's loss within about a percent of float32's.
        callback: Called with a ``StepInfo`` after every loss evaluation, e.g. to show progress
            (with ``preserve_colors="luminance"`` its image is the grey one being optimised).

    Returns:
        ``StyleTransferResult(best_img, best_loss, history)``: the uint8 RGB image with the
        lowest total loss seen at the final scale (with ``"luminance"``, recoloured with the
        content's colour), that loss, and the ``History`` of every evaluation.

    Raises:
        ValueError: The styles, weights or mask do not match, or an image is too small for VGG19.
        InsufficientMemoryError: (a ``ValueError``) the run cannot fit in memory.
    """
    plan = plan_run(content_path, style_path, settings or Settings(), mask=mask, model=model)
    return paint(plan, model, target_model, callback)
