"""The fast network's training batches: random crops, scales, flips and colour changes of a few photos, repeatable from a seed.

Eight public-domain and CC0 photos (``media/CREDITS.md``) are all the series has, so each batch
shows them in a new way: a random photo, seen at a random size around the size the network will
be judged at, a random square of it, mirrored half the time, and its brightness, contrast and
saturation nudged. Batch ``k`` of a seed is always the same batch, so a resumed training sees
exactly what an uninterrupted one would. Two photos, the crab and the castle, are kept out of
training: the network is judged on them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from nst_plumbing.checks import positive_int
from nst_plumbing.config import MEDIA_DIR
from nst_plumbing.images import read_image

__all__ = ["TRAINING_PHOTOS", "HELD_OUT_PHOTOS", "Augment", "load_photos", "photo_digest", "training_batch"]

# Paths relative to media/. The crab and the castle are the series' own photos: never trained on.
TRAINING_PHOTOS = ("machu_picchu.jpg", "cincinnati_bridge.jpg", "chelsea.jpg", "training/astronaut.jpg",
                   "training/coffee.jpg", "training/rocket.jpg", "training/grace_hopper.jpg", "training/camera.jpg")
HELD_OUT_PHOTOS = ("crab.jpg", "neuschwanstein.jpg")


@dataclass(frozen=True)
class Augment:
    """How each training crop is drawn.

    Attributes:
        crop: Side of the square crops, in pixels.
        photo_side: The longest side a photo is seen at before cropping, on average: the size the
            network is judged at, so that its brush strokes come out at that scale.
        scale_range: The photo's side is ``photo_side`` times a factor drawn from this range.
        flip: Mirror half of the crops left to right.
        jitter: Brightness, contrast and saturation are each multiplied by a factor drawn from
            ``[1 - jitter, 1 + jitter]``; 0 leaves the colours alone.
    """

    crop: int = 192
    photo_side: int = 256
    scale_range: tuple[float, float] = (0.7, 1.4)
    flip: bool = True
    jitter: float = 0.15

    def __post_init__(self) -> None:
        positive_int("crop", self.crop)
        positive_int("photo_side", self.photo_side)
        low, high = self.scale_range
        if not 0 < low <= high:
            raise ValueError(f"scale_range must be (low, high) with 0 < low <= high, got {self.scale_range}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be at least 0 and below 1, got {self.jitter}")


def load_photos(paths: Sequence[str | Path] = TRAINING_PHOTOS, max_dim: int = 512) -> list[np.ndarray]:
    """The training photos as uint8 RGB arrays, longest side at most ``max_dim``.

    Args:
        paths: Image files; relative paths are inside ``media/``.
        max_dim: Largest side kept: crops are drawn at about half of it, so more is wasted work.

    Raises:
        ValueError: No paths, or a file is not a readable image (the message names it).
    """
    if not paths:
        raise ValueError("load_photos needs at least one photo")
    return [read_image(path if Path(path).is_absolute() else MEDIA_DIR / path, max_dim)[0].astype(np.uint8)
            for path in paths]


def photo_digest(photos: Sequence[np.ndarray]) -> str:
    """A short SHA-256 of the photos' pixels: a checkpoint resumes only with the same photos."""
    digest = hashlib.sha256()
    for photo in photos:
        digest.update(str(photo.shape).encode())
        digest.update(np.ascontiguousarray(photo).tobytes())
    return digest.hexdigest()[:16]


def _jitter_colours(crop: np.ndarray, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """Brightness, contrast and saturation each scaled by a factor near 1."""
    brightness, contrast, saturation = rng.uniform(1 - jitter, 1 + jitter, 3)
    grey = crop @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601 luma, as PIL's "L"
    crop = grey[..., None] + saturation * (crop - grey[..., None])
    crop = grey.mean() + contrast * (crop - grey.mean())
    return np.clip(brightness * crop, 0, 255)


def _one_crop(photo: np.ndarray, rng: np.random.Generator, augment: Augment) -> np.ndarray:
    """One random square of one photo, at a random scale, perhaps mirrored, colours nudged."""
    height, width = photo.shape[:2]
    side = augment.photo_side * rng.uniform(*augment.scale_range)
    factor = max(side / max(height, width), augment.crop / min(height, width))  # the crop must fit
    size = (max(augment.crop, round(width * factor)), max(augment.crop, round(height * factor)))
    scaled = np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.BILINEAR), np.float32)
    top = rng.integers(0, size[1] - augment.crop + 1)
    left = rng.integers(0, size[0] - augment.crop + 1)
    crop = scaled[top:top + augment.crop, left:left + augment.crop]
    if augment.flip and rng.random() < 0.5:
        crop = crop[:, ::-1]
    return _jitter_colours(crop, rng, augment.jitter) if augment.jitter else crop


def training_batch(photos: Sequence[np.ndarray], step: int, batch: int, augment: Augment, seed: int) -> np.ndarray:
    """Batch number ``step`` of the training under ``seed``: the same arrays every time it is asked for.

    Args:
        photos: From ``load_photos``.
        step: Which batch, from 0.
        batch: Crops in the batch.
        augment: How the crops are drawn.
        seed: The training's seed.

    Returns:
        ``(batch, crop, crop, 3)`` float32 RGB values 0 to 255.
    """
    positive_int("batch", batch)
    rng = np.random.default_rng([seed, step])  # a stream of its own per step: resuming needs no saved state
    return np.stack([_one_crop(photos[rng.integers(len(photos))], rng, augment) for _ in range(batch)]).astype(np.float32)
