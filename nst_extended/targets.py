"""The targets of an extended run: blended style Gram matrices, regions' masks, and the images under colour control."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

import nst_helpers as nst
from nst_extended.controls import blend_weights, match_color_histogram, match_luminance, to_grey
from nst_extended.loss import StyleTargets
from nst_plumbing.config import STYLE_LAYERS

__all__ = ["compute_targets", "color_controlled"]


def compute_targets(model: tf.keras.Model, processed_content: np.ndarray,
                    processed_style: np.ndarray | Sequence[np.ndarray | None],
                    num_style_layers: int = len(STYLE_LAYERS), *, style_blend_weights: Sequence[float] | None = None,
                    regions: np.ndarray | None = None) -> StyleTargets:
    """The style and content targets of one content image and one or more style images.

    Args:
        model: A model from ``get_model`` (float32 for exact targets).
        processed_content: The content image, VGG-preprocessed.
        processed_style: One style image, VGG-preprocessed, or a list of them. With
            ``regions``, an entry may be ``None``: its region gets no style.
        num_style_layers: How many of the model's outputs are style layers.
        style_blend_weights: One weight per style (normalised to sum to 1; equal when ``None``).
            Without regions the styles' Gram matrices are mixed with these weights; with regions
            they weigh the regions' style losses.
        regions: ``(styles, height, width)`` weights, one map per style at the content's size
            (``nst_extended.controls.read_regions``), or ``None`` for every style everywhere.

    Returns:
        A ``StyleTargets``.

    Raises:
        ValueError: The weights or regions do not match the styles.
    """
    styles = list(processed_style) if isinstance(processed_style, (list, tuple)) else [processed_style]
    weights = blend_weights(style_blend_weights, styles)
    if regions is None and any(style is None for style in styles):
        raise ValueError("a style of None (a region without style) needs regions from a mask")
    content_style_layers, content_features = nst.split_features(model, processed_content, num_style_layers)
    grams = [[nst.gram_matrix(feature) for feature in nst.split_features(model, style, num_style_layers)[0]]
             if style is not None else None for style in styles]
    if regions is None:
        mixed = [tf.add_n([weight * style_grams[layer] for weight, style_grams in zip(weights, grams)])
                 for layer in range(num_style_layers)]
        return StyleTargets(mixed, content_features)
    regions = np.asarray(regions, dtype=np.float32)
    if regions.shape != (len(styles), *processed_content.shape[1:3]):
        raise ValueError(f"regions has shape {regions.shape}; expected one map per style at the content's size, "
                         f"{(len(styles), *processed_content.shape[1:3])}")
    styled = [index for index, style in enumerate(styles) if style is not None]
    region_masks = [tf.image.resize(regions[styled][..., np.newaxis], feature.shape[:2], method="area")[..., 0]
                    for feature in content_style_layers]
    return StyleTargets([tf.stack([grams[index][layer] for index in styled]) for layer in range(num_style_layers)],
                        content_features, region_masks, tf.constant([weights[index] for index in styled]))


def color_controlled(preserve_colors: str | None, content_image: np.ndarray, style_images: Sequence[np.ndarray | None],
                     ) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """The content and style images the optimisation sees under ``preserve_colors``."""
    if preserve_colors == "luminance":  # grey images; the photo's colour is put back at the end
        return to_grey(content_image), [None if style is None else match_luminance(style, content_image)
                                        for style in style_images]
    if preserve_colors == "histogram":  # the styles in the photo's palette
        return content_image, [None if style is None else match_color_histogram(style, content_image)
                               for style in style_images]
    return content_image, list(style_images)
