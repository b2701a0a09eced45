"""Will a run fit? The peak memory of a style transfer, estimated before any work, and the device's.

Below the lesson. Out of memory at large sizes is the most common failure of
style transfer; without a check the kernel kills the process after a long wait and with no
message. ``check_fits`` refuses such a run up front, giving the estimate, the limit and the
largest ``max_dim`` that would fit.

The estimate (``estimate_peak_memory``) counts what grows with the image:

- the activations of one forward pass through VGG19 up to the deepest layer used (its input,
  every convolution and every pooling), in 4 bytes (float32) or 2 (bfloat16), times
  ``MEMORY_ACTIVATION_FACTOR`` (1.8, measured) for what the gradient tape keeps, the backward
  pass and oneDNN's or cuDNN's work buffers;
- the optimiser's state: Adam's two moments (float32); L-BFGS's ``m`` correction pairs and
  scipy's work arrays (float64: ``(2m + 5) n + 11 m^2 + 8 m`` for L-BFGS-B plus the image, its
  gradient and both bounds, for ``n`` = 3 x height x width);
- a fixed overhead: TensorFlow, the model and its weights.

It was calibrated against the measured peak RSS of whole processes on CPU
(``tools/memory_benchmark.py`` prints the comparison). Importing it imports neither TensorFlow
nor Pillow; the GPU limit is read with ``nvidia-smi``.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from nst_plumbing import vgg19
from nst_plumbing.checks import one_of, positive_int
from nst_plumbing.device import gpu_details
from nst_plumbing.config import (CONTENT_LAYERS, LBFGS_HISTORY, MEMORY_ACTIVATION_FACTOR, MEMORY_CPU_OVERHEAD_BYTES,
                                 MEMORY_GPU_OVERHEAD_BYTES, MEMORY_USABLE_FRACTION, MIN_IMAGE_SIDE, OPTIMIZERS,
                                 PRECISIONS, STYLE_LAYERS)

__all__ = ["MemoryEstimate", "MemoryLimit", "InsufficientMemoryError", "activation_count", "estimate_peak_memory",
           "available_memory", "largest_fitting_max_dim", "check_fits", "check_memory_fits", "format_bytes"]

_DEVICES = ("cpu", "gpu")
_BYTES_PER_ACTIVATION = {"float32": 4, "bfloat16": 2}


class InsufficientMemoryError(ValueError):
    """A run would need more memory than the device has; the message says how much and what to do."""


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimated peak memory of one run, in bytes, and its parts.

    Attributes:
        width: Image width in pixels.
        height: Image height in pixels.
        optimizer: ``"adam"`` or ``"lbfgs"``.
        precision: ``"float32"`` or ``"bfloat16"`` (of the activations).
        device: ``"cpu"`` or ``"gpu"``.
        overhead: The fixed part: TensorFlow, the model and its weights.
        activations: VGG19's activations and everything the backward pass needs for them.
        optimizer_state: The image, its gradient and the optimiser's state.
    """

    width: int
    height: int
    optimizer: str
    precision: str
    device: str
    overhead: int
    activations: int
    optimizer_state: int

    @property
    def total(self) -> int:
        """The estimated peak, in bytes."""
        return self.overhead + self.activations + self.optimizer_state

    def __str__(self) -> str:
        return (f"{self.width}x{self.height} px with {self.optimizer}, {self.precision} on {self.device.upper()}: "
                f"about {format_bytes(self.total)} at its peak")


@dataclass(frozen=True)
class MemoryLimit:
    """What a device can hold for this process.

    Attributes:
        bytes: The memory in bytes.
        description: Where the number comes from, for messages.
    """

    bytes: int
    description: str


def format_bytes(count: float) -> str:
    """``count`` bytes in MiB or GiB, e.g. ``'1.5 GiB'``."""
    if count >= 2**30:
        return f"{count / 2**30:,.1f} GiB"
    return f"{count / 2**20:,.0f} MiB"


def activation_count(height: int, width: int, layers: Sequence[str] = (*STYLE_LAYERS, *CONTENT_LAYERS)) -> int:
    """How many numbers one forward pass through VGG19 produces, up to the deepest of ``layers``.

    Counts the input, every convolution's output and every pooling's output on the way, as the
    Keras model from ``get_model`` computes them (a model ends at its deepest output layer).

    Args:
        height: Image height in pixels.
        width: Image width in pixels.
        layers: VGG19 convolution layer names such as ``"block5_conv2"``.

    Raises:
        ValueError: A name is not ``block<1-5>_conv<n>`` of VGG19, or a side is not positive.
    """
    positive_int("height", height)
    positive_int("width", width)
    deepest = (0, 0)
    for name in layers:
        deepest = max(deepest, vgg19.layer_position(name))
    if deepest == (0, 0):
        raise ValueError("need at least one VGG19 layer to estimate its activations")
    count, h, w = 3 * height * width, height, width
    for block in range(1, deepest[0] + 1):
        if block > 1:  # the max-pool before this block
            h, w = h // 2, w // 2
            count += h * w * vgg19.BLOCK_CHANNELS[block - 2]
        convs = vgg19.BLOCK_CONVS[block - 1] if block < deepest[0] else deepest[1]
        count += convs * h * w * vgg19.BLOCK_CHANNELS[block - 1]
    return count


def estimate_peak_memory(height: int, width: int, *, layers: Sequence[str] = (*STYLE_LAYERS, *CONTENT_LAYERS),
                         optimizer: str = "adam", precision: str = "float32", lbfgs_history: int = LBFGS_HISTORY,
                         device: str = "cpu") -> MemoryEstimate:
    """Estimates the peak memory of a style transfer of a ``height`` x ``width`` image.

    Args:
        height: Image height in pixels (of the larger of the content and style images).
        width: Image width in pixels.
        layers: The VGG19 layers the model outputs; the deepest sets how much of VGG19 runs.
        optimizer: ``"adam"`` (two float32 moments) or ``"lbfgs"`` (float64 history).
        precision: ``"float32"`` or ``"bfloat16"``: the activations' type (the image, its
            gradient and the optimiser's state stay float32 or float64).
        lbfgs_history: L-BFGS's ``m`` (scipy's ``maxcor``): correction pairs it keeps.
        device: ``"cpu"`` (peak RSS of the whole process) or ``"gpu"`` (the GPU's memory).

    Returns:
        A ``MemoryEstimate``; its ``total`` is the peak in bytes.

    Raises:
        ValueError: An argument is not one of the accepted values.
    """
    one_of("optimizer", optimizer, OPTIMIZERS)
    one_of("precision", precision, tuple(name for name in PRECISIONS if name != "auto"))
    one_of("device", device, _DEVICES)
    positive_int("lbfgs_history", lbfgs_history)
    activations = math.ceil(MEMORY_ACTIVATION_FACTOR * activation_count(height, width, layers)
                            * _BYTES_PER_ACTIVATION[precision])
    n = 3 * height * width
    # The variable, its gradient, the best image so far, the clipped copy: float32.
    state = 4 * 4 * n
    if optimizer == "adam":
        state += 2 * 4 * n
    else:
        m = lbfgs_history
        state += 8 * ((2 * m + 5) * n + 11 * m * m + 8 * m)  # L-BFGS-B's work array wa (S and Y inside)
        state += 8 * 4 * n + 4 * n  # x, g and both bounds as float64; nbd as int32
    overhead = MEMORY_CPU_OVERHEAD_BYTES if device == "cpu" else MEMORY_GPU_OVERHEAD_BYTES
    return MemoryEstimate(width, height, optimizer, precision, device, overhead, activations, state)


def _meminfo_bytes(field_name: str, path: str = "/proc/meminfo") -> int | None:
    try:
        with open(path, encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> int | None:
    """What the cgroup (v2) this process runs in still allows it, when it sets a limit."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        current = int(Path("/sys/fs/cgroup/memory.current").read_text())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else max(0, int(limit) - current)


def _cpu_memory() -> MemoryLimit | None:
    own = _meminfo_bytes("VmRSS", "/proc/self/status") or 0
    available = _meminfo_bytes("MemAvailable")
    how = "RAM available (MemAvailable)"
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            how = "free RAM"
        except (ValueError, OSError, AttributeError):
            return None
    room = _cgroup_room()
    if room is not None and room < available:
        available, how = room, "room left under this container's memory limit"
    return MemoryLimit(available + own, f"{how} plus the {format_bytes(own)} this process already holds")


def _gpu_memory() -> MemoryLimit | None:
    if shutil.which("nvidia-smi") is None:
        return None
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip() or "0"
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=memory.total,name", "--format=csv,noheader,nounits",
                               "-i", visible], capture_output=True, text=True, timeout=20, check=True)
        total_mib, name = done.stdout.strip().splitlines()[0].split(",", 1)
        return MemoryLimit(int(float(total_mib)) * 2**20, f"the memory of GPU {visible} ({name.strip()})")
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def available_memory(device: str = "cpu") -> MemoryLimit | None:
    """The memory a run on ``device`` can use, or ``None`` when it cannot be read (no check then).

    On CPU: ``MemAvailable`` from ``/proc/meminfo`` (else free pages from ``os.sysconf``), or
    the room under a cgroup v2 limit if smaller, plus what this process already holds (the
    estimate is of the whole process). On a GPU: the total memory of the first visible GPU, as
    ``nvidia-smi`` reports it (TensorFlow reserves most of a card for itself once started, so
    what other processes use is not subtracted).

    Raises:
        ValueError: ``device`` is neither ``"cpu"`` nor ``"gpu"``.
    """
    one_of("device", device, _DEVICES)
    return _cpu_memory() if device == "cpu" else _gpu_memory()


def _fits(estimate: MemoryEstimate, limit: MemoryLimit) -> bool:
    return estimate.total <= MEMORY_USABLE_FRACTION * limit.bytes


def largest_fitting_max_dim(height: int, width: int, limit: MemoryLimit, **estimate_args) -> int | None:
    """The largest longest side at which an image of this shape fits in ``limit``, or ``None``.

    Args:
        height: Image height at its current size (only the aspect ratio matters).
        width: Image width at its current size.
        limit: The device's memory.
        **estimate_args: Passed to ``estimate_peak_memory`` (optimizer, precision, ...).
    """
    longest = max(height, width)

    def fits(max_dim: int) -> bool:
        scale = max_dim / longest
        return _fits(estimate_peak_memory(max(1, round(height * scale)), max(1, round(width * scale)),
                                          **estimate_args), limit)

    if not fits(MIN_IMAGE_SIDE):
        return None
    low, high = MIN_IMAGE_SIDE, max(longest, MIN_IMAGE_SIDE)
    while fits(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def check_fits(height: int, width: int, *, device: str = "cpu", limit: MemoryLimit | None = None,
               **estimate_args) -> MemoryEstimate:
    """Refuses a run that cannot fit in the device's memory; returns the estimate otherwise.

    Args:
        height: Image height in pixels (of the larger of the content and style images).
        width: Image width in pixels.
        device: ``"cpu"`` or ``"gpu"``.
        limit: The device's memory; by default ``available_memory(device)``. When that cannot
            be read the run is allowed.
        **estimate_args: Passed to ``estimate_peak_memory`` (layers, optimizer, precision,
            lbfgs_history).

    Returns:
        The ``MemoryEstimate``.

    Raises:
        InsufficientMemoryError: The estimate exceeds ``MEMORY_USABLE_FRACTION`` of the limit.
        ValueError: An argument is invalid.
    """
    estimate = estimate_peak_memory(height, width, device=device, **estimate_args)
    limit = available_memory(device) if limit is None else limit
    if limit is None or _fits(estimate, limit):
        return estimate
    best = largest_fitting_max_dim(height, width, limit, device=device, **estimate_args)
    advice = (f"use a smaller max_dim (--max-dim): about {best} px would fit" if best is not None else
              "even the smallest image would not fit; free some memory first")
    raise InsufficientMemoryError(
        f"not enough memory: a {width}x{height} px run ({estimate.optimizer}, {estimate.precision}) needs an "
        f"estimated {format_bytes(estimate.total)} at its peak, but the limit is "
        f"{format_bytes(MEMORY_USABLE_FRACTION * limit.bytes)} ({MEMORY_USABLE_FRACTION:.0%} of "
        f"{format_bytes(limit.bytes)}: {limit.description}); {advice}")


def check_memory_fits(height: int, width: int, *, optimizer: str = "adam", precision: str = "float32",
                      lbfgs_history: int = LBFGS_HISTORY,
                      layers: Sequence[str] = (*STYLE_LAYERS, *CONTENT_LAYERS)) -> MemoryEstimate:
    """Refuses a run that cannot fit in the memory of the device TensorFlow computes on.

    ``check_fits`` on that device: available RAM on a CPU, the card's memory on a GPU.

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
    device = "cpu" if gpu_details() is None else "gpu"
    return check_fits(height, width, device=device, optimizer=optimizer, precision=precision,
                      lbfgs_history=lbfgs_history, layers=layers)
