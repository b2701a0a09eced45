"""Painting with a trained network in one pass, and judging its result by the series' loss against optimisation's.

A network from ``tools/train_fast.py`` paints any photo in the one style it was trained on. To
compare it honestly with optimisation, its painting is scored by the very loss the optimisation
lowers (``nst_extended.loss.total_loss``: the article's content and style terms and total
variation, by a float32 VGG19, the targets computed from the same photo and style at the same
size), and ``evaluations_to_reach`` counts the L-BFGS evaluations that optimisation from the
photo needs to do as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
import tensorflow as tf

import nst_helpers as nst
from nst_extended.loss import LossWeights, total_loss
from nst_extended.net_files import WEIGHTS_SUFFIX, load_transform_net
from nst_extended.targets import compute_targets
from nst_plumbing.config import CONTENT_WEIGHT, MEDIA_DIR, STYLE_WEIGHT
from nst_plumbing.device import get_profile
from nst_plumbing.images import ImageSource, as_batch

__all__ = ["NETWORKS_DIR", "COMMITTED_NETWORKS", "network_path", "load_network", "paint_with", "SeriesLosses",
           "series_losses", "evaluations_to_reach"]

NETWORKS_DIR = MEDIA_DIR / "networks"
COMMITTED_NETWORKS = ("great_wave", "starry_night")  # trained by tools/train_fast.py; each NAME.weights.h5 + NAME.json
JUDGING_TV_WEIGHT = 1e4  # the networks were trained with notebooks 07 and 08's weight, so they are judged with it


def network_path(name_or_path: str | Path) -> Path:
    """The weights file of a committed network's name (``"great_wave"``), or the path given.

    Raises:
        ValueError: Neither a committed network's name nor a ``NAME.weights.h5`` path.
    """
    text = str(name_or_path)
    if text in COMMITTED_NETWORKS:
        return NETWORKS_DIR / f"{text}{WEIGHTS_SUFFIX}"
    if not text.endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"{text!r} is not a network: give NAME{WEIGHTS_SUFFIX} (a file tools/train_fast.py "
                         f"wrote, beside its NAME.json) or one of {', '.join(COMMITTED_NETWORKS)}")
    return Path(text)


def load_network(name_or_path: str | Path) -> tuple[object, dict]:
    """``load_transform_net`` of ``network_path(name_or_path)``: the network and what it was trained for.

    Raises:
        FileNotFoundError: The weights file or its description is missing.
        ValueError: Not a network file, or one that does not fit its description.
    """
    path = network_path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"network not found: {path}")
    return load_transform_net(path)


def paint_with(net, image: ImageSource, max_dim: int | None = None) -> np.ndarray:
    """The network's painting of one photo, in one forward pass.

    Args:
        net: A network from ``load_network`` or ``train``.
        image: The photo: path, URL or RGB array (0..255, ``(height, width, 3)`` or a batch of one).
        max_dim: Longest side when loading from a path or URL; by default the profile's. Arrays
            keep their size.

    Returns:
        uint8 RGB ``(height, width, 3)`` at the photo's size.
    """
    batch = as_batch(image, get_profile().max_dim if max_dim is None else max_dim)
    return np.clip(np.rint(np.asarray(net(tf.constant(batch), training=False))[0]), 0, 255).astype(np.uint8)


class SeriesLosses(NamedTuple):
    """An image's loss as the series scores it, each term weighted."""

    total: float
    style: float
    content: float
    total_variation: float


def series_losses(model: tf.keras.Model, photo: np.ndarray, style: np.ndarray, image: np.ndarray,
                  tv_weight: float = JUDGING_TV_WEIGHT) -> SeriesLosses:
    """The loss an optimisation from ``photo`` lowers, for ``image`` (a network's painting, or optimisation's).

    Args:
        model: A float32 model from ``get_model``.
        photo: The content photo, RGB, ``(height, width, 3)`` or a batch of one.
        style: The style image, RGB, already at the size the comparison uses.
        image: The painting to score, RGB at the photo's size.
        tv_weight: Weight of total variation (the article's content and style weights are used).

    Raises:
        ValueError: ``image`` and ``photo`` differ in size.
    """
    if np.shape(image)[-3:-1] != np.shape(photo)[-3:-1]:
        raise ValueError(f"the painting is {np.shape(image)[-3:-1]} but the photo {np.shape(photo)[-3:-1]}; "
                         "score a painting at its photo's size")
    processed = nst.load_and_process_img  # arrays keep their size
    targets = compute_targets(model, processed(photo), processed(style))
    _, terms = total_loss(model, tf.constant(processed(image)), LossWeights.of(STYLE_WEIGHT, CONTENT_WEIGHT, tv_weight),
                          targets)
    total, style_score, content_score, tv_score = (float(term) for term in terms)
    return SeriesLosses(total, style_score, content_score, tv_score)


def evaluations_to_reach(totals: Sequence[float], target: float) -> int | None:
    """How many evaluations an optimisation took before its loss was ``target`` or lower.

    Args:
        totals: The total loss of each evaluation, in order (``History.total_loss``).
        target: The loss to reach.

    Returns:
        The count, from 1; ``None`` if no evaluation reached it.
    """
    for count, loss in enumerate(totals, start=1):
        if loss <= target:
            return count
    return None
