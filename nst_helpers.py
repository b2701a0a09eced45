"""The lesson: neural style transfer as Raymond Yuan's article teaches it, for TensorFlow 2 and Keras 3.

The functions keep the names of the article, "Neural Style Transfer: Creating Art with Deep
Learning using tf.keras and eager execution", so each notebook cell maps onto the blog post,
and implement Gatys et al., "A Neural Algorithm of Artistic Style" (arXiv 1508.06576). Each
notebook writes a function out where it teaches it, checks it against the version here, and
later notebooks import it from here. This is the one module a notebook imports; it re-exports
the plumbing the notebooks need (images, display, weights, profiles), which lives in modules of
its own. The command line is ``python -m nst_cli``.

Sections: run profiles and the device; images; the model; the losses; the optimisation loop.
Importing this module has no side effects.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, NamedTuple, Sequence

import numpy as np
import tensorflow as tf

import nst_memory
from nst_config import (BETA_1, BFLOAT16_MIN_SIDE, CONTENT_LAYERS, CONTENT_WEIGHT, EPSILON, LBFGS_HISTORY,
                        LEARNING_RATE, MEDIA_DIR, MIN_IMAGE_SIDE, OPTIMIZERS, OUTPUTS_DIR, PRECISIONS, PRESERVE_COLORS,
                        PROFILE_ENV_VAR, PROFILES, REPO_ROOT, STYLE_LAYERS, STYLE_WEIGHT, VGG_MEAN_BGR, Profile,
                        profile_named)
from nst_device import cpu_has_fast_bfloat16, cpu_model
from nst_display import (LiveProgress, contact_sheet, imshow, jpeg_image, plot_history, save_gif, show_results,
                         to_uint8)
from nst_images import (ImageSource, as_batch, check_max_dim, image_size, offer_download, read_credits, read_grey,
                        read_image, save_image, scaled_size)
from nst_controls import (blend_weights, check_preserve_colors, check_style_scale, keep_colors, luminance,
                          match_color_histogram, match_luminance, read_regions, rgb_to_ycbcr, style_side, to_grey)
from nst_memory import InsufficientMemoryError, MemoryEstimate
from nst_weights import VGG19_CONV_LAYERS, VGG19Weights, WeightsUnavailableError, find_vgg19_weights, load_vgg19

__all__ = [
    # the recipe, folders and profiles (nst_config)
    "CONTENT_LAYERS", "STYLE_LAYERS", "CONTENT_WEIGHT", "STYLE_WEIGHT", "LEARNING_RATE", "BETA_1", "EPSILON",
    "VGG_MEAN_BGR", "MEDIA_DIR", "OUTPUTS_DIR", "REPO_ROOT", "PROFILES", "Profile", "get_profile", "device_name",
    "OPTIMIZERS", "PRECISIONS", "preferred_precision",
    # memory (nst_memory)
    "check_memory_fits", "MemoryEstimate", "InsufficientMemoryError",
    # images
    "load_img", "load_and_process_img", "deprocess_img", "read_image", "read_grey", "image_size", "save_image",
    "read_credits", "offer_download",
    # the model and its weights
    "get_model", "model_precision", "load_vgg19", "find_vgg19_weights", "VGG19Weights", "WeightsUnavailableError",
    # the losses
    "get_content_loss", "gram_matrix", "get_style_loss", "get_feature_representations", "compute_loss",
    "LossConfig", "compute_grads", "total_variation_loss",
    # control over the result (notebook 08): regions, and the colour and mask plumbing (nst_controls)
    "guided_gram_matrix", "get_guided_style_loss", "compute_guided_loss", "PRESERVE_COLORS", "rgb_to_ycbcr",
    "luminance", "to_grey", "match_luminance", "keep_colors", "match_color_histogram", "read_regions",
    "blend_weights", "style_side",
    # the optimisation loop
    "StyleTargets", "compute_targets", "run_style_transfer", "StyleTransferResult", "History", "StepInfo",
    # display (nst_display)
    "imshow", "show_results", "plot_history", "LiveProgress", "jpeg_image", "save_gif", "contact_sheet", "to_uint8",
]


# ---------------------------------------------------------------------------
# Run profiles and the device
# ---------------------------------------------------------------------------

def get_profile(name: str | None = None) -> Profile:
    """Returns the run profile to use.

    Args:
        name: A key of ``PROFILES``. When ``None``, reads ``$NST_PROFILE``; when that is unset,
            ``"gpu"`` if TensorFlow sees a GPU and ``"cpu"`` otherwise.

    Raises:
        ValueError: The name is not a known profile.
    """
    if name is None:
        name = os.environ.get(PROFILE_ENV_VAR) or ("gpu" if tf.config.list_physical_devices("GPU") else "cpu")
    return profile_named(name)


def device_name() -> str:
    """Names the device TensorFlow computes on, e.g. ``'GPU: NVIDIA H100'`` or
    ``'CPU: AMD EPYC 7B13 (2 cores)'``."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)}"
    return f"CPU: {cpu_model()} ({os.cpu_count()} cores)"


def preferred_precision(image_side: int | None = None) -> str:
    """The precision ``precision="auto"`` picks for VGG19 on this machine.

    ``"bfloat16"`` where the hardware multiplies bfloat16 matrices natively (a GPU of compute
    capability 8.0 or later, Ampere and newer, or a CPU with AMX-BF16 tiles) and the image is
    large enough for that to pay reliably: below ``BFLOAT16_MIN_SIDE`` pixels on its longest side
    the measured gain varied from run to run, sometimes a loss. ``"float32"`` everywhere else, where bfloat16 would be
    emulated and could be slower. ``tools/benchmark.py`` measures both on the machine at hand.

    Args:
        image_side: The longest side of the images of the run; ``None`` leaves size out of it.
    """
    if image_side is not None and image_side < BFLOAT16_MIN_SIDE:
        return "float32"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
        return "bfloat16" if tuple(capability) >= (8, 0) else "float32"
    return "bfloat16" if cpu_has_fast_bfloat16() else "float32"


def _resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}; got {precision!r}")
    return preferred_precision() if precision == "auto" else precision


def check_memory_fits(height: int, width: int, *, optimizer: str = "adam", precision: str = "float32",
                      lbfgs_history: int = LBFGS_HISTORY,
                      layers: Sequence[str] = (*STYLE_LAYERS, *CONTENT_LAYERS)) -> MemoryEstimate:
    """Refuses a run that cannot fit in the memory of the device TensorFlow computes on.

    Estimates the run's peak memory (``nst_memory.estimate_peak_memory``) and compares it with
    what the device has: available RAM on a CPU, the card's memory on a GPU.

    Args:
        height: Image height in pixels (of the larger of the content and style images).
        width: Image width in pixels.
        optimizer: ``"adam"`` or ``"lbfgs"``.
        precision: ``"float32"`` or ``"bfloat16"``.
        lbfgs_history: L-BFGS's ``m``, the correction pairs it keeps.
        layers: The VGG19 layers the model outputs.

    Returns:
        The ``MemoryEstimate``.

    Raises:
        InsufficientMemoryError: (a ``ValueError``) the run cannot fit; the message gives the
            estimate, the limit and the largest ``max_dim`` that fits.
    """
    device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    return nst_memory.check_fits(height, width, device=device, optimizer=optimizer, precision=precision,
                                 lbfgs_history=lbfgs_history, layers=layers)


def _profile_max_dim(max_dim: int | None) -> int:
    """``max_dim``, or the active profile's when it is ``None``."""
    return get_profile().max_dim if max_dim is None else max_dim


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

def load_img(path_to_img: str | os.PathLike, max_dim: int | None = None) -> np.ndarray:
    """Loads an image as a float32 batch of one, longest side ``max_dim`` pixels.

    Args:
        path_to_img: A file path or an ``http(s)://`` URL.
        max_dim: Longest side after resizing (the aspect ratio is kept; smaller images are
            scaled up, as in the article); by default the active run profile's.
            ``nst_images.read_image(path)`` keeps an image's own size.

    Returns:
        Array of shape ``(1, height, width, 3)``, RGB values in ``[0, 255]``.

    Raises:
        The errors of ``nst_images.read_image``, which names the file and what was expected.
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
# The model
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def _keras_dtype_policy(policy: str) -> Iterator[None]:
    """Builds layers under a Keras dtype policy, then restores the previous one (it is global:
    left set, every layer built later in the process would change precision too)."""
    previous = tf.keras.config.dtype_policy()
    tf.keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        tf.keras.config.set_dtype_policy(previous)


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
        precision: ``"float32"`` (the article), ``"bfloat16"`` (VGG19's weights are stored and
            its layers compute in bfloat16; its outputs are cast back to float32, so Gram matrices
            and losses stay float32), or ``"auto"`` (``preferred_precision()``).

    Returns:
        A frozen Keras functional model whose outputs, float32, are the style layers'
        activations followed by the content layers' activations.

    Raises:
        ValueError: A layer name is not a VGG19 convolution layer, or an unknown precision.
    """
    unknown = [name for name in (*style_layers, *content_layers) if name not in VGG19_CONV_LAYERS]
    if unknown:
        raise ValueError(f"unknown VGG19 layer(s) {unknown}; expected names from {list(VGG19_CONV_LAYERS)}")
    if not style_layers or not content_layers:
        raise ValueError("need at least one style layer and one content layer")
    precision = _resolve_precision(precision)
    # Weights stored in bfloat16, not Keras's mixed_bfloat16 (float32 weights cast on every call):
    # the same rounding once instead of every step, so the same numbers, about 6% sooner.
    with _keras_dtype_policy(precision):
        vgg = load_vgg19(weights, verbose=verbose)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in (*style_layers, *content_layers)]
    if precision == "bfloat16":  # a float32 layer casts its input: the losses stay float32
        outputs = [tf.keras.layers.Activation("linear", dtype="float32", name=f"{name}_float32")(output)
                   for name, output in zip((*style_layers, *content_layers), outputs)]
    model = tf.keras.Model(vgg.input, outputs, name=f"vgg19_style_content_{precision}")
    model.trainable = False
    return model


def model_precision(model: tf.keras.Model) -> str:
    """``"bfloat16"`` if any layer of ``model`` computes in bfloat16, else ``"float32"``."""
    return "bfloat16" if any(layer.compute_dtype == "bfloat16" for layer in model.layers) else "float32"


# ---------------------------------------------------------------------------
# The losses
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


def _split_outputs(model: tf.keras.Model, processed_image, num_style_layers: int,
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
    style_features, _ = _split_outputs(model, load_and_process_img(style_path, max_dim), num_style_layers)
    _, content_features = _split_outputs(model, load_and_process_img(content_path, max_dim), num_style_layers)
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


def compute_guided_loss(model: tf.keras.Model, loss_weights: tuple[float, float], init_image: tf.Tensor,
                        gram_style_features: Sequence[tf.Tensor], content_features: Sequence[tf.Tensor],
                        region_masks: Sequence[tf.Tensor], region_weights: tf.Tensor,
                        ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """``compute_loss`` with a style per region (spatial control, Gatys et al. 2017).

    Args:
        model: A model from ``get_model``.
        loss_weights: ``(style_weight, content_weight)``.
        init_image: The image being optimised, VGG-preprocessed, shape ``(1, h, w, 3)``.
        gram_style_features: Per style layer, ``(regions, channels, channels)``: each region's
            style Gram matrix.
        content_features: The content image's activations at each content layer.
        region_masks: Per style layer, ``(regions, height, width)``: each region's weights at
            that layer's resolution.
        region_weights: ``(regions,)``, summing to 1.

    Returns:
        ``(total_loss, style_score, content_score)``, each already weighted. The content loss
        covers the whole image, as in ``compute_loss``; a region without style has no mask here.
    """
    style_weight, content_weight = loss_weights
    model_outputs = model(init_image)
    num_style_layers = len(gram_style_features)
    weight_per_style_layer = 1.0 / float(num_style_layers)
    style_score = tf.add_n([weight_per_style_layer * get_guided_style_loss(output[0], masks, targets, region_weights)
                            for targets, masks, output in zip(gram_style_features, region_masks,
                                                              model_outputs[:num_style_layers])])
    weight_per_content_layer = 1.0 / float(len(content_features))
    content_score = tf.add_n([weight_per_content_layer * get_content_loss(output[0], target)
                              for target, output in zip(content_features, model_outputs[num_style_layers:])])
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
# The optimisation loop: arguments, targets, the step, and the loop, each on its own
# ---------------------------------------------------------------------------


@dataclass
class History:
    """Record of a run: one entry per loss evaluation, in order.

    For Adam an evaluation is an iteration; L-BFGS may evaluate the loss more than once per
    iteration (its line search), and every evaluation is recorded. ``seconds[i]`` is the wall
    time from the start of the run to the end of evaluation ``iterations[i]``, with the result on
    the host (so GPU work is finished); time spent in the callback (drawing progress) is not
    counted. ``scales[i]`` is the longest image side of that evaluation's level (coarse-to-fine
    runs have several levels). Losses are weighted; ``total_loss`` is their sum.
    """

    iterations: list[int] = field(default_factory=list)
    total_loss: list[float] = field(default_factory=list)
    style_loss: list[float] = field(default_factory=list)
    content_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    tv_loss: list[float] = field(default_factory=list)
    scales: list[int] = field(default_factory=list)
    optimizer: str = "adam"
    precision: str = "float32"

    def record(self, iteration: int, total_loss: float, style_loss: float, content_loss: float,
               seconds: float, tv_loss: float = 0.0, scale: int = 0) -> None:
        """Appends one evaluation's losses, the wall time since the start and its level."""
        self.iterations.append(iteration)
        self.total_loss.append(total_loss)
        self.style_loss.append(style_loss)
        self.content_loss.append(content_loss)
        self.seconds.append(seconds)
        self.tv_loss.append(tv_loss)
        self.scales.append(scale)

    @property
    def best_iteration(self) -> int:
        """The evaluation whose image had the lowest total loss at the final scale (the image
        returned; losses at different scales are not comparable)."""
        final = [i for i, scale in enumerate(self.scales) if scale == self.scales[-1]]
        return self.iterations[min(final, key=lambda i: self.total_loss[i])]

    def seconds_per_iteration(self, skip: int = 1) -> float:
        """Median time of one evaluation, skipping the first ``skip`` (tracing and warm-up)."""
        steps = np.diff([0.0, *self.seconds])[skip:]
        if steps.size == 0:
            raise ValueError(f"need more than {skip} recorded iterations to time one")
        return float(np.median(steps))

    def seconds_to_reach(self, loss: float) -> float | None:
        """Wall time until an evaluation at the final scale first had a total loss of at most
        ``loss``; ``None`` if none did."""
        final_scale = self.scales[-1]
        for value, seconds, scale in zip(self.total_loss, self.seconds, self.scales):
            if scale == final_scale and value <= loss:
                return seconds
        return None


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


@dataclass(frozen=True)
class StyleTargets:
    """What the generated image is compared with, computed once before the optimisation.

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

    def step_arguments(self) -> tuple:
        """The targets as ``_loss_and_grads`` takes them, in its order."""
        extra = () if self.region_masks is None else (self.region_masks, self.region_weights)
        return (self.gram_style_features, self.content_features, *extra)


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
            (``nst_controls.read_regions``), or ``None`` for every style everywhere.

    Returns:
        A ``StyleTargets``.

    Raises:
        ValueError: The weights or regions do not match the styles (see ``nst_controls``).
    """
    styles = list(processed_style) if isinstance(processed_style, (list, tuple)) else [processed_style]
    weights = blend_weights(style_blend_weights, styles)
    if regions is None and any(style is None for style in styles):
        raise ValueError("a style of None (a region without style) needs regions from a mask")
    content_style_layers, content_features = _split_outputs(model, processed_content, num_style_layers)
    grams = [[gram_matrix(feature) for feature in _split_outputs(model, style, num_style_layers)[0]]
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


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _non_negative_float(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _loss_and_grads(model: tf.keras.Model, image: tf.Tensor, loss_weights: tuple[tf.Tensor, tf.Tensor],
                    tv_weight: tf.Tensor, gram_style_features: list[tf.Tensor], content_features: list[tf.Tensor],
                    region_masks: list[tf.Tensor] | None = None, region_weights: tf.Tensor | None = None, *,
                    grey: bool = False):
    """``compute_grads`` plus an optional total-variation term, every input an argument (so that
    one compiled graph serves every run with the same model). With ``region_masks`` (spatial
    control) the style loss is ``compute_guided_loss``'s. With ``grey`` the gradient is averaged
    over the colour channels: from a grey start, every step then keeps the image grey, which
    optimises one luminance channel shown to VGG19 in all three (luminance-only transfer).

    Returns:
        ``(gradient, (total_loss, style_score, content_score, tv_score))``; with ``tv_weight`` 0
        and no regions this is exactly ``compute_grads``'s result with a zero appended.
    """
    with tf.GradientTape() as tape:
        tape.watch(image)
        if region_masks is None:
            total, style_score, content_score = compute_loss(model, loss_weights, image, gram_style_features,
                                                             content_features)
        else:
            total, style_score, content_score = compute_guided_loss(
                model, loss_weights, image, gram_style_features, content_features, region_masks, region_weights)
        tv_score = tv_weight * total_variation_loss(image)
        total = total + tv_score
    grads = tape.gradient(total, image)
    if grey:  # equal changes to B, G and R keep a grey pixel grey (the channel means are constants)
        grads = tf.repeat(tf.reduce_mean(grads, axis=-1, keepdims=True), 3, axis=-1)
    return grads, (total, style_score, content_score, tv_score)


# Built once for the whole process: its graph is traced once per model and, thanks to
# reduce_retracing, once for every image size after the first two.
_compiled_loss_and_grads = tf.function(_loss_and_grads, reduce_retracing=True)

# Pixel values must stay those of a real image: 0..255 before preprocessing.
_MIN_VALS = -VGG_MEAN_BGR
_MAX_VALS = 255.0 - VGG_MEAN_BGR


class _Recorder:
    """What both optimisers share: the clock, the history, the best image and the callback."""

    def __init__(self, history: History, num_evaluations: int, callback: Callable[[StepInfo], None] | None):
        self.history, self.num_evaluations, self.callback = history, num_evaluations, callback
        self.start = time.perf_counter()
        self.scale = 0
        self.best_loss, self.best_image = float("inf"), None

    def new_scale(self, scale: int) -> None:
        """Starts a level: the best image is sought again, at this level's size."""
        self.scale, self.best_loss, self.best_image = scale, float("inf"), None

    def evaluated(self, image: np.ndarray, losses, holder: tf.Variable | np.ndarray) -> float:
        """Records one evaluation of ``image`` (the pixels whose losses these are)."""
        total, style_score, content_score, tv_score = (float(value) for value in losses)  # waits for the result
        if total < self.best_loss:
            self.best_loss, self.best_image = total, np.array(image, copy=True)
        elapsed = time.perf_counter() - self.start
        self.history.record(len(self.history.iterations), total, style_score, content_score, elapsed,
                            tv_score, self.scale)
        if self.callback is not None:
            paused = time.perf_counter()
            self.callback(StepInfo(iteration=len(self.history.iterations) - 1, num_iterations=self.num_evaluations,
                                   total_loss=total, style_loss=style_score, content_loss=content_score,
                                   elapsed=elapsed, best_loss=self.best_loss, processed_image=holder,
                                   scale=self.scale))
            self.start += time.perf_counter() - paused  # drawing progress is off the clock
        return total


def _adam_loop(step: Callable, args: tuple, start: np.ndarray, num_iterations: int, recorder: _Recorder,
               learning_rate: float, beta_1: float, epsilon: float) -> None:
    """The article's loop: evaluate, keep the best image, update with Adam, clip."""
    model, *targets = args
    image = tf.Variable(start, dtype=tf.float32)
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, epsilon=epsilon)
    for _ in range(num_iterations):
        before = image.numpy()  # the loss below belongs to this image, before the update
        grads, losses = step(model, image.value(), *targets)
        optimizer.apply_gradients([(grads, image)])
        image.assign(tf.clip_by_value(image, _MIN_VALS, _MAX_VALS))
        recorder.evaluated(before, losses, image)


class _EvaluationBudgetSpent(Exception):
    """Stops SciPy's L-BFGS-B once the run's evaluations are used up."""


def _lbfgs_loop(step: Callable, args: tuple, start: np.ndarray, num_evaluations: int, recorder: _Recorder,
                blas_threads: int | None = 1) -> None:
    """SciPy's L-BFGS-B on the compiled loss and gradient, bounded to the valid pixel range.

    SciPy works on a flat float64 vector; each evaluation converts it to a float32 image, runs
    the step and returns the loss and gradient as float64. The bounds are box constraints per
    pixel and channel, so the image never leaves the range of real pixels (no clipping needed).
    Tolerances are zero: the run stops after ``num_evaluations`` evaluations, not earlier.
    ``blas_threads`` limits SciPy's BLAS threads while it runs (``None``: no limit; the
    benchmark compares the two).
    """
    from scipy.optimize import Bounds, minimize
    from threadpoolctl import threadpool_limits

    model, *targets = args
    shape = start.shape
    bounds = Bounds(np.broadcast_to(_MIN_VALS, shape).ravel().astype(np.float64),
                    np.broadcast_to(_MAX_VALS, shape).ravel().astype(np.float64))
    evaluations = 0

    def loss_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evaluations
        if evaluations == num_evaluations:
            raise _EvaluationBudgetSpent
        evaluations += 1
        image = x.reshape(shape).astype(np.float32)
        grads, losses = step(model, tf.constant(image), *targets)
        total = recorder.evaluated(image, losses, image)
        return total, grads.numpy().astype(np.float64).ravel()

    # SciPy's BLAS keeps its threads spinning for a while after each call, on the cores TensorFlow
    # needs next: on 2 cores that made each TensorFlow step 16% (float32) to 61% (bfloat16) slower.
    # With one BLAS thread a whole evaluation took 15% to 25% less time (tools/benchmark.py).
    try:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            minimize(loss_and_gradient, start.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                     bounds=bounds, options={"maxcor": LBFGS_HISTORY, "maxfun": num_evaluations + 1,
                                             "maxiter": num_evaluations, "ftol": 0.0, "gtol": 0.0})
    except _EvaluationBudgetSpent:
        pass


def _check_scales(scales: Sequence[int] | None, max_dim: int | None) -> tuple[int, ...] | None:
    if scales is None:
        return None
    if isinstance(scales, (str, bytes)) or not isinstance(scales, Sequence) or not scales:
        raise ValueError(f"scales must be a non-empty sequence of image sizes, coarse to fine; got {scales!r}")
    for value in scales:
        check_max_dim(value)
    if any(later <= earlier for earlier, later in zip(scales, scales[1:])):
        raise ValueError(f"scales must increase from coarse to fine (the last is the result's size); got {list(scales)}")
    if max_dim is not None and max_dim != scales[-1]:
        raise ValueError(f"max_dim {max_dim} contradicts scales {list(scales)}, whose last entry is the result's size")
    return tuple(int(value) for value in scales)


def _iterations_per_level(num_iterations: int | Sequence[int], levels: int) -> list[int]:
    if isinstance(num_iterations, Sequence) and not isinstance(num_iterations, (str, bytes)):
        if len(num_iterations) != levels:
            raise ValueError(f"num_iterations has {len(num_iterations)} entries for {levels} scales; "
                             "give one per scale, or a single number for every scale")
        return [_positive_int("num_iterations", value) for value in num_iterations]
    return [_positive_int("num_iterations", num_iterations)] * levels


def _at_size(image: ImageSource, max_dim: int | None, resize_arrays: bool) -> np.ndarray:
    """An RGB batch of ``image``: a path read with its longest side ``max_dim`` (the profile's
    when ``None``); an array as it is, or resized to ``max_dim`` when ``resize_arrays``."""
    if not resize_arrays or isinstance(image, (str, os.PathLike)):
        return as_batch(image, _profile_max_dim(max_dim))
    batch = as_batch(image, max_dim)
    width, height = scaled_size((batch.shape[2], batch.shape[1]), max_dim)
    if (height, width) == batch.shape[1:3]:
        return batch
    return tf.image.resize(batch, (height, width), method="lanczos3", antialias=True).numpy().clip(0, 255)


def _style_list(style_path: ImageSource | Sequence[ImageSource | None]) -> list[ImageSource | None]:
    """``style_path`` as a list of styles: one image, or a non-empty sequence of them."""
    if isinstance(style_path, (str, os.PathLike, np.ndarray)):
        return [style_path]
    if isinstance(style_path, Sequence) and not isinstance(style_path, bytes) and len(style_path) > 0:
        return list(style_path)
    raise ValueError(f"style_path must be an image (path, URL or RGB array) or a non-empty list of them; "
                     f"got {style_path!r}")


def _planned_size(image: ImageSource, max_dim: int | None, resize_arrays: bool) -> tuple[int, int]:
    """The ``(width, height)`` that ``_at_size`` will return, from a file's header (nothing decoded)."""
    if isinstance(image, (str, os.PathLike)):
        return image_size(image, _profile_max_dim(max_dim))
    return scaled_size(as_batch(image, None).shape[2:0:-1], max_dim if resize_arrays else None)


def _color_controlled(preserve_colors: str | None, content_image: np.ndarray, style_images: list,
                      ) -> tuple[np.ndarray, list]:
    """The content and style images the optimisation sees under ``preserve_colors``."""
    if preserve_colors == "luminance":  # grey images; the photo's colour is put back at the end
        return to_grey(content_image), [None if style is None else match_luminance(style, content_image)
                                        for style in style_images]
    if preserve_colors == "histogram":  # the styles in the photo's palette
        return content_image, [None if style is None else match_color_histogram(style, content_image)
                               for style in style_images]
    return content_image, style_images


def run_style_transfer(content_path: ImageSource, style_path: ImageSource | Sequence[ImageSource | None],
                       num_iterations: int | Sequence[int] | None = None,
                       content_weight: float = CONTENT_WEIGHT, style_weight: float = STYLE_WEIGHT, *,
                       max_dim: int | None = None, model: tf.keras.Model | None = None, compiled: bool = True,
                       callback: Callable[[StepInfo], None] | None = None, init: str = "content",
                       seed: int | None = None, weights: VGG19Weights | str | os.PathLike | None = "auto",
                       learning_rate: float = LEARNING_RATE, beta_1: float = BETA_1, epsilon: float = EPSILON,
                       optimizer: str = "adam", tv_weight: float = 0.0, scales: Sequence[int] | None = None,
                       precision: str = "auto", target_model: tf.keras.Model | None = None,
                       check_memory: bool = True, preserve_colors: str | None = None,
                       style_blend_weights: Sequence[float] | None = None, mask: ImageSource | None = None,
                       style_scale: float = 1.0) -> StyleTransferResult:
    """Runs Gatys et al.'s optimisation with the article's recipe, or faster and controlled variants of it.

    Args:
        content_path: Content image (path, URL or RGB array).
        style_path: Style image (path, URL or RGB array), or a list of them: several styles are
            blended (``style_blend_weights``), or, with a ``mask``, each paints its own region;
            with a mask an entry may be ``None``, leaving its region without style.
        num_iterations: Adam steps, or L-BFGS loss evaluations, at each scale (a number, or one
            per scale); by default the active run profile's.
        content_weight: Weight of the content loss.
        style_weight: Weight of the style loss.
        max_dim: Longest side of the content image when loading it; by default the profile's.
            Arrays keep their size unless ``scales`` is given.
        model: A model from ``get_model``; built with ``weights`` and ``precision`` when ``None``.
        compiled: Compile the loss and gradient with ``tf.function`` (faster); ``False`` runs
            them eagerly, line by line, as the article does.
        callback: Called with a ``StepInfo`` after every loss evaluation, e.g. to show progress
            (with ``preserve_colors="luminance"`` its image is the grey one being optimised).
        init: ``"content"`` starts from the content image (the article); ``"noise"`` from
            uniform noise in the pixel range (the paper).
        seed: Seeds TensorFlow, NumPy and Python for a repeatable run.
        weights: Passed to ``get_model`` when ``model`` is ``None``.
        learning_rate: Adam's learning rate.
        beta_1: Adam's first-moment decay.
        epsilon: Adam's epsilon.
        optimizer: ``"adam"`` (the article) or ``"lbfgs"`` (SciPy's L-BFGS-B, bounded to the
            valid pixel range; the paper's choice).
        tv_weight: Weight of ``total_variation_loss``, against grain; 0 is the article.
        scales: Image sizes from coarse to fine, the last being the result's size: each level
            has its own targets and starts from the previous level's result, upsampled.
            ``None`` is one level at ``max_dim``.
        precision: VGG19's precision when the model is built here: ``"auto"``
            (``preferred_precision()``), ``"float32"`` or ``"bfloat16"``. A given ``model`` keeps
            its own; ``history.precision`` says which was used.
        target_model: The model that computes the targets, once per scale; by default ``model``.
            For a bfloat16 ``model`` pass a float32 one (built here when both are ``None``):
            exact targets keep a bfloat16 run's loss within about a percent of float32's.
        check_memory: Estimate the run's peak memory from the images' sizes before reading
            them or building the model, and refuse a run that cannot fit
            (``check_memory_fits``). ``False`` skips the check, for experts who know better
            than the estimate.
        preserve_colors: ``None`` (the article: the result takes the style's colours),
            ``"luminance"`` (style the brightness only, on grey images, then give the result
            the content's colour) or ``"histogram"`` (recolour each style image to the
            content's colour statistics first); see ``nst_controls``.
        style_blend_weights: One weight per entry of ``style_path`` (normalised to sum to 1;
            equal when ``None``). Without a mask the styles' Gram matrices are mixed with them.
        mask: An image of grey levels with the content's aspect ratio: each level is a region,
            and the regions, darkest first, take the styles in order (``nst_controls.read_regions``).
        style_scale: The style image's longest side relative to the content's: 2 reads the style
            at twice the content's size, which makes the result's brush strokes larger. Arrays
            keep their size when it is 1 and ``scales`` is not given.

    Returns:
        ``StyleTransferResult(best_img, best_loss, history)``: the uint8 RGB image with the
        lowest total loss seen at the final scale (with ``"luminance"``, recoloured with the
        content's colour), that loss, and the ``History`` of every evaluation.

    Raises:
        ValueError: An argument is out of range, the styles, weights or mask do not match,
            or an image is too small for VGG19.
        InsufficientMemoryError: (a ``ValueError``) the run cannot fit in memory.
    """
    # Every argument is checked before any image is read or any model is built.
    profile = get_profile()
    content_weight = _non_negative_float("content_weight", content_weight)
    style_weight = _non_negative_float("style_weight", style_weight)
    tv_weight = _non_negative_float("tv_weight", tv_weight)
    for name, value in (("learning_rate", learning_rate), ("epsilon", epsilon)):
        if _non_negative_float(name, value) == 0:
            raise ValueError(f"{name} must be greater than 0; got {value!r}")
    if not 0 <= _non_negative_float("beta_1", beta_1) < 1:
        raise ValueError(f"beta_1 must be in [0, 1); got {beta_1!r}")
    if init not in ("content", "noise"):
        raise ValueError(f"init must be 'content' or 'noise'; got {init!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}; got {optimizer!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}; got {precision!r}")
    if model is not None and precision not in ("auto", model_precision(model)):
        raise ValueError(f"precision {precision!r} contradicts the given model, which computes in "
                         f"{model_precision(model)}; pass precision='auto' or build the model with get_model(precision=...)")
    check_preserve_colors(preserve_colors)
    style_scale = check_style_scale(style_scale)
    styles = _style_list(style_path)
    if all(style is None for style in styles):
        raise ValueError("every style is None: give at least one style image")
    if mask is None and any(style is None for style in styles):
        raise ValueError("a style of None leaves a region without style, so it needs a mask that marks the regions")
    blend = blend_weights(style_blend_weights, styles)
    check_max_dim(max_dim)
    levels = _check_scales(scales, max_dim) or (max_dim,)
    per_level = _iterations_per_level(profile.iterations if num_iterations is None else num_iterations, len(levels))
    # The result's size and the styles', from the files' headers (nothing decoded yet) or the arrays' shapes.
    resize_arrays = scales is not None
    resize_styles = resize_arrays or style_scale != 1
    content_size = _planned_size(content_path, levels[-1], resize_arrays)
    sizes = [content_size] + [_planned_size(style, style_side(max(content_size), style_scale), resize_styles)
                              for style in styles if style is not None]
    if mask is not None:
        read_regions(mask, content_size, len(styles))  # a mismatch fails now, naming the file
        if isinstance(mask, (str, os.PathLike)):
            mask = read_grey(mask)  # read once, split again at each level's size
    width, height = (int(side) for side in max(sizes, key=lambda size: size[0] * size[1]))
    if model is not None:
        precision = model_precision(model)
    elif precision == "auto":
        precision = preferred_precision(max(width, height))
    if check_memory:
        check_memory_fits(height, width, optimizer=optimizer, precision=precision)

    level_images = []
    for size in levels:
        content_image = _at_size(content_path, size, resize_arrays)
        side = max(content_image.shape[1:3])
        level_images.append((content_image, [None if style is None else
                                             _at_size(style, style_side(side, style_scale), resize_styles)
                                             for style in styles]))
    for content_image, style_images in level_images:
        named = [("content", content_image)] + [(f"style{f' {i + 1}' if len(styles) > 1 else ''}", img)
                                                for i, img in enumerate(style_images) if img is not None]
        for name, img in named:
            if min(img.shape[1:3]) < MIN_IMAGE_SIDE:
                raise ValueError(f"the {name} image is {img.shape[2]}x{img.shape[1]} px; each side must be at least "
                                 f"{MIN_IMAGE_SIDE} px for VGG19's deepest layers (raise max_dim, the first scale or "
                                 "style_scale)")
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    if model is None:
        model = get_model(weights=weights, precision=precision)
        if precision == "bfloat16" and target_model is None:
            target_model = get_model(weights=weights, verbose=False)
    target_model = target_model or model

    history = History(optimizer=optimizer, precision=precision)
    recorder = _Recorder(history, sum(per_level), callback)
    step = _compiled_loss_and_grads if compiled else _loss_and_grads
    weights_args = ((tf.constant(style_weight, tf.float32), tf.constant(content_weight, tf.float32)),
                    tf.constant(tv_weight, tf.float32))
    previous = None
    for (content_image, style_images), iterations in zip(level_images, per_level):
        regions = None if mask is None else read_regions(mask, content_image.shape[2:0:-1], len(styles))
        seen_content, seen_styles = _color_controlled(preserve_colors, content_image, style_images)
        processed_content = load_and_process_img(seen_content)
        targets = compute_targets(target_model, processed_content,
                                  [None if style is None else load_and_process_img(style) for style in seen_styles],
                                  style_blend_weights=blend, regions=regions)
        if previous is not None:  # the coarser level's result, upsampled, is this level's start
            start = np.clip(tf.image.resize(previous, processed_content.shape[1:3], method="bicubic").numpy(),
                            _MIN_VALS, _MAX_VALS)
        elif init == "noise":
            noise = np.random.uniform(0, 255, size=content_image.shape)
            start = load_and_process_img(to_grey(noise) if preserve_colors == "luminance" else noise)
        else:
            start = processed_content
        recorder.new_scale(max(content_image.shape[1:3]))
        args = (model, *weights_args, *targets.step_arguments())
        level_step = functools.partial(step, grey=True) if preserve_colors == "luminance" else step
        if optimizer == "adam":
            _adam_loop(level_step, args, start, iterations, recorder, learning_rate, beta_1, epsilon)
        else:
            _lbfgs_loop(level_step, args, start, iterations, recorder)
        previous = recorder.best_image
    best_img = deprocess_img(recorder.best_image)
    if preserve_colors == "luminance":
        best_img = keep_colors(best_img, level_images[-1][0][0])
    return StyleTransferResult(best_img, recorder.best_loss, history)
