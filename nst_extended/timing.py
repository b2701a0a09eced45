"""How long a run will take on this machine: evaluation times measured here, cached per machine, scaled to a plan.

Machines differ by ten times or more (a 2-core AMD EPYC in float32 against a Xeon with AMX in
bfloat16), and the machine can change from one run to the next, so no table of other machines'
figures can say how long a run will take. Instead the optimiser itself is timed here, for a few
evaluations at two small sizes, and the time per evaluation is scaled to the run's pixels:
a convolution's work grows with the number of pixels, plus a fixed cost per call.

The measurement takes a few seconds and is cached in the weights' cache folder, keyed by what
changes the speed: the CPU's model, family, feature flags and cores (or the GPU's name), the
oneDNN settings, and TensorFlow's and Keras's versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import tensorflow as tf

import nst_helpers as nst
from nst_extended.loss import LossWeights, compiled_loss_and_grads
from nst_extended.optimizers import Recorder, adam, lbfgs
from nst_extended.plan import Plan, plan_run
from nst_extended.settings import Settings
from nst_extended.precision import model_precision
from nst_extended.targets import compute_targets
from nst_plumbing.config import CONTENT_WEIGHT, STYLE_WEIGHT
from nst_plumbing.device import core_count, cpu_family_model, cpu_flags, cpu_model, device_name, gpu_details
from nst_plumbing.files import write_atomic
from nst_plumbing.images import ImageSource
from nst_plumbing.record import History
from nst_plumbing.weights import cache_dir

__all__ = ["CALIBRATION_SIZES", "CALIBRATION_EVALUATIONS", "StepTimes", "RunEstimate", "machine_key",
           "measure_step_times", "step_times", "estimate_evaluations", "estimate_plan", "estimate_run", "format_seconds"]

# The two sizes (width, height) timed, and the evaluations timed at each after the first (which
# traces the step and so is slower): the larger is close to the sizes a CPU paints (a 384 px photo
# has 83k pixels), because the cost per pixel grows a little with the image (caches): timed at
# 224x168 instead, the estimate at 384 px came out 30% short on a Xeon. On the slowest CPU seen
# (an AMD EPYC without bfloat16, 1.1 s per evaluation at 256x144 in float32) it takes about 15 s, once.
CALIBRATION_SIZES = ((128, 96), (288, 216))
CALIBRATION_EVALUATIONS = 3
CACHE_FILE = "step_times.json"
# Environment variables that change how fast TensorFlow computes on a CPU.
_SPEED_ENV_VARS = ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                   "OMP_NUM_THREADS")


@dataclass(frozen=True)
class StepTimes:
    """One optimiser's evaluation times in one precision, measured on this machine.

    Attributes:
        optimizer: ``"adam"`` or ``"lbfgs"``.
        precision: ``"float32"`` or ``"bfloat16"``.
        pixels: The two image sizes timed, in pixels.
        seconds: The median seconds of one evaluation at each size.
        first_seconds: How much longer a run's first evaluation takes (tracing the step).
        targets_seconds_per_pixel: Seconds to compute the targets, per pixel of content and style.
        device: The device they were measured on, in words.
        measured_at: When (seconds since the epoch).
    """

    optimizer: str
    precision: str
    pixels: tuple[int, int]
    seconds: tuple[float, float]
    first_seconds: float
    targets_seconds_per_pixel: float
    device: str
    measured_at: float

    @classmethod
    def from_record(cls, record: dict) -> StepTimes:
        """The times a JSON record (``asdict``'s form, lists for tuples) holds.

        Raises:
            TypeError: ``record`` is not such a record (written by another version, say).
        """
        times = cls(**record)
        return replace(times, pixels=tuple(times.pixels), seconds=tuple(times.seconds))

    def per_evaluation(self, pixels: int) -> float:
        """Seconds of one evaluation of an image of ``pixels`` pixels: a fixed cost per call plus
        a cost per pixel, through the two measured sizes (never negative)."""
        (small, large), (fast, slow) = self.pixels, self.seconds
        per_pixel = max(0.0, (slow - fast) / (large - small))
        fixed = max(0.0, fast - per_pixel * small)
        return fixed + per_pixel * pixels


@dataclass(frozen=True)
class RunEstimate:
    """How long a run's painting will take on this machine.

    Attributes:
        seconds: The whole estimate: targets, tracing and every evaluation.
        evaluations: How many evaluations.
        size: The result's ``(width, height)``.
        precision: What VGG19 computes in.
        optimizer: ``"adam"`` or ``"lbfgs"``.
        device: The device, in words.
    """

    seconds: float
    evaluations: int
    size: tuple[int, int]
    precision: str
    optimizer: str
    device: str

    def __str__(self) -> str:
        steps = "steps" if self.optimizer == "adam" else "evaluations"
        return (f"about {format_seconds(self.seconds)} ({self.device}; {self.precision}, {self.size[0]}x{self.size[1]} "
                f"px, {self.evaluations} {steps})")


def format_seconds(seconds: float) -> str:
    """``'45 s'``, ``'3 min 10 s'`` or ``'1 h 5 min'``: a duration as a person reads it."""
    seconds = max(0, round(seconds))
    if seconds < 100:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s" if seconds < 600 else f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h {round(seconds % 3600 / 60)} min"


def machine_key() -> str:
    """What the cached times belong to: the device, the settings that change its speed, and the
    versions of TensorFlow and Keras."""
    gpu = gpu_details()
    if gpu is not None:
        device = f"GPU {gpu['device_name']} {tuple(gpu.get('compute_capability', ()))}"
    else:
        flags = hashlib.sha256(" ".join(sorted(cpu_flags())).encode()).hexdigest()[:12]
        device = f"CPU {cpu_model()} {cpu_family_model()} {core_count()} cores flags {flags}"
    settings = " ".join(f"{name}={os.environ[name]}" for name in _SPEED_ENV_VARS if name in os.environ)
    return f"{device} | {settings or 'default settings'} | TensorFlow {tf.__version__} Keras {tf.keras.__version__}"


def _calibration_images(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A content and a style image of ``size``: noise, since the time does not depend on the pixels."""
    rng = np.random.default_rng(0)
    width, height = size
    return tuple(nst.load_and_process_img(rng.uniform(0, 255, (height, width, 3))) for _ in range(2))


def _evaluation_seconds(model: tf.keras.Model, target_model: tf.keras.Model, optimizer: str, size: tuple[int, int],
                        ) -> tuple[list[float], float]:
    """Times ``1 + CALIBRATION_EVALUATIONS`` evaluations at ``size``: each one's seconds, and the targets'."""
    content, style = _calibration_images(size)
    started = time.perf_counter()
    targets = compute_targets(target_model, content, [style])
    targets_seconds = time.perf_counter() - started
    weights = LossWeights.of(STYLE_WEIGHT, CONTENT_WEIGHT, 1.0)
    step_function = compiled_loss_and_grads()

    def step(image):
        return step_function(model, image, weights, targets, grey=False)

    recorder = Recorder(History(optimizer=optimizer, precision=model_precision(model)), 1 + CALIBRATION_EVALUATIONS,
                        None)
    run = adam if optimizer == "adam" else lbfgs
    run(step, content, 1 + CALIBRATION_EVALUATIONS, recorder)
    return list(np.diff([0.0, *recorder.history.seconds])), targets_seconds


def measure_step_times(model: tf.keras.Model, target_model: tf.keras.Model | None = None,
                       optimizer: str = "lbfgs") -> StepTimes:
    """Times the optimiser on this machine: a few evaluations at each of ``CALIBRATION_SIZES``.

    Args:
        model: The model the run steps with; its precision is the one timed.
        target_model: The model that computes the targets (by default ``model``).
        optimizer: ``"adam"`` or ``"lbfgs"``.

    Returns:
        The ``StepTimes``.
    """
    if optimizer not in ("adam", "lbfgs"):
        raise ValueError(f"optimizer must be 'adam' or 'lbfgs'; got {optimizer!r}")
    target_model = target_model or model
    medians, first, targets = [], 0.0, 0.0
    for index, size in enumerate(CALIBRATION_SIZES):
        seconds, targets_seconds = _evaluation_seconds(model, target_model, optimizer, size)
        medians.append(float(np.median(seconds[1:])))
        if index == 0:  # the first call of the step in this process: tracing and oneDNN's set-up
            first = max(0.0, seconds[0] - medians[0])
        else:  # the first size's targets also paid their model's first call
            targets = targets_seconds / (2 * size[0] * size[1])
    pixels = tuple(width * height for width, height in CALIBRATION_SIZES)
    return StepTimes(optimizer, model_precision(model), pixels, tuple(medians), first, targets, device_name(),
                     time.time())


def _cache_path() -> Path:
    return cache_dir() / CACHE_FILE


def _read_cache(path: Path) -> dict:
    """The cache's entries; an unreadable or foreign file counts as empty (it is only a cache)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _from_entry(entry: object) -> StepTimes | None:
    try:
        return StepTimes.from_record(entry)
    except TypeError:  # written by another version of this module
        return None


def step_times(model: tf.keras.Model, target_model: tf.keras.Model | None = None, optimizer: str = "lbfgs", *,
               refresh: bool = False) -> tuple[StepTimes, bool]:
    """This machine's ``StepTimes`` for ``model``'s precision and ``optimizer``: cached, or measured now.

    Args:
        model: The model the run steps with.
        target_model: The model that computes the targets (by default ``model``).
        optimizer: ``"adam"`` or ``"lbfgs"``.
        refresh: Measure again even when the cache has them.

    Returns:
        ``(times, measured_now)``.
    """
    sizes = " ".join(f"{width}x{height}" for width, height in CALIBRATION_SIZES)
    path, key = _cache_path(), f"{machine_key()} | {optimizer} {model_precision(model)} at {sizes}"
    if not refresh:
        cached = _from_entry(_read_cache(path).get(key))
        if cached is not None:
            return cached, False
    times = measure_step_times(model, target_model, optimizer)
    entries = {**_read_cache(path), key: asdict(times)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda partial: partial.write_text(json.dumps(entries, indent=1), encoding="utf-8"))
    except OSError:  # a read-only home: measured again next time
        pass
    return times, True


def estimate_evaluations(times: StepTimes, levels: Sequence[tuple[int, int]], iterations: Sequence[int],
                         style_pixels: Sequence[int] = (), traced: bool = False) -> float:
    """Seconds to paint: each level's targets and evaluations, and the first evaluation's tracing.

    Args:
        times: This machine's ``StepTimes`` for the run's optimiser and precision.
        levels: Each level's content ``(width, height)``, coarse to fine.
        iterations: Each level's evaluations.
        style_pixels: Each level's style pixels (all styles together); none counts the content's.
        traced: The step was already traced in this process (a second run with the same model).
    """
    seconds = 0.0 if traced else times.first_seconds
    for index, ((width, height), count) in enumerate(zip(levels, iterations)):
        styles = style_pixels[index] if index < len(style_pixels) else width * height
        seconds += times.targets_seconds_per_pixel * (width * height + styles)
        seconds += count * times.per_evaluation(width * height)
    return seconds


def estimate_plan(plan: Plan, times: StepTimes, *, pairs: int = 1, traced: bool = False) -> RunEstimate:
    """How long painting ``plan`` will take on this machine (``pairs`` times, for a batch).

    Args:
        plan: From ``plan_run``.
        times: This machine's ``StepTimes`` for the plan's optimiser and precision.
        pairs: How many such results are painted one after another (the step is traced once).
        traced: The step was already traced in this process.

    Raises:
        ValueError: ``times`` were measured for another optimiser or precision.
    """
    if (times.optimizer, times.precision) != (plan.settings.optimizer, plan.precision):
        raise ValueError(f"these step times are for {times.optimizer} in {times.precision}, but the plan runs "
                         f"{plan.settings.optimizer} in {plan.precision}")
    levels = [sizes[0] for sizes in plan.sizes]
    style_pixels = [sum(width * height for width, height in sizes[1:]) for sizes in plan.sizes]
    each = estimate_evaluations(times, levels, plan.iterations, style_pixels, traced=True)
    seconds = pairs * each + (0.0 if traced else times.first_seconds)
    return RunEstimate(seconds, sum(plan.iterations), plan.result_size, plan.precision, plan.settings.optimizer,
                       times.device)


def estimate_run(content: ImageSource, style: ImageSource | Sequence[ImageSource | None], settings: Settings,
                 model: tf.keras.Model, target_model: tf.keras.Model | None = None, *, pairs: int = 1,
                 mask: ImageSource | None = None) -> RunEstimate:
    """How long ``run_style_transfer(content, style, settings, model=model)`` will take here.

    Times this machine first when the cache has no figures for the model's precision and the
    settings' optimiser (a few seconds, once). The lesson's own loop (``nst_helpers``) costs what
    the extended run's Adam costs, so this estimates it too.

    Args:
        content: The content image.
        style: The style image(s).
        settings: The run's ``Settings``.
        model: The model the run steps with.
        target_model: The model that computes the targets (a float32 one for a bfloat16 ``model``).
        pairs: How many such runs, one after another (a gallery).
        mask: The regions' mask, if any.
    """
    times, _ = step_times(model, target_model, settings.optimizer)
    return estimate_plan(plan_run(content, style, settings, mask=mask, model=model), times, pairs=pairs)
