"""The extended run's loss, built from terms: content, style (plain or guided by regions) and total variation.

Every term is the lesson's own function (``nst_helpers.get_content_loss``, ``get_style_loss``,
``total_variation_loss``), except the guided style loss of Gatys et al. 2017, which is new here.
With no regions and a total-variation weight of 0 the loss is exactly ``nst_helpers.compute_loss``.
A new term is one more function and one more line in ``total_loss``.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple, Sequence

import tensorflow as tf

import nst_helpers as nst

__all__ = ["StyleTargets", "LossWeights", "guided_gram_matrix", "get_guided_style_loss", "content_term",
           "style_term", "total_loss", "loss_and_grads", "compiled_loss_and_grads"]


class StyleTargets(NamedTuple):
    """What the generated image is compared with, computed once before the optimisation.

    A ``NamedTuple``, so that ``tf.function`` reads it as a structure of tensors: one traced
    graph serves every run whose targets have the same shapes.

    Attributes:
        gram_style_features: Per style layer, the style's Gram matrix ``(channels, channels)``
            (several styles blended: their weighted sum); with regions, ``(regions, channels,
            channels)``, one per region.
        content_features: The content image's activations at each content layer.
        region_masks: With regions: per style layer, ``(regions, height, width)``, each region's
            weights at that layer's resolution; ``None`` without.
        region_weights: With regions: ``(regions,)``, how much each region's style counts
            (summing to 1); ``None`` without.
    """

    gram_style_features: list[tf.Tensor]
    content_features: list[tf.Tensor]
    region_masks: list[tf.Tensor] | None = None
    region_weights: tf.Tensor | None = None


class LossWeights(NamedTuple):
    """The weights of the loss's terms, as float32 tensors (so a new value needs no new graph)."""

    style: tf.Tensor
    content: tf.Tensor
    total_variation: tf.Tensor

    @classmethod
    def of(cls, style: float, content: float, total_variation: float = 0.0) -> LossWeights:
        """The weights as tensors."""
        return cls(*(tf.constant(value, tf.float32) for value in (style, content, total_variation)))


def guided_gram_matrix(input_tensor: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """The Gram matrix of one region of a feature map: ``gram_matrix`` with positions weighted.

    Gatys et al. 2017's guided Gram matrix: each position's feature vector is multiplied by the
    region's weight there before the channel correlations are summed, and the sum is divided
    by the sum of the squared weights, so a region covering the whole image gives exactly the
    article's ``gram_matrix``, and a region of any size gives an average over its own positions.

    Args:
        input_tensor: Feature map ``(height, width, channels)`` or ``(1, height, width, channels)``.
        mask: The region's weights at this layer's resolution, ``(height, width)``, in ``[0, 1]``;
            or several regions at once, ``(regions, height, width)``.

    Returns:
        ``(channels, channels)`` tensor ``F^T diag(m^2) F / sum(m^2)``; ``(regions, channels,
        channels)`` for several masks.

    Raises:
        ValueError: The mask's height and width are not the feature map's.
    """
    input_tensor = tf.convert_to_tensor(input_tensor)
    mask = tf.cast(mask, input_tensor.dtype)
    if not mask.shape[-2:].is_compatible_with(input_tensor.shape[-3:-1]):
        raise ValueError(f"the mask is {tuple(mask.shape)} but the feature map is {tuple(input_tensor.shape)}; "
                         "the mask must have the feature map's height and width")
    channels = int(input_tensor.shape[-1])
    weights = tf.reshape(mask, tf.concat([tf.shape(mask)[:-2], [-1, 1]], axis=0))  # (..., positions, 1)
    weighted = weights * tf.reshape(input_tensor, [-1, channels])  # (..., positions, channels)
    gram = tf.matmul(weighted, weighted, transpose_a=True)
    return gram / tf.reduce_sum(tf.square(weights), axis=[-2, -1])[..., tf.newaxis, tf.newaxis]


def get_guided_style_loss(base_style: tf.Tensor, region_masks: tf.Tensor, gram_targets: tf.Tensor,
                          region_weights: tf.Tensor) -> tf.Tensor:
    """The style loss of one layer when regions have styles of their own.

    Args:
        base_style: The generated image's feature map at this layer, ``(height, width, channels)``.
        region_masks: ``(regions, height, width)``: each region's weights at this layer.
        gram_targets: ``(regions, channels, channels)``: the Gram matrix of each region's style.
        region_weights: ``(regions,)``, summing to 1: how much each region's style counts.

    Returns:
        ``sum_r weight_r * mean((guided_gram(region r) - target_r)^2)``.
    """
    per_region = tf.reduce_mean(tf.square(guided_gram_matrix(base_style, region_masks) - gram_targets), axis=[-2, -1])
    return tf.reduce_sum(tf.cast(region_weights, per_region.dtype) * per_region)


def _layer_average(losses: Sequence[tf.Tensor]) -> tf.Tensor:
    """Every layer counts equally, as in the article."""
    weight_per_layer = 1.0 / float(len(losses))
    return tf.add_n([weight_per_layer * loss for loss in losses])


def content_term(content_outputs: Sequence[tf.Tensor], targets: StyleTargets) -> tf.Tensor:
    """The content loss (unweighted), averaged over the content layers."""
    return _layer_average([nst.get_content_loss(output[0], target)
                           for target, output in zip(targets.content_features, content_outputs)])


def style_term(style_outputs: Sequence[tf.Tensor], targets: StyleTargets) -> tf.Tensor:
    """The style loss (unweighted), averaged over the style layers; guided when there are regions."""
    if targets.region_masks is None:
        return _layer_average([nst.get_style_loss(output[0], gram)
                               for gram, output in zip(targets.gram_style_features, style_outputs)])
    return _layer_average([get_guided_style_loss(output[0], masks, grams, targets.region_weights)
                           for grams, masks, output in zip(targets.gram_style_features, targets.region_masks,
                                                           style_outputs)])


def total_loss(model: tf.keras.Model, image: tf.Tensor, weights: LossWeights, targets: StyleTargets,
               ) -> tuple[tf.Tensor, tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]]:
    """The weighted sum of the terms.

    Returns:
        ``(total, (total, style_score, content_score, tv_score))``, each score already weighted.
    """
    outputs = model(image)
    num_style_layers = len(targets.gram_style_features)
    style_score = style_term(outputs[:num_style_layers], targets) * weights.style
    content_score = content_term(outputs[num_style_layers:], targets) * weights.content
    tv_score = weights.total_variation * nst.total_variation_loss(image)
    total = style_score + content_score + tv_score
    return total, (total, style_score, content_score, tv_score)


def loss_and_grads(model: tf.keras.Model, image: tf.Tensor, weights: LossWeights, targets: StyleTargets, *,
                   grey: bool = False) -> tuple[tf.Tensor, tuple[tf.Tensor, ...]]:
    """The gradient of ``total_loss`` with respect to the image, every input an argument (so that
    one compiled graph serves every run with the same model).

    With ``grey`` the gradient is averaged over the colour channels: from a grey start, every
    step then keeps the image grey, which optimises one luminance channel shown to VGG19 in all
    three (luminance-only transfer).

    Returns:
        ``(gradient, (total_loss, style_score, content_score, tv_score))``; with no regions and a
        total-variation weight of 0 this is ``nst_helpers.compute_grads``'s result with a zero appended.
    """
    with tf.GradientTape() as tape:
        tape.watch(image)
        total, losses = total_loss(model, image, weights, targets)
    grads = tape.gradient(total, image)
    if grey:  # equal changes to B, G and R keep a grey pixel grey (the channel means are constants)
        grads = tf.repeat(tf.reduce_mean(grads, axis=-1, keepdims=True), 3, axis=-1)
    return grads, losses


@functools.cache
def compiled_loss_and_grads() -> Callable:
    """``loss_and_grads`` compiled with ``tf.function``, made once per process on first use.

    Its graph is traced once per model and, thanks to ``reduce_retracing``, once for every image
    size after the first two.
    """
    return tf.function(loss_and_grads, reduce_retracing=True)
