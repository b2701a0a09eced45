"""Helpers for the Neural Style Transfer notebook series.

The functions keep the names of Raymond Yuan's article "Neural Style Transfer: Creating Art
with Deep Learning using tf.keras and eager execution", so each notebook cell maps onto the
blog post, and implement Gatys et al., "A Neural Algorithm of Artistic Style" (arXiv
1508.06576) for current TensorFlow 2 and Keras 3. Each notebook writes a function out where it
teaches it, checks it against the version here, and later notebooks import it from here.

Sections: run profiles; images; the model; the losses; the optimisation loop; plotting.
Importing this module has no side effects. ``python -m nst_helpers CONTENT STYLE -o OUT.png``
runs a style transfer from the command line (see ``nst_cli.py``).
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # command line: keep TensorFlow's start-up log out of the CLI's output
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import io
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple, Sequence, Union

import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps, UnidentifiedImageError

from nst_weights import VGG19_CONV_LAYERS, WeightsUnavailableError, load_vgg19

__all__ = [
    "CONTENT_LAYERS", "STYLE_LAYERS", "MEDIA_DIR", "VGG_MEAN_BGR", "PROFILES", "Profile", "get_profile",
    "load_img", "load_and_process_img", "deprocess_img", "load_vgg19", "get_model",
    "get_content_loss", "gram_matrix", "get_style_loss", "get_feature_representations",
    "compute_loss", "compute_grads", "run_style_transfer", "StyleTransferResult", "History",
    "StepInfo", "contact_sheet", "imshow", "show_results", "plot_history", "device_name", "WeightsUnavailableError",
]

# The article's recipe.
CONTENT_LAYERS = ["block5_conv2"]
STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
CONTENT_WEIGHT = 1e3
STYLE_WEIGHT = 1e-2
LEARNING_RATE = 5.0
BETA_1 = 0.99
EPSILON = 0.1

# ImageNet channel means that VGG19 was trained with, in its BGR channel order.
VGG_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

# The images that come with the series.
MEDIA_DIR = Path(__file__).resolve().parent / "media"

# VGG19 pools four times before block5, so smaller images have no block5 features.
MIN_IMAGE_SIDE = 16

ImageSource = Union[str, os.PathLike, np.ndarray]


# ---------------------------------------------------------------------------
# Run profiles
# ---------------------------------------------------------------------------

PROFILE_ENV_VAR = "NST_PROFILE"


@dataclass(frozen=True)
class Profile:
    """Image size and iteration counts for one kind of run; the one place they are set.

    Attributes:
        name: ``"test"``, ``"cpu"`` or ``"gpu"``.
        max_dim: Longest image side in pixels.
        iterations: Iterations of the main style transfer (notebook 05, the CLI).
        timing_iterations: Iterations used to time eager against compiled steps.
        gallery_iterations: Iterations per pair in the gallery (notebook 06).
        description: What the profile is for.
    """

    name: str
    max_dim: int
    iterations: int
    timing_iterations: int
    gallery_iterations: int
    description: str

    def __str__(self) -> str:
        return (f"profile '{self.name}': {self.max_dim} px, {self.iterations} iterations "
                f"({self.description})")


PROFILES = {
    "test": Profile("test", max_dim=64, iterations=10, timing_iterations=3, gallery_iterations=5,
                    description="tiny and fast, for the automated tests"),
    "cpu": Profile("cpu", max_dim=256, iterations=400, timing_iterations=10, gallery_iterations=200,
                   description="a clearly stylised result in minutes on a laptop CPU"),
    "gpu": Profile("gpu", max_dim=512, iterations=1000, timing_iterations=50, gallery_iterations=1000,
                   description="the article's full-size run"),
}


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
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown run profile {name!r} (from ${PROFILE_ENV_VAR} or the argument); "
                         f"expected one of {', '.join(PROFILES)}") from None


def device_name() -> str:
    """Names the device TensorFlow computes on, e.g. ``'GPU: NVIDIA H100'`` or ``'CPU (2 cores)'``."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)}"
    return f"CPU ({os.cpu_count()} cores)"


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

def _is_url(source: str) -> bool:
    return urllib.parse.urlparse(source).scheme in ("http", "https")


def _open_image(source: str | os.PathLike) -> Image.Image:
    """Opens a path or URL as a fully decoded PIL image, with errors that name the source."""
    if isinstance(source, str) and _is_url(source):
        request = urllib.request.Request(source, headers={"User-Agent": "nst-helpers/1.0 (teaching notebooks)"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
        except OSError as exc:
            raise ConnectionError(f"could not download the image at {source}: {exc}") from exc
        stream, name = io.BytesIO(data), source
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"image file not found: {path}")
        if not path.is_file():
            raise ValueError(f"{path} is not a file (expected an image file such as a JPEG or PNG)")
        if path.stat().st_size == 0:
            raise ValueError(f"{path} is empty (0 bytes); expected an image file such as a JPEG or PNG")
        stream, name = path, str(path)
    try:
        img = Image.open(stream)
        img.load()  # decode now, so a truncated file fails here and not later
    except UnidentifiedImageError:
        raise ValueError(f"{name} is not an image file Pillow can read (expected e.g. JPEG or PNG)") from None
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"{name} could not be decoded, it may be truncated or corrupt: {exc}") from exc
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    """Converts any Pillow mode to 8-bit RGB; transparency is composited onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or values.max() > 255 else 255.0
        img = Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB")


def load_img(path_to_img: str | os.PathLike, max_dim: int | None = 512) -> np.ndarray:
    """Loads an image as a float32 batch of one, longest side ``max_dim`` pixels.

    Args:
        path_to_img: A file path or an ``http(s)://`` URL.
        max_dim: Longest side after resizing (the aspect ratio is kept; smaller images are
            scaled up, as in the article). ``None`` keeps the original size.

    Returns:
        Array of shape ``(1, height, width, 3)``, RGB values in ``[0, 255]``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, not an image, truncated, or ``max_dim`` is invalid.
        ConnectionError: A URL could not be downloaded.
    """
    if max_dim is not None and (not isinstance(max_dim, (int, np.integer)) or max_dim < MIN_IMAGE_SIDE):
        raise ValueError(f"max_dim must be an integer of at least {MIN_IMAGE_SIDE} pixels or None; got {max_dim!r}")
    img = _open_image(path_to_img)
    img = _to_rgb(ImageOps.exif_transpose(img))  # phones store portrait photos rotated
    if max_dim is not None:
        scale = max_dim / max(img.size)
        new_size = (max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale)))
        img = img.resize(new_size, Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float32)[np.newaxis]


def _image_batch(image: ImageSource, max_dim: int | None) -> np.ndarray:
    """Loads ``image`` if it is a path or URL; checks and batches it if it is an array."""
    if isinstance(image, (str, os.PathLike)):
        return load_img(image, max_dim)
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3:
        array = array[np.newaxis]
    if array.ndim != 4 or array.shape[0] != 1 or array.shape[-1] != 3:
        raise ValueError(f"expected an RGB image of shape (height, width, 3) or (1, height, width, 3); "
                         f"got shape {array.shape}")
    return array


def load_and_process_img(path_to_img: ImageSource, max_dim: int | None = 512) -> np.ndarray:
    """Loads an image and applies VGG19's preprocessing (RGB to BGR, ImageNet mean subtracted).

    Args:
        path_to_img: A path, a URL, or an RGB array in ``[0, 255]``.
        max_dim: Longest side when loading from a path or URL.

    Returns:
        float32 array of shape ``(1, height, width, 3)``, BGR, zero-centred per channel.
    """
    img = _image_batch(path_to_img, max_dim)
    return tf.keras.applications.vgg19.preprocess_input(img.copy())


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

def get_model(content_layers: Sequence[str] = tuple(CONTENT_LAYERS),
              style_layers: Sequence[str] = tuple(STYLE_LAYERS),
              weights: str | os.PathLike | None = "auto", verbose: bool = True) -> tf.keras.Model:
    """Builds a model that maps an image to VGG19's activations at the chosen layers.

    Args:
        content_layers: Layers whose activations represent content.
        style_layers: Layers whose Gram matrices represent style.
        weights: Passed to ``load_vgg19`` (``"auto"`` finds real ImageNet weights).
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
    model.nst_weights = vgg.nst_weights
    model.num_style_layers = len(style_layers)
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


def get_feature_representations(model: tf.keras.Model, content_path: ImageSource, style_path: ImageSource,
                                max_dim: int | None = 512, num_style_layers: int | None = None,
                                ) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
    """Computes the style and content targets once, before optimisation.

    Args:
        model: A model from ``get_model``.
        content_path: The content image (path, URL or RGB array).
        style_path: The style image (path, URL or RGB array).
        max_dim: Longest side when loading from a path or URL.
        num_style_layers: How many of the model's outputs are style layers; by default the
            number ``get_model`` recorded on the model.

    Returns:
        ``(style_features, content_features)``: lists of feature maps without the batch axis.
    """
    if num_style_layers is None:
        num_style_layers = getattr(model, "num_style_layers", len(STYLE_LAYERS))
    content_image = load_and_process_img(content_path, max_dim)
    style_image = load_and_process_img(style_path, max_dim)
    style_outputs = model(style_image)
    content_outputs = model(content_image)
    style_features = [style_layer[0] for style_layer in style_outputs[:num_style_layers]]
    content_features = [content_layer[0] for content_layer in content_outputs[num_style_layers:]]
    return style_features, content_features


def compute_loss(model: tf.keras.Model, loss_weights: tuple[float, float], init_image: tf.Variable,
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


def compute_grads(cfg: dict) -> tuple[tf.Tensor, tuple[tf.Tensor, tf.Tensor, tf.Tensor]]:
    """Gradient of the total loss with respect to the image.

    Args:
        cfg: The keyword arguments of ``compute_loss``.

    Returns:
        ``(gradient, (total_loss, style_score, content_score))``.
    """
    with tf.GradientTape() as tape:
        all_loss = compute_loss(**cfg)
    total_loss = all_loss[0]
    return tape.gradient(total_loss, cfg["init_image"]), all_loss


# ---------------------------------------------------------------------------
# The optimisation loop
# ---------------------------------------------------------------------------

@dataclass
class History:
    """Per-iteration record of a run. ``seconds[i]`` is the wall time from the start to the end
    of iteration ``iterations[i]``, with the result on the host (so GPU work is finished)."""

    iterations: list[int] = field(default_factory=list)
    total_loss: list[float] = field(default_factory=list)
    style_loss: list[float] = field(default_factory=list)
    content_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

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


@dataclass
class StepInfo:
    """What a ``run_style_transfer`` callback receives after each iteration.

    ``losses`` belong to the image as it was *before* this iteration's update; ``image()``
    returns the image *after* it, as uint8 RGB.
    """

    iteration: int
    num_iterations: int
    total_loss: float
    style_loss: float
    content_loss: float
    elapsed: float
    best_loss: float
    _variable: tf.Variable

    def image(self) -> np.ndarray:
        return deprocess_img(self._variable.numpy())


class StyleTransferResult(NamedTuple):
    """What ``run_style_transfer`` returns: ``best_img, best_loss, history = result``."""

    best_img: np.ndarray
    best_loss: float
    history: History


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _non_negative_float(name: str, value: float) -> float:
    if not isinstance(value, (int, float, np.floating, np.integer)) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def run_style_transfer(content_path: ImageSource, style_path: ImageSource, num_iterations: int = 1000,
                       content_weight: float = CONTENT_WEIGHT, style_weight: float = STYLE_WEIGHT, *,
                       max_dim: int | None = 512, learning_rate: float = LEARNING_RATE,
                       beta_1: float = BETA_1, epsilon: float = EPSILON, compiled: bool = True,
                       init: str = "content", seed: int | None = None,
                       callback: Callable[[StepInfo], None] | None = None,
                       model: tf.keras.Model | None = None,
                       weights: str | os.PathLike | None = "auto") -> StyleTransferResult:
    """Runs Gatys et al.'s optimisation with the article's recipe.

    Args:
        content_path: Content image (path, URL or RGB array).
        style_path: Style image (path, URL or RGB array).
        num_iterations: Optimisation steps.
        content_weight: Weight of the content loss.
        style_weight: Weight of the style loss.
        max_dim: Longest side of both images when loading them.
        learning_rate: Adam's learning rate.
        beta_1: Adam's first-moment decay.
        epsilon: Adam's epsilon.
        compiled: Compile the loss and gradient with ``tf.function`` (faster); ``False`` runs
            them eagerly, line by line, as the article does.
        init: ``"content"`` starts from the content image (the article); ``"noise"`` from
            uniform noise in the pixel range (the paper).
        seed: Seeds TensorFlow, NumPy and Python for a repeatable run.
        callback: Called with a ``StepInfo`` after every iteration, e.g. to show progress.
        model: A model from ``get_model``; built with ``weights`` when ``None``.
        weights: Passed to ``get_model`` when ``model`` is ``None``.

    Returns:
        ``StyleTransferResult(best_img, best_loss, history)``: the uint8 RGB image with the
        lowest total loss seen, that loss, and the per-iteration ``History``.

    Raises:
        ValueError: An argument is out of range.
    """
    num_iterations = _positive_int("num_iterations", num_iterations)
    content_weight = _non_negative_float("content_weight", content_weight)
    style_weight = _non_negative_float("style_weight", style_weight)
    if init not in ("content", "noise"):
        raise ValueError(f"init must be 'content' or 'noise'; got {init!r}")
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    if model is None:
        model = get_model(weights=weights)

    content_image = _image_batch(content_path, max_dim)
    style_image = _image_batch(style_path, max_dim)
    for name, img in (("content", content_image), ("style", style_image)):
        if min(img.shape[1:3]) < MIN_IMAGE_SIDE:
            raise ValueError(f"the {name} image is {img.shape[2]}x{img.shape[1]} px; each side must be at least "
                             f"{MIN_IMAGE_SIDE} px for VGG19's deepest layers (raise max_dim)")

    style_features, content_features = get_feature_representations(model, content_image, style_image)
    gram_style_features = [gram_matrix(style_feature) for style_feature in style_features]

    start = load_and_process_img(content_image)
    if init == "noise":
        start = tf.keras.applications.vgg19.preprocess_input(
            np.random.uniform(0, 255, size=content_image.shape).astype(np.float32))
    init_image = tf.Variable(start, dtype=tf.float32)
    opt = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, epsilon=epsilon)

    cfg = {
        "model": model,
        "loss_weights": (style_weight, content_weight),
        "init_image": init_image,
        "gram_style_features": gram_style_features,
        "content_features": content_features,
    }

    def grads_step():
        return compute_grads(cfg)

    grads_fn = tf.function(grads_step) if compiled else grads_step

    # Pixel values must stay those of a real image: 0..255 before preprocessing.
    min_vals = -VGG_MEAN_BGR
    max_vals = 255.0 - VGG_MEAN_BGR

    best_loss, best_processed = float("inf"), init_image.numpy()
    history = History()
    t0 = time.perf_counter()
    for i in range(num_iterations):
        grads, (loss, style_score, content_score) = grads_fn()
        loss = float(loss)  # waits for the step to finish, so the timing below is honest
        if loss < best_loss:
            # The loss belongs to the image before this update: keep that image.
            best_loss, best_processed = loss, init_image.numpy()
        opt.apply_gradients([(grads, init_image)])
        init_image.assign(tf.clip_by_value(init_image, min_vals, max_vals))
        elapsed = time.perf_counter() - t0
        history.iterations.append(i)
        history.total_loss.append(loss)
        history.style_loss.append(float(style_score))
        history.content_loss.append(float(content_score))
        history.seconds.append(elapsed)
        if callback is not None:
            callback(StepInfo(i, num_iterations, loss, float(style_score), float(content_score),
                              elapsed, best_loss, init_image))
    return StyleTransferResult(deprocess_img(best_processed), best_loss, history)


# ---------------------------------------------------------------------------
# Contact sheets (Pillow only, so the command line can make them without matplotlib)
# ---------------------------------------------------------------------------

def _thumbnail(image: np.ndarray | None, cell: int, label: str) -> Image.Image:
    """A ``cell``-pixel square tile: the image fitted, centred across and resting on the
    bottom edge, on white, with a label strip below."""
    from PIL import ImageDraw, ImageFont

    label_height = max(12, cell // 10)
    tile = Image.new("RGB", (cell, cell + label_height), "white")
    if image is not None:
        picture = Image.fromarray(np.clip(np.squeeze(np.asarray(image)), 0, 255).astype(np.uint8))
        scale = (cell - 4) / max(picture.size)  # fit the cell, scaling small results up too
        picture = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
                                 Image.Resampling.LANCZOS)
        # Bottom-aligned, so that the label sits right under the picture.
        tile.paste(picture, ((cell - picture.width) // 2, cell - 2 - picture.height))
    if label:
        draw = ImageDraw.Draw(tile)
        font = ImageFont.load_default(size=label_height - 2)
        text = label
        while len(text) > 2 and draw.textlength(text, font=font) > cell - 4:
            text = text[:-2] + "…"
        draw.text((cell // 2, cell + label_height // 2), text, fill="black", font=font, anchor="mm")
    return tile


def contact_sheet(contents: Sequence[tuple[str, np.ndarray]], styles: Sequence[tuple[str, np.ndarray]],
                  results: dict[tuple[int, int], np.ndarray], cell: int = 192) -> np.ndarray:
    """Lays out a content x style grid of results: styles along the top, contents down the left.

    Args:
        contents: ``(label, RGB image)`` for each row.
        styles: ``(label, RGB image)`` for each column.
        results: Result image for ``(row, column)``; a missing pair leaves its cell blank.
        cell: Size of each square cell in pixels.

    Returns:
        uint8 RGB array of the whole sheet.
    """
    if not contents or not styles:
        raise ValueError("a contact sheet needs at least one content and one style image")
    tiles = [[_thumbnail(None, cell, "content \\ style")] +
             [_thumbnail(image, cell, label) for label, image in styles]]
    for row, (label, image) in enumerate(contents):
        tiles.append([_thumbnail(image, cell, label)] +
                     [_thumbnail(results.get((row, column)), cell, "") for column in range(len(styles))])
    tile_w, tile_h = tiles[0][0].size
    sheet = Image.new("RGB", (tile_w * len(tiles[0]), tile_h * len(tiles)), "white")
    for r, row_tiles in enumerate(tiles):
        for c, tile in enumerate(row_tiles):
            sheet.paste(tile, (c * tile_w, r * tile_h))
    return np.asarray(sheet)


# ---------------------------------------------------------------------------
# Plotting (matplotlib is imported only when a plot is drawn)
# ---------------------------------------------------------------------------

def imshow(img: np.ndarray, title: str | None = None, ax=None):
    """Shows an RGB image (``(h, w, 3)`` or a batch of one) with an optional title."""
    import matplotlib.pyplot as plt

    out = np.squeeze(np.asarray(img), axis=0) if np.ndim(img) == 4 else np.asarray(img)
    ax = ax or plt.gca()
    ax.imshow(np.clip(out, 0, 255).astype("uint8"))
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def show_results(best_img: np.ndarray, content_path: ImageSource, style_path: ImageSource,
                 show_large_final: bool = True, max_dim: int | None = 512):
    """Shows the content and style images beside the result, as the article does.

    Returns:
        The matplotlib figure (the large final image gets a figure of its own).
    """
    import matplotlib.pyplot as plt

    content = _image_batch(content_path, max_dim)
    style = _image_batch(style_path, max_dim)
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    imshow(content, "Content image", axes[0])
    imshow(style, "Style image", axes[1])
    imshow(best_img, "Output image", axes[2])
    fig.tight_layout()
    if show_large_final:
        plt.figure(figsize=(10, 10))
        imshow(best_img, "Output image")
    return fig


def plot_history(history: History, ax=None):
    """Plots total, style and content loss per iteration on a log scale."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    ax.plot(history.iterations, history.total_loss, label="total")
    ax.plot(history.iterations, history.style_loss, label="style (weighted)")
    ax.plot(history.iterations, history.content_loss, label="content (weighted)")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


if __name__ == "__main__":
    from nst_cli import main

    raise SystemExit(main())
