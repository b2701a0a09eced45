"""The lesson: neural style transfer as Raymond Yuan's article teaches it, for TensorFlow 2 and Keras 3.

Gatys et al., "A Neural Algorithm of Artistic Style" (arXiv 1508.06576), under the names of the
article "Neural Style Transfer: Creating Art with Deep Learning using tf.keras and eager
execution", in the order notebooks 02 to 05 teach it: images, the model, the losses, the
gradient and the optimisation loop. Each notebook writes a function out where it teaches it,
checks it against the version here, and later notebooks import it from here. It re-exports what
notebooks 01 to 05 need from the layer below (``nst_plumbing``) and never imports the layers
built on it (``nst_extended``, the extended run; ``nst_cli``, the command line). Importing it has
no side effects beyond importing TensorFlow.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from nst_plumbing import vgg19
from nst_plumbing.checks import non_negative_float, positive_int
from nst_plumbing.config import (BETA_1, CONTENT_LAYERS, CONTENT_WEIGHT, EPSILON, LEARNING_RATE, MEDIA_DIR,
                                 MIN_IMAGE_SIDE, OUTPUTS_DIR, PROFILES, REPO_ROOT, STYLE_LAYERS, STYLE_WEIGHT,
                                 VGG_MEAN_BGR, Profile)
from nst_plumbing.device import device_name, get_profile
from nst_plumbing.display import LiveProgress, contact_sheet, imshow, plot_history, save_gif, show_results, to_uint8
from nst_plumbing.images import ImageSource, as_batch, offer_download, read_credits, read_grey, read_image, save_image
from nst_plumbing.record import History
from nst_plumbing.weights import VGG19Weights, find_vgg19_weights, load_vgg19

__all__ = [  # the lesson, and what notebooks 01 to 05 use from nst_plumbing
    "CONTENT_LAYERS", "STYLE_LAYERS", "CONTENT_WEIGHT", "STYLE_WEIGHT", "LEARNING_RATE", "BETA_1", "EPSILON",
    "VGG_MEAN_BGR", "MEDIA_DIR", "OUTPUTS_DIR", "REPO_ROOT", "PROFILES", "Profile", "get_profile", "device_name",
    "load_img", "load_and_process_img", "deprocess_img", "read_image", "read_grey", "save_image", "read_credits",
    "offer_download",
    "get_model", "load_vgg19", "find_vgg19_weights", "VGG19Weights",
    "get_content_loss", "gram_matrix", "get_style_loss", "split_features", "get_feature_representations", "compute_loss",
    "LossConfig", "compute_grads", "total_variation_loss",
    "run_style_transfer", "StyleTransferResult", "History", "StepInfo",
    "imshow", "show_results", "plot_history", "LiveProgress", "save_gif", "contact_sheet", "to_uint8",
]


def _profile_max_dim(max_dim: int | None) -> int:
    """``max_dim``, or the active profile's when it is ``None``."""
    return get_profile().max_dim if max_dim is None else max_dim


# ---------------------------------------------------------------------------
# Images (notebook 02)
# ---------------------------------------------------------------------------

def load_img(path_to_img: str | os.PathLike, max_dim: int | None = None) -> np.ndarray:
    """Loads an image as a float32 batch of one, longest side ``max_dim`` pixels.

    Args:
        path_to_img: A file path or an ``http(s)://`` URL.
        max_dim: Longest side after resizing (the aspect ratio is kept; smaller images are
            scaled up, as in the article); by default the active run profile's.

    Returns:
        Array of shape ``(1, height, width, 3)``, RGB values in ``[0, 255]``.

    Raises:
        The errors of ``read_image``, which names the file and what was expected.
    """
    return read_image(path_to_img, _profile_max_dim(max_dim))


def load_and_process_img(path_to_img: ImageSource, max_dim: int | None = None) -> np.ndarray:
    """Loads an image and applies VGG19's preprocessing (RGB to BGR, ImageNet mean subtracted).

    Args:
        path_to_img: A path, a URL, or an RGB array in ``[0, 255]``.
        max_dim: Longest side when loading from a path or URL; by default the profile's.

    Returns:
        float32 array of shape ``(1, height, width, 3)``, BGR, zero-centred per channel.
    """
    img = as_batch(path_to_img, _profile_max_dim(max_dim))
    return tf.keras.applications.vgg19.preprocess_input(img.copy())  # it may work in place


def deprocess_img(processed_img: np.ndarray | tf.Tensor) -> np.ndarray:
    """Inverts VGG19's preprocessing: adds the means back, BGR to RGB, rounds and clips to uint8.

    Args:
        processed_img: Shape ``(1, height, width, 3)`` or ``(height, width, 3)``.

    Returns:
        uint8 RGB array of shape ``(height, width, 3)``.

    Raises:
        ValueError: The input does not have one of those shapes.
    """
    x = np.array(processed_img, dtype=np.float32)  # a copy: never change the caller's array
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 3 or x.shape[-1] != 3:
        raise ValueError("Input to deprocess_img must be an image of dimension [1, height, width, 3] "
                         f"or [height, width, 3]; got shape {x.shape}")
    x += VGG_MEAN_BGR
    x = x[..., ::-1]
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------
# The model (notebook 04)
# ---------------------------------------------------------------------------

def get_model(content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
              weights: VGG19Weights | str | os.PathLike | None = "auto", verbose: bool = True, *,
              precision: str = "float32") -> tf.keras.Model:
    """Builds a model that maps an image to VGG19's activations at the chosen layers.

    Args:
        content_layers: Layers whose activations represent content.
        style_layers: Layers whose Gram matrices represent style.
        weights: A ``find_vgg19_weights`` record, or what it accepts (``"auto"`` finds real
            ImageNet weights).
        verbose: Print which weights were loaded.
        precision: ``"float32"`` (the article), or ``"bfloat16"`` (notebook 07: VGG19's weights
            are stored and its layers compute in bfloat16; its outputs are cast back to float32,
            so Gram matrices and losses stay float32).

    Returns:
        A frozen Keras functional model whose outputs, float32, are the style layers'
        activations followed by the content layers' activations.

    Raises:
        ValueError: A layer name is not a VGG19 convolution layer, or an unknown precision.
    """
    for name in (*style_layers, *content_layers):
        vgg19.layer_position(name)  # an unknown name fails here, with the names there are
    if not style_layers or not content_layers:
        raise ValueError("need at least one style layer and one content layer")
    vgg = load_vgg19(weights, verbose=verbose, precision=precision)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in (*style_layers, *content_layers)]
    if precision == "bfloat16":  # a float32 layer casts its input: the losses stay float32
        outputs = [tf.keras.layers.Activation("linear", dtype="float32", name=f"{name}_float32")(output)
                   for name, output in zip((*style_layers, *content_layers), outputs)]
    model = tf.keras.Model(vgg.input, outputs, name=f"vgg19_style_content_{precision}")
    model.trainable = False
    return model


# ---------------------------------------------------------------------------
# The losses (notebook 03) and the gradient (notebook 05)
# ---------------------------------------------------------------------------

def get_content_loss(base_content: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean squared difference between two feature maps of the same shape."""
    return tf.reduce_mean(tf.square(base_content - target))


def gram_matrix(input_tensor: tf.Tensor) -> tf.Tensor:
    """Channel-by-channel correlations of a feature map, averaged over positions.

    Args:
        input_tensor: Feature map of shape ``(height, width, channels)`` or
            ``(1, height, width, channels)``.

    Returns:
        ``(channels, channels)`` tensor ``F^T F / (height * width)``, where ``F`` has one row per
        position and one column per channel (the article's normalisation).

    Raises:
        ValueError: The input is not a single feature map of rank 3 or 4.
    """
    input_tensor = tf.convert_to_tensor(input_tensor)
    rank = input_tensor.shape.rank
    if rank not in (3, 4) or (rank == 4 and input_tensor.shape[0] not in (1, None)):
        raise ValueError(f"gram_matrix expects one feature map of shape (height, width, channels) or "
                         f"(1, height, width, channels); got shape {input_tensor.shape}")
    channels = int(input_tensor.shape[-1])
    a = tf.reshape(input_tensor, [-1, channels])
    n = tf.shape(a)[0]
    gram = tf.matmul(a, a, transpose_a=True)
    return gram / tf.cast(n, gram.dtype)


def get_style_loss(base_style: tf.Tensor, gram_target: tf.Tensor) -> tf.Tensor:
    """Mean squared difference between the Gram matrix of ``base_style`` and ``gram_target``."""
    gram_style = gram_matrix(base_style)
    return tf.reduce_mean(tf.square(gram_style - gram_target))


def split_features(model: tf.keras.Model, processed_image: np.ndarray | tf.Tensor, num_style_layers: int,
                   ) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
    """The model's style-layer and content-layer activations for one image, batch axis dropped."""
    outputs = model(processed_image)
    return ([output[0] for output in outputs[:num_style_layers]],
            [output[0] for output in outputs[num_style_layers:]])


def get_feature_representations(model: tf.keras.Model, content_path: ImageSource, style_path: ImageSource,
                                max_dim: int | None = None, num_style_layers: int = len(STYLE_LAYERS),
                                ) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
    """Computes the style and content features once, before optimisation.

    Args:
        model: A model from ``get_model``.
        content_path: The content image (path, URL or RGB array).
        style_path: The style image (path, URL or RGB array).
        max_dim: Longest side when loading from a path or URL; by default the profile's.
        num_style_layers: How many of the model's outputs are style layers.

    Returns:
        ``(style_features, content_features)``: lists of feature maps without the batch axis.
    """
    style_features, _ = split_features(model, load_and_process_img(style_path, max_dim), num_style_layers)
    _, content_features = split_features(model, load_and_process_img(content_path, max_dim), num_style_layers)
    return style_features, content_features


def compute_loss(model: tf.keras.Model, loss_weights: tuple[float, float], init_image: tf.Tensor,
                 gram_style_features: Sequence[tf.Tensor], content_features: Sequence[tf.Tensor],
                 ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Computes the total loss of the image being optimised.

    Args:
        model: A model from ``get_model``.
        loss_weights: ``(style_weight, content_weight)``.
        init_image: The image being optimised, VGG-preprocessed, shape ``(1, h, w, 3)``.
        gram_style_features: Gram matrices of the style image at each style layer.
        content_features: The content image's activations at each content layer.

    Returns:
        ``(total_loss, style_score, content_score)``, each already weighted.
    """
    style_weight, content_weight = loss_weights
    model_outputs = model(init_image)
    num_style_layers = len(gram_style_features)
    style_output_features = model_outputs[:num_style_layers]
    content_output_features = model_outputs[num_style_layers:]

    # Every style layer and every content layer counts equally.
    weight_per_style_layer = 1.0 / float(num_style_layers)
    style_score = tf.add_n([weight_per_style_layer * get_style_loss(output[0], target)
                            for target, output in zip(gram_style_features, style_output_features)])
    weight_per_content_layer = 1.0 / float(len(content_features))
    content_score = tf.add_n([weight_per_content_layer * get_content_loss(output[0], target)
                              for target, output in zip(content_features, content_output_features)])

    style_score *= style_weight
    content_score *= content_weight
    return style_score + content_score, style_score, content_score


@dataclass(frozen=True)
class LossConfig:
    """Everything ``compute_loss`` needs, in one object (the article's ``cfg`` dictionary).

    Attributes:
        model: A model from ``get_model``.
        loss_weights: ``(style_weight, content_weight)``.
        init_image: The image being optimised (a ``tf.Variable`` or tensor), VGG-preprocessed.
        gram_style_features: Gram matrices of the style image at each style layer.
        content_features: The content image's activations at each content layer.
    """

    model: tf.keras.Model
    loss_weights: tuple[float, float]
    init_image: tf.Tensor
    gram_style_features: Sequence[tf.Tensor]
    content_features: Sequence[tf.Tensor]


def compute_grads(cfg: LossConfig) -> tuple[tf.Tensor, tuple[tf.Tensor, tf.Tensor, tf.Tensor]]:
    """Gradient of the total loss with respect to the image.

    Args:
        cfg: What ``compute_loss`` needs.

    Returns:
        ``(gradient, (total_loss, style_score, content_score))``.
    """
    with tf.GradientTape() as tape:
        tape.watch(cfg.init_image)  # a variable is watched anyway; a plain tensor needs this
        all_loss = compute_loss(cfg.model, cfg.loss_weights, cfg.init_image, cfg.gram_style_features,
                                cfg.content_features)
    total_loss = all_loss[0]
    return tape.gradient(total_loss, cfg.init_image), all_loss


def total_variation_loss(image: tf.Tensor) -> tf.Tensor:
    """How grainy an image is: the mean absolute difference between neighbouring pixels.

    ``tf.image.total_variation`` sums the absolute differences to the right and below, over the
    colour channels; dividing by the number of pixels makes one weight mean the same at every
    image size. Not part of the article; notebook 07 uses it against speckle.

    Args:
        image: Shape ``(1, height, width, channels)``.

    Returns:
        A scalar tensor.
    """
    image = tf.convert_to_tensor(image)
    pixels = tf.cast(tf.shape(image)[1] * tf.shape(image)[2], image.dtype)
    return tf.reduce_sum(tf.image.total_variation(image)) / pixels


# ---------------------------------------------------------------------------
# The article's optimisation loop (notebook 05)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StepInfo:
    """What a ``run_style_transfer`` callback receives after each loss evaluation.

    The losses belong to the image that was evaluated; ``image()`` returns the image the
    optimiser holds now (for Adam, the image after this iteration's update), as uint8 RGB.

    Attributes:
        iteration: The evaluation just done, from 0, counted over the whole run.
        num_iterations: How many evaluations the run makes at most, over all scales.
        total_loss: The total loss (weighted).
        style_loss: Its weighted style part.
        content_loss: Its weighted content part.
        elapsed: Seconds since the run started, callbacks not counted.
        best_loss: The lowest total loss so far at this scale.
        processed_image: The image being optimised, VGG-preprocessed.
        scale: The longest image side of the current level.
    """

    iteration: int
    num_iterations: int
    total_loss: float
    style_loss: float
    content_loss: float
    elapsed: float
    best_loss: float
    processed_image: tf.Variable | np.ndarray = field(repr=False)
    scale: int | None = None

    def image(self) -> np.ndarray:
        """The image the optimiser holds now, as uint8 RGB ``(height, width, 3)``."""
        return deprocess_img(self.processed_image)


class StyleTransferResult(NamedTuple):
    """What ``run_style_transfer`` returns: ``best_img, best_loss, history = result``."""

    best_img: np.ndarray
    best_loss: float
    history: History


def run_style_transfer(content_path: ImageSource, style_path: ImageSource, num_iterations: int | None = None,
                       content_weight: float = CONTENT_WEIGHT, style_weight: float = STYLE_WEIGHT, *, max_dim: int | None = None,
                       model: tf.keras.Model | None = None, compiled: bool = True,
                       callback: Callable[[StepInfo], None] | None = None) -> StyleTransferResult:
    """The article's optimisation: Adam on the image's pixels, clipped after every step, keeping the best image.

    Args:
        content_path: The content image (path, URL or RGB array); the optimisation starts from it.
        style_path: The style image (path, URL or RGB array).
        num_iterations: Adam steps; by default the active run profile's.
        content_weight: Weight of the content loss.
        style_weight: Weight of the style loss.
        max_dim: Longest side when loading from a path or URL; by default the profile's.
        model: A model from ``get_model``; built when ``None``.
        compiled: Compile the loss and gradient with ``tf.function`` (faster); ``False`` runs
            them eagerly, line by line, as the article does.
        callback: Called with a ``StepInfo`` after every iteration, e.g. to show progress.

    Returns:
        ``StyleTransferResult(best_img, best_loss, history)``: the uint8 RGB image with the
        lowest loss seen, that loss, and the ``History`` of every iteration.

    Raises:
        ValueError: ``num_iterations`` is not a positive integer, or a weight is negative.
    """
    num_iterations = positive_int("num_iterations", get_profile().iterations if num_iterations is None
                                  else num_iterations)
    content_weight = non_negative_float("content_weight", content_weight)
    style_weight = non_negative_float("style_weight", style_weight)
    if model is None:
        model = get_model()
    # Start from the content photo, as the article does (the paper starts from noise).
    init_image = tf.Variable(load_and_process_img(content_path, max_dim), dtype=tf.float32)
    if min(init_image.shape[1:3]) < MIN_IMAGE_SIDE:
        raise ValueError(f"the content image is {init_image.shape[2]}x{init_image.shape[1]} px; each side must be at "
                         f"least {MIN_IMAGE_SIDE} px for VGG19's deepest layers (raise max_dim)")
    style_features, content_features = get_feature_representations(model, content_path, style_path, max_dim)
    gram_style_features = [gram_matrix(feature) for feature in style_features]
    opt = tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE, beta_1=BETA_1, epsilon=EPSILON)
    cfg = LossConfig(model, (style_weight, content_weight), init_image, gram_style_features, content_features)

    def grads_step():
        return compute_grads(cfg)

    grads_fn = tf.function(grads_step) if compiled else grads_step

    min_vals, max_vals = -VGG_MEAN_BGR, 255 - VGG_MEAN_BGR  # the pixel range 0..255, preprocessed
    best_loss, best_img = float("inf"), None
    history = History()
    start = time.perf_counter()
    for i in range(num_iterations):
        grads, (loss, style_score, content_score) = grads_fn()
        loss = float(loss)  # waits for the result, so the clock below measures real work
        if loss < best_loss:
            # This loss belongs to the image before the update: keep that image.
            best_loss, best_img = loss, init_image.numpy()
        opt.apply_gradients([(grads, init_image)])
        init_image.assign(tf.clip_by_value(init_image, min_vals, max_vals))
        elapsed = time.perf_counter() - start
        history.record(i, loss, float(style_score), float(content_score), elapsed)

        if callback is not None:
            paused = time.perf_counter()
            callback(StepInfo(iteration=i, num_iterations=num_iterations, total_loss=loss,
                              style_loss=float(style_score), content_loss=float(content_score),
                              elapsed=elapsed, best_loss=best_loss, processed_image=init_image))
            start += time.perf_counter() - paused  # drawing is off the clock
    return StyleTransferResult(deprocess_img(best_img), best_loss, history)
