"""Constants and run profiles: the one source of every value the series shares.

Below the lesson. Importing it imports neither TensorFlow nor Pillow, so the command line can
answer ``--help`` (and offer the profile names as choices) in a fraction of a second.

Holds the article's recipe, VGG19's ImageNet means, the repository's folders, the names of
the environment variables the series reads, and the run profiles that set image sizes and
iteration counts. VGG19's own shape is in ``nst_plumbing.vgg19``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "CONTENT_LAYERS", "STYLE_LAYERS", "CONTENT_WEIGHT", "STYLE_WEIGHT", "LEARNING_RATE", "BETA_1",
    "EPSILON", "OPTIMIZERS", "PRECISIONS", "PRESERVE_COLORS", "BFLOAT16_MIN_SIDE", "LBFGS_HISTORY", "VGG_MEAN_BGR", "REPO_ROOT", "MEDIA_DIR", "OUTPUTS_DIR", "MIN_IMAGE_SIDE",
    "PROFILE_ENV_VAR", "WEIGHTS_ENV_VAR", "CACHE_ENV_VAR", "Recipe", "Profile", "PROFILES", "PROFILE_NAMES",
    "profile_named", "quiet_tensorflow_logs", "MEMORY_CPU_OVERHEAD_BYTES", "MEMORY_GPU_OVERHEAD_BYTES",
    "MEMORY_ACTIVATION_FACTOR", "MEMORY_USABLE_FRACTION", "CLAIM_STALE_ENV_VAR", "CLAIM_STALE_SECONDS",
    "LOCK_STALE_SECONDS", "BATCH_POLL_SECONDS", "BATCH_RECORD", "CONTACT_SHEET",
]

# ---------------------------------------------------------------------------
# The article's recipe
# ---------------------------------------------------------------------------

CONTENT_LAYERS = ("block5_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_WEIGHT = 1e3
STYLE_WEIGHT = 1e-2
LEARNING_RATE = 5.0
BETA_1 = 0.99
EPSILON = 0.1

# Beyond the article (notebook 07): the optimisers and precisions the loop offers.
OPTIMIZERS = ("adam", "lbfgs")  # the article's Adam; SciPy's L-BFGS-B, which the paper recommends
PRECISIONS = ("auto", "float32", "bfloat16")  # "auto": bfloat16 only where the hardware makes it faster
# Notebook 08: how run_style_transfer can keep the photo's colours (Gatys et al. 2017). None: the
# style's colours, as in the article; "luminance": style only the brightness and keep the photo's
# colour; "histogram": recolour the style image to the photo's colour statistics first.
PRESERVE_COLORS = (None, "luminance", "histogram")
# "auto" keeps small images in float32: below 128 px bfloat16 was not reliably faster (at 64 px the
# measured float32/bfloat16 ratio ranged from 0.5 to 2.2 between runs; 2.0 at 128 px, 2.8 at 256 px).
BFLOAT16_MIN_SIDE = 128
# Correction pairs L-BFGS keeps (SciPy's maxcor). At 256 px, bfloat16, to the article's 1000-step
# Adam loss: 329 evaluations with 10, 300 with 20, 288 with 40 (but slower per evaluation).
LBFGS_HISTORY = 20

# ImageNet channel means that VGG19 was trained with, in its BGR channel order.
VGG_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
VGG_MEAN_BGR.flags.writeable = False  # shared by every module: nobody may change it in place

# VGG19 pools four times before block5, so smaller images have no block5 features.
MIN_IMAGE_SIDE = 16

# ---------------------------------------------------------------------------
# Memory: the estimate checked before a run (nst_plumbing.memory), calibrated with tools/memory_benchmark.py
# ---------------------------------------------------------------------------

# Whole-process peak RSS on CPU = overhead + factor x (bytes of one forward pass's activations),
# plus the image and the optimiser's state (nst_plumbing.memory). Fitted to the peaks measured by
# tools/memory_benchmark.py (Intel Xeon, 2 cores, TensorFlow 2.21, Adam, 3 compiled iterations,
# 128 to 1024 px, two runs; table in the README): the process holds about 760-780 MiB once
# TensorFlow is imported and the model built; the peak then grows by 1.5 to 1.8 times the
# activations (the same size measured up to 13% apart between runs on this shared machine).
# The values below cover the highest peaks seen: the estimate is 0 to 15% above the measured.
MEMORY_CPU_OVERHEAD_BYTES = 830 * 2**20
MEMORY_ACTIVATION_FACTOR = 1.8
# On a GPU: the weights, cuDNN's workspace and TensorFlow's context (not calibrated: no GPU was
# at hand when the estimate was measured; the activation factor is assumed to be the CPU's).
MEMORY_GPU_OVERHEAD_BYTES = 1024 * 2**20
# A run is refused when its estimate exceeds this fraction of the memory the device has.
MEMORY_USABLE_FRACTION = 0.9

# ---------------------------------------------------------------------------
# Several workers on one batch folder (nst_cli.batch)
# ---------------------------------------------------------------------------

# What a batch folder holds besides one PNG per pair.
BATCH_RECORD = "batch.json"
CONTACT_SHEET = "contact_sheet.png"

# A worker refreshes the claim on the pair it paints every quarter of this; a claim not refreshed
# for this long (its worker was killed, or its machine lost) is taken over by another worker.
CLAIM_STALE_ENV_VAR = "NST_CLAIM_STALE_SECONDS"
CLAIM_STALE_SECONDS = 120.0
# The batch record's lock is held for milliseconds; one older than this was left by a killed worker.
LOCK_STALE_SECONDS = 30.0
# How often a worker with nothing left to claim looks whether the others have finished.
BATCH_POLL_SECONDS = 1.0

# ---------------------------------------------------------------------------
# Folders and environment variables
# ---------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[1]
MEDIA_DIR = REPO_ROOT / "media"
OUTPUTS_DIR = REPO_ROOT / "outputs"  # results the notebooks write; ignored by git

PROFILE_ENV_VAR = "NST_PROFILE"
WEIGHTS_ENV_VAR = "NST_VGG19_WEIGHTS"
CACHE_ENV_VAR = "NST_CACHE_DIR"

# ---------------------------------------------------------------------------
# Run profiles
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How the command line paints in a profile: the best picture within the profile's time.

    Attributes:
        optimizer: ``"adam"`` or ``"lbfgs"``.
        scales: Image sizes from coarse to fine; the last is the result's size.
        iterations: Adam steps or L-BFGS evaluations at each scale, for one pair.
        gallery_iterations: The same for each pair of a batch.
        tv_weight: Weight of the total-variation loss (0 is the article).
    """

    optimizer: str
    scales: tuple[int, ...]
    iterations: tuple[int, ...]
    gallery_iterations: tuple[int, ...]
    tv_weight: float

    def __str__(self) -> str:
        steps = "steps" if self.optimizer == "adam" else "evaluations"
        levels = " then ".join(f"{n} {steps} at {s} px" for s, n in zip(self.scales, self.iterations))
        tv = f", total variation weight {self.tv_weight:g}" if self.tv_weight else ""
        return f"{'Adam' if self.optimizer == 'adam' else 'L-BFGS'}, {levels}{tv}"


@dataclass(frozen=True)
class Profile:
    """Image sizes and iteration counts for one kind of run; the one place they are set.

    Attributes:
        name: ``"test"``, ``"cpu"`` or ``"gpu"``.
        max_dim: Longest image side in pixels of the lessons' runs (notebooks 01 to 06).
        iterations: Iterations of the lessons' main style transfer (notebook 05).
        timing_iterations: Iterations used to time eager against compiled steps.
        gallery_iterations: Iterations per pair in the lessons' gallery (notebook 06).
        command_line: What the command line runs (``python -m nst_cli``).
        description: What the profile is for.
    """

    name: str
    max_dim: int
    iterations: int
    timing_iterations: int
    gallery_iterations: int
    command_line: Recipe
    description: str

    def __str__(self) -> str:
        return (f"profile '{self.name}': {self.max_dim} px, {self.iterations} iterations "
                f"({self.description})")


PROFILES = {
    "test": Profile("test", max_dim=64, iterations=10, timing_iterations=3, gallery_iterations=5,
                    command_line=Recipe("adam", (64,), (10,), (5,), 0.0),
                    description="tiny and fast, for the automated tests"),
    # The command line: L-BFGS at 384 px with total variation makes a larger, smoother picture in
    # about the time the article's Adam needed for 400 steps at 256 px on a 2-core CPU (L-BFGS
    # reaches Adam's result in about a third of the evaluations; notebook 07, tools/benchmark.py).
    # The TV weight, 4e3 at every size, is lighter than the 1e4 notebooks 07 and 08 use: it came from
    # scaling 07's 1e4 at 256 px by the pixels of 384 px. Total variation is a mean (07), so no size
    # needs its own weight; the committed gallery was made with 4e3, so it stays.
    "cpu": Profile("cpu", max_dim=256, iterations=400, timing_iterations=10, gallery_iterations=200,
                   command_line=Recipe("lbfgs", (384,), (200,), (120,), 4e3),
                   description="a clearly stylised result in minutes on a 2-core CPU"),
    "gpu": Profile("gpu", max_dim=512, iterations=1000, timing_iterations=50, gallery_iterations=1000,
                   command_line=Recipe("adam", (512,), (1000,), (1000,), 0.0),
                   description="the article's full-size run"),
}
PROFILE_NAMES = tuple(PROFILES)


def profile_named(name: str) -> Profile:
    """Returns the profile called ``name`` (case and surrounding spaces ignored).

    Raises:
        ValueError: The name is not a key of ``PROFILES``.
    """
    try:
        return PROFILES[name.strip().lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown run profile {name!r} (from ${PROFILE_ENV_VAR} or the argument); "
                         f"expected one of {', '.join(PROFILE_NAMES)}") from None


def quiet_tensorflow_logs() -> None:
    """Imports TensorFlow with its C++ start-up log (oneDNN, CUDA, absl lines) kept out of the output.

    Since TensorFlow 2.20 these lines are written straight to the process's standard error while
    TensorFlow is imported, whatever ``TF_CPP_MIN_LOG_LEVEL`` says. For a learner they are noise,
    so the import runs with file descriptor 2 pointed at ``os.devnull``; it is restored at once,
    and an import that fails still raises its exception. Later warnings and errors show as usual.
    Call it before anything imports TensorFlow; afterwards it only sets ``TF_CPP_MIN_LOG_LEVEL``
    (a value the user has set is kept).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            finally:
                os.dup2(saved_stderr, 2)
    finally:
        os.close(saved_stderr)
