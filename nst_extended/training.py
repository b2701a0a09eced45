"""Training a fast network on one style: the series' loss on batches of photos, Adam, checkpoints that resume, and a record of it all.

Johnson et al. (2016) train their network with the loss Gatys et al. optimise, and so does this
module: the lesson's ``get_content_loss``, ``get_style_loss`` (Gram matrices) and
``total_variation_loss``, computed by the series' VGG19 at the article's layers and weights, but
on the network's paintings of a batch of photos instead of on one image. Adam then changes the
network's weights, not the pixels.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import numpy as np
import tensorflow as tf

import nst_helpers as nst
from nst_extended.loss import LossWeights
from nst_extended.precision import resolve_precision
from nst_extended.training_checkpoints import read_state, restore_checkpoint, save_checkpoint
from nst_extended.training_data import TRAINING_PHOTOS, Augment, load_photos, photo_digest, training_batch
from nst_extended.transform_net import NetSpec, build_transform_net
from nst_plumbing.checks import non_negative_float, positive_float, positive_int
from nst_plumbing.config import CONTENT_WEIGHT, STYLE_LAYERS, STYLE_WEIGHT
from nst_plumbing.images import ImageSource, as_batch

__all__ = ["FAST_CONTENT_WEIGHT", "TrainingSettings", "TrainingProgress", "Training", "style_grams", "batch_losses", "photo_content_features", "make_train_step",
           "train"]

RECORD_EVERY = 25  # the record's loss curve: the mean of every 25 steps
# The content weight a network trains with: 50 times the article's. Optimisation keeps the photo
# because it starts from it; a network starts from random weights, and with the article's weight
# it learns to cover every photo with the style and keep little of it (measured in notebook 09's
# issue: the crab's outline gone at the article's weight, clear at 50 times it, 600 steps each).
FAST_CONTENT_WEIGHT = 50 * CONTENT_WEIGHT


@dataclass(frozen=True)
class TrainingSettings:
    """How a fast network is trained: everything that decides its weights, and how long.

    Attributes:
        steps: Adam steps in all (a resumed training goes on to this many).
        batch: Photos per step.
        learning_rate: Adam's learning rate (Johnson et al.: 1e-3).
        content_weight: Weight of the content loss: ``FAST_CONTENT_WEIGHT``, 50 times the article's.
        style_weight: Weight of the style loss (the article's).
        tv_weight: Weight of the total-variation loss (notebooks 07 and 08's).
        style_side: The style image's longest side when its Gram matrices are computed: the size
            the network is judged at.
        precision: VGG19's precision: ``"auto"`` (bfloat16 where the CPU or GPU has it),
            ``"float32"`` or ``"bfloat16"``.
        seed: Seeds the network's first weights and every batch.
        checkpoint_every: Steps between checkpoints.
        net: The network's architecture.
        augment: How the training crops are drawn.
    """

    steps: int = 2500
    batch: int = 2
    learning_rate: float = 1e-3
    content_weight: float = FAST_CONTENT_WEIGHT
    style_weight: float = STYLE_WEIGHT
    tv_weight: float = 1e4
    style_side: int = 256
    precision: str = "auto"
    seed: int = 0
    checkpoint_every: int = 100
    net: NetSpec = field(default_factory=lambda: NetSpec(width=16))
    augment: Augment = field(default_factory=Augment)

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "style_side", "checkpoint_every"):
            positive_int(name, getattr(self, name))
        positive_float("learning_rate", self.learning_rate)
        for name in ("content_weight", "style_weight", "tv_weight"):
            non_negative_float(name, getattr(self, name))
        resolve_precision(self.precision)  # an unknown precision fails here
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number of at least 0; got {self.seed!r}")

    def to_record(self) -> dict:
        """The settings as JSON-ready values."""
        record = dataclasses.asdict(self)
        record["augment"]["scale_range"] = list(self.augment.scale_range)
        return record

    def what_decides_the_weights(self) -> dict:
        """``to_record`` without how long and how often to save: what a resumed training must share."""
        return {name: value for name, value in self.to_record().items() if name not in ("steps", "checkpoint_every")}


class TrainingProgress(NamedTuple):
    """What a progress callback receives after each step.

    Attributes:
        step: Steps done so far (1 after the first).
        steps: Steps in all.
        losses: ``(total, style, content, total_variation)`` of this step's batch, each weighted.
        seconds: Training time so far, over every session.
        seconds_left: The time the remaining steps will take at this session's pace.
    """

    step: int
    steps: int
    losses: tuple[float, float, float, float]
    seconds: float
    seconds_left: float


class Training(NamedTuple):
    """A finished training: the network and its record (settings, machine, time and loss curve)."""

    net: object
    record: dict


def style_grams(model: tf.keras.Model, style_image: ImageSource, side: int) -> list[tf.Tensor]:
    """The style image's Gram matrices at each style layer, the style seen at ``side`` pixels."""
    style_features, _ = nst.split_features(model, nst.load_and_process_img(style_image, side), len(STYLE_LAYERS))
    return [nst.gram_matrix(feature) for feature in style_features]


def batch_losses(model: tf.keras.Model, painted: tf.Tensor, photo_content: Sequence[tf.Tensor],
                 grams: Sequence[tf.Tensor], weights: LossWeights) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """The series' loss of the network's paintings of a batch, averaged over the batch.

    Each painting is compared with the style's Gram matrices and with its own photo's content,
    exactly as ``nst_helpers.compute_loss`` compares one image, plus total variation.

    Args:
        model: A model from ``get_model``.
        painted: The network's paintings, ``(batch, height, width, 3)`` RGB 0..255.
        photo_content: The photos' activations at each content layer (``photo_content_features``).
        grams: The style's Gram matrix at each style layer.
        weights: The terms' weights.

    Returns:
        ``(total, style_score, content_score, tv_score)``, each weighted.
    """
    batch, num_style = int(painted.shape[0]), len(grams)
    outputs = model(tf.keras.applications.vgg19.preprocess_input(painted))
    style = tf.add_n([nst.get_style_loss(output[index], gram) for output, gram in zip(outputs[:num_style], grams)
                      for index in range(batch)]) / float(num_style * batch)
    content = tf.add_n([nst.get_content_loss(output, target) for output, target
                        in zip(outputs[num_style:], photo_content)]) / float(len(photo_content))
    tv = nst.total_variation_loss(painted) / float(batch)  # the lesson's TV sums over the batch
    style, content, tv = weights.style * style, weights.content * content, weights.total_variation * tv
    return style + content + tv, style, content, tv


def photo_content_features(model: tf.keras.Model, photos: tf.Tensor) -> list[tf.Tensor]:
    """The photos' activations at the content layers: the content each painting must keep."""
    return model(tf.keras.applications.vgg19.preprocess_input(photos))[len(STYLE_LAYERS):]


def make_train_step(net, model: tf.keras.Model, optimizer, grams: Sequence[tf.Tensor], weights: LossWeights,
                    ) -> Callable[[np.ndarray], tuple[tf.Tensor, ...]]:
    """One compiled training step: paint a batch, take the loss's gradient in the network's weights, apply Adam."""

    @tf.function
    def step(photos):
        photo_content = photo_content_features(model, photos)  # outside the tape: no gradient flows there
        with tf.GradientTape() as tape:
            painted = net(photos, training=True)
            losses = batch_losses(model, painted, photo_content, grams, weights)
        gradients = tape.gradient(losses[0], net.trainable_weights)
        optimizer.apply_gradients(zip(gradients, net.trainable_weights))
        return losses

    return step


def _resume(checkpoint_dir: Path | None, settings: TrainingSettings, fingerprint: dict, net, optimizer) -> dict:
    """The state to go on from: a checkpoint's, restored into ``net`` and ``optimizer``, or a new one."""
    state = read_state(checkpoint_dir) if checkpoint_dir is not None else None
    if state is None:
        return {"step": 0, "fingerprint": fingerprint, "curve": [], "sessions": []}
    if state.get("fingerprint") != fingerprint:
        theirs = state.get("fingerprint", {})
        differing = sorted(key for key in {*theirs, *fingerprint} if theirs.get(key) != fingerprint.get(key))
        raise ValueError(f"{checkpoint_dir} holds a training with other {', '.join(differing)}; resume it with "
                         "the same style, photos and settings, or give another checkpoint folder")
    restore_checkpoint(checkpoint_dir, net, optimizer, state["step"])
    return state


def _record(state: dict, settings: TrainingSettings, style_name: str, photo_names: list[str], precision: str) -> dict:
    """What the training did: settings, sessions (machine and time), and the loss curve in means of 25 steps."""
    curve = np.asarray(state["curve"], dtype=np.float64).reshape(-1, 4)
    ends = list(range(RECORD_EVERY, len(curve) + 1, RECORD_EVERY))
    means = [curve[end - RECORD_EVERY:end].mean(axis=0) for end in ends]
    return {"kind": "fast-style-training", "style": style_name, "photos": photo_names, "steps": state["step"],
            "batch": settings.batch, "crop": settings.augment.crop, "precision": precision,
            "seconds": round(sum(session["seconds"] for session in state["sessions"]), 1),
            "sessions": state["sessions"], "settings": settings.to_record(),
            "curve": {"every": RECORD_EVERY, "step": ends,
                      **{name: [float(f"{mean[index]:.5g}") for mean in means]
                         for index, name in enumerate(("total", "style", "content", "total_variation"))}}}


def train(style_image: ImageSource, settings: TrainingSettings = TrainingSettings(), *,
          photos: Sequence[str | Path] = TRAINING_PHOTOS, checkpoint_dir: str | Path | None = None,
          progress: Callable[[TrainingProgress], None] | None = None, model: tf.keras.Model | None = None,
          style_name: str | None = None) -> Training:
    """Trains a network to paint photos in the style of ``style_image``, resuming from a checkpoint if there is one.

    Args:
        style_image: The style (path, URL or RGB array).
        settings: How to train.
        photos: The training photos (relative paths are in ``media/``).
        checkpoint_dir: Where checkpoints go and are resumed from; ``None`` keeps none.
        progress: Called after every step.
        model: A VGG19 model from ``get_model`` in the settings' precision; built when ``None``.
        style_name: How the record names the style (default: the file's name).

    Returns:
        A ``Training``: the network and its record.

    Raises:
        ValueError: The checkpoint holds another training, or cannot be restored.
    """
    precision = resolve_precision(settings.precision)  # the batch is large enough for bfloat16 to pay
    model = model or nst.get_model(verbose=False, precision=precision)
    pictures = load_photos(photos)
    style = as_batch(style_image, settings.style_side)  # read once: for the targets and the fingerprint
    grams = style_grams(model, style, settings.style_side)
    style_name = style_name or (Path(style_image).name if not isinstance(style_image, np.ndarray) else "array")
    fingerprint = {"settings": settings.what_decides_the_weights(), "photos": photo_digest(pictures),
                   "style": photo_digest([style[0].astype(np.uint8)])}
    tf.keras.utils.set_random_seed(settings.seed)
    net = build_transform_net(settings.net)
    optimizer = tf.keras.optimizers.Adam(settings.learning_rate)
    checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    state = _resume(checkpoint_dir, settings, fingerprint, net, optimizer)
    step = make_train_step(net, model, optimizer, grams, LossWeights.of(
        settings.style_weight, settings.content_weight, settings.tv_weight))
    if state["step"] >= settings.steps:  # trained already: nothing to add, not even an empty session
        return Training(net, _record(state, settings, style_name, [str(p) for p in photos], precision))
    first, start, earlier = state["step"], time.perf_counter(), sum(s["seconds"] for s in state["sessions"])
    session = {"from_step": first, "to_step": first, "seconds": 0.0, "machine": _machine()}
    state["sessions"].append(session)

    def checkpoint() -> None:
        session["to_step"], session["seconds"] = state["step"], round(time.perf_counter() - start, 1)
        if checkpoint_dir is not None:
            save_checkpoint(checkpoint_dir, net, optimizer, state)

    try:
        while state["step"] < settings.steps:
            batch = training_batch(pictures, state["step"], settings.batch, settings.augment, settings.seed)
            losses = tuple(float(value) for value in step(tf.constant(batch)))
            state["curve"].append(losses)
            state["step"] += 1
            if state["step"] % settings.checkpoint_every == 0:
                checkpoint()
            if state["step"] == first + 1:
                traced = time.perf_counter()  # the first step also compiles: the pace is taken after it
            if progress is not None:
                now, done = time.perf_counter(), state["step"] - first - 1
                pace = (now - traced) / done if done else now - start
                progress(TrainingProgress(state["step"], settings.steps, losses, earlier + now - start,
                                          pace * (settings.steps - state["step"])))
    finally:  # an interruption (Ctrl+C) keeps what was trained
        checkpoint()
    return Training(net, _record(state, settings, style_name, [str(p) for p in photos], precision))


def _machine() -> str:
    """The CPU (or GPU) a session trained on, named for the record."""
    from nst_plumbing.device import cpu_description, gpu_details

    gpu = gpu_details()
    return f"GPU {gpu.get('device_name', '?')}" if gpu else cpu_description()
