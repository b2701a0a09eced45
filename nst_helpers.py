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

import os
import platform
import time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from nst_config import (BETA_1, CONTENT_LAYERS, CONTENT_WEIGHT, EPSILON, LEARNING_RATE, MEDIA_DIR, MIN_IMAGE_SIDE,
                        OUTPUTS_DIR, PROFILE_ENV_VAR, PROFILES, REPO_ROOT, STYLE_LAYERS, STYLE_WEIGHT, VGG_MEAN_BGR,
                        Profile, profile_named)
from nst_display import (LiveProgress, contact_sheet, imshow, jpeg_image, plot_history, save_gif, show_results,
                         to_uint8)
from nst_images import ImageSource, as_batch, check_max_dim, offer_download, read_credits, read_image, save_image
from nst_weights import VGG19_CONV_LAYERS, VGG19Weights, WeightsUnavailableError, find_vgg19_weights, load_vgg19

__all__ = [
    # the recipe, folders and profiles (nst_config)
    "CONTENT_LAYERS", "STYLE_LAYERS", "CONTENT_WEIGHT", "STYLE_WEIGHT", "LEARNING_RATE", "BETA_1", "EPSILON",
    "VGG_MEAN_BGR", "MEDIA_DIR", "OUTPUTS_DIR", "REPO_ROOT", "PROFILES", "Profile", "get_profile", "device_name",
    # images
    "load_img", "load_and_process_img", "deprocess_img", "read_image", "save_image", "read_credits", "offer_download",
    # the model and its weights
    "get_model", "load_vgg19", "find_vgg19_weights", "VGG19Weights", "WeightsUnavailableError",
    # the losses
    "get_content_loss", "gram_matrix", "get_style_loss", "get_feature_representations", "compute_loss",
    "LossConfig", "compute_grads",
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


def _cpu_model() -> str:
    """The processor's model name, e.g. ``'AMD EPYC 7B13'``; machines differ, so figures name it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_name() -> str:
    """Names the device TensorFlow computes on, e.g. ``'GPU: NVIDIA H100'`` or
    ``'CPU: AMD EPYC 7B13 (2 cores)'``."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)}"
    return f"CPU: {_cpu_model()} ({os.cpu_count()} cores)"


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
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, not an image, truncated, or ``max_dim`` is invalid.
        ConnectionError: A URL could not be downloaded.
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

def get_model(content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
              weights: VGG19Weights | str | os.PathLike | None = "auto", verbose: bool = True) -> tf.keras.Model:
    """Builds a model that maps an image to VGG19's activations at the chosen layers.

    Args:
        content_layers: Layers whose activations represent content.
        style_layers: Layers whose Gram matrices represent style.
        weights: A ``find_vgg19_weights`` record, or what it accepts (``"auto"`` finds real
            ImageNet weights).
        verbose: Print which weights were loaded.

    Returns:
        A frozen Keras functional model whose outputs are the style layers' activations
        followed by the content layers' activations.

    Raises:
        ValueError: A layer name is not a VGG19 convolution layer.
    """
    unknown = [name for name in (*style_layers, *content_layers) if name not in VGG19_CONV_LAYERS]
    if unknown:
        raise ValueError(f"unknown VGG19 layer(s) {unknown}; expected names from {list(VGG19_CONV_LAYERS)}")
    if not style_layers or not content_layers:
        raise ValueError("need at least one style layer and one content layer")
    vgg = load_vgg19(weights, verbose=verbose)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in (*style_layers, *content_layers)]
    model = tf.keras.Model(vgg.input, outputs, name="vgg19_style_content")
    model.trainable = False
    return model


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


# ---------------------------------------------------------------------------
# The optimisation loop: arguments, targets, the step, and the loop, each on its own
# ---------------------------------------------------------------------------

@dataclass
class History:
    """Per-iteration record of a run. ``seconds[i]`` is the wall time from the start to the end
    of iteration ``iterations[i]``, with the result on the host (so GPU work is finished); time
    spent in the callback (drawing progress) is not counted."""

    iterations: list[int] = field(default_factory=list)
    total_loss: list[float] = field(default_factory=list)
    style_loss: list[float] = field(default_factory=list)
    content_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def record(self, iteration: int, total_loss: float, style_loss: float, content_loss: float,
               seconds: float) -> None:
        """Appends one iteration's losses and the wall time since the start."""
        self.iterations.append(iteration)
        self.total_loss.append(total_loss)
        self.style_loss.append(style_loss)
        self.content_loss.append(content_loss)
        self.seconds.append(seconds)

    @property
    def best_iteration(self) -> int:
        """The iteration whose image had the lowest total loss (the image returned)."""
        return self.iterations[int(np.argmin(self.total_loss))]

    def seconds_per_iteration(self, skip: int = 1) -> float:
        """Median time of one iteration, skipping the first ``skip`` (tracing and warm-up)."""
        steps = np.diff([0.0, *self.seconds])[skip:]
        if steps.size == 0:
            raise ValueError(f"need more than {skip} recorded iterations to time one")
        return float(np.median(steps))


@dataclass(frozen=True)
class StepInfo:
    """What a ``run_style_transfer`` callback receives after each iteration.

    The losses belong to the image as it was *before* this iteration's update; ``image()``
    returns the image *after* it, as uint8 RGB.

    Attributes:
        iteration: The iteration just done, from 0.
        num_iterations: How many the run makes.
        total_loss: The total loss (weighted), before the update.
        style_loss: Its weighted style part.
        content_loss: Its weighted content part.
        elapsed: Seconds since the run started.
        best_loss: The lowest total loss so far.
        processed_image: The image being optimised, VGG-preprocessed, after the update.
    """

    iteration: int
    num_iterations: int
    total_loss: float
    style_loss: float
    content_loss: float
    elapsed: float
    best_loss: float
    processed_image: tf.Variable = field(repr=False)

    def image(self) -> np.ndarray:
        """The image after this iteration's update, as uint8 RGB ``(height, width, 3)``."""
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
        gram_style_features: The style image's Gram matrix at each style layer.
        content_features: The content image's activations at each content layer.
    """

    gram_style_features: list[tf.Tensor]
    content_features: list[tf.Tensor]


def compute_targets(model: tf.keras.Model, processed_content: np.ndarray, processed_style: np.ndarray,
                    num_style_layers: int = len(STYLE_LAYERS)) -> StyleTargets:
    """The style and content targets of one content/style pair, from preprocessed images."""
    style_features, _ = _split_outputs(model, processed_style, num_style_layers)
    _, content_features = _split_outputs(model, processed_content, num_style_layers)
    return StyleTargets([gram_matrix(feature) for feature in style_features], content_features)


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _non_negative_float(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _loss_and_grads(model: tf.keras.Model, image: tf.Tensor, gram_style_features: list[tf.Tensor],
                    content_features: list[tf.Tensor], loss_weights: tuple[tf.Tensor, tf.Tensor]):
    """``compute_grads`` for an image given as a tensor, every input an argument (so that one
    compiled graph serves every run with the same model)."""
    return compute_grads(LossConfig(model, loss_weights, image, gram_style_features, content_features))


# Built once for the whole process: its graph is traced once per model and, thanks to
# reduce_retracing, once for every image size after the first two.
_compiled_loss_and_grads = tf.function(_loss_and_grads, reduce_retracing=True)

# Pixel values must stay those of a real image: 0..255 before preprocessing.
_MIN_VALS = -VGG_MEAN_BGR
_MAX_VALS = 255.0 - VGG_MEAN_BGR


def _adam_loop(step: Callable, model: tf.keras.Model, image: tf.Variable, targets: StyleTargets,
               loss_weights: tuple[tf.Tensor, tf.Tensor], num_iterations: int, optimizer: tf.keras.optimizers.Optimizer,
               callback: Callable[[StepInfo], None] | None) -> StyleTransferResult:
    """The article's loop: step, keep the best image, update with Adam, clip, record."""
    best_loss, best_processed = float("inf"), image.numpy()
    history = History()
    t0 = time.perf_counter()
    for i in range(num_iterations):
        grads, (loss, style_score, content_score) = step(model, image.value(), targets.gram_style_features,
                                                         targets.content_features, loss_weights)
        loss = float(loss)  # waits for the step to finish, so the timing below is honest
        if loss < best_loss:
            # The loss belongs to the image before this update: keep that image.
            best_loss, best_processed = loss, image.numpy()
        optimizer.apply_gradients([(grads, image)])
        image.assign(tf.clip_by_value(image, _MIN_VALS, _MAX_VALS))
        elapsed = time.perf_counter() - t0
        history.record(i, loss, float(style_score), float(content_score), elapsed)
        if callback is not None:
            paused = time.perf_counter()
            callback(StepInfo(iteration=i, num_iterations=num_iterations, total_loss=loss,
                              style_loss=float(style_score), content_loss=float(content_score),
                              elapsed=elapsed, best_loss=best_loss, processed_image=image))
            t0 += time.perf_counter() - paused  # drawing progress is off the clock
    return StyleTransferResult(deprocess_img(best_processed), best_loss, history)


def run_style_transfer(content_path: ImageSource, style_path: ImageSource, num_iterations: int | None = None,
                       content_weight: float = CONTENT_WEIGHT, style_weight: float = STYLE_WEIGHT, *,
                       max_dim: int | None = None, model: tf.keras.Model | None = None, compiled: bool = True,
                       callback: Callable[[StepInfo], None] | None = None, init: str = "content",
                       seed: int | None = None, weights: VGG19Weights | str | os.PathLike | None = "auto",
                       learning_rate: float = LEARNING_RATE, beta_1: float = BETA_1,
                       epsilon: float = EPSILON) -> StyleTransferResult:
    """Runs Gatys et al.'s optimisation with the article's recipe.

    Args:
        content_path: Content image (path, URL or RGB array).
        style_path: Style image (path, URL or RGB array).
        num_iterations: Optimisation steps; by default the active run profile's.
        content_weight: Weight of the content loss.
        style_weight: Weight of the style loss.
        max_dim: Longest side of both images when loading them; by default the profile's.
        model: A model from ``get_model``; built with ``weights`` when ``None``.
        compiled: Compile the loss and gradient with ``tf.function`` (faster); ``False`` runs
            them eagerly, line by line, as the article does.
        callback: Called with a ``StepInfo`` after every iteration, e.g. to show progress.
        init: ``"content"`` starts from the content image (the article); ``"noise"`` from
            uniform noise in the pixel range (the paper).
        seed: Seeds TensorFlow, NumPy and Python for a repeatable run.
        weights: Passed to ``get_model`` when ``model`` is ``None``.
        learning_rate: Adam's learning rate.
        beta_1: Adam's first-moment decay.
        epsilon: Adam's epsilon.

    Returns:
        ``StyleTransferResult(best_img, best_loss, history)``: the uint8 RGB image with the
        lowest total loss seen, that loss, and the per-iteration ``History``.

    Raises:
        ValueError: An argument is out of range, or an image is too small for VGG19.
    """
    # Every argument is checked before any image is read or any model is built.
    profile = get_profile()
    num_iterations = _positive_int("num_iterations", profile.iterations if num_iterations is None else num_iterations)
    content_weight = _non_negative_float("content_weight", content_weight)
    style_weight = _non_negative_float("style_weight", style_weight)
    for name, value in (("learning_rate", learning_rate), ("epsilon", epsilon)):
        if _non_negative_float(name, value) == 0:
            raise ValueError(f"{name} must be greater than 0; got {value!r}")
    if not 0 <= _non_negative_float("beta_1", beta_1) < 1:
        raise ValueError(f"beta_1 must be in [0, 1); got {beta_1!r}")
    if init not in ("content", "noise"):
        raise ValueError(f"init must be 'content' or 'noise'; got {init!r}")
    max_dim = profile.max_dim if max_dim is None else max_dim
    check_max_dim(max_dim)

    content_image = as_batch(content_path, max_dim)
    style_image = as_batch(style_path, max_dim)
    for name, img in (("content", content_image), ("style", style_image)):
        if min(img.shape[1:3]) < MIN_IMAGE_SIDE:
            raise ValueError(f"the {name} image is {img.shape[2]}x{img.shape[1]} px; each side must be at least "
                             f"{MIN_IMAGE_SIDE} px for VGG19's deepest layers (raise max_dim)")
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    if model is None:
        model = get_model(weights=weights)

    processed_content = load_and_process_img(content_image)
    targets = compute_targets(model, processed_content, load_and_process_img(style_image))
    if init == "noise":
        start = load_and_process_img(np.random.uniform(0, 255, size=content_image.shape))
    else:
        start = processed_content
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, epsilon=epsilon)
    loss_weights = (tf.constant(style_weight, tf.float32), tf.constant(content_weight, tf.float32))
    step = _compiled_loss_and_grads if compiled else _loss_and_grads
    return _adam_loop(step, model, tf.Variable(start, dtype=tf.float32), targets, loss_weights, num_iterations,
                      optimizer, callback)
