"""What machine this is: the device TensorFlow computes on, its features, and the run profile that suits it.

Below the lesson. Importing it does not import TensorFlow; the functions that ask TensorFlow
about GPUs import it when called. Machines differ from run to run (an AMD EPYC with AVX2 one
day, an Intel Xeon with AMX the next), so figures name the device, and the choice of precision
reads its features at run time instead of assuming them.
"""

from __future__ import annotations

import functools
import os
import platform
from typing import Any

from nst_plumbing.config import PROFILE_ENV_VAR, Profile, profile_named

__all__ = ["CPUINFO", "cpuinfo_field", "cpu_model", "cpu_family_model", "cpu_description", "core_count", "cpu_flags", "cpu_has_fast_bfloat16", "gpu_details", "native_bfloat16", "device_name",
           "get_profile"]

CPUINFO = "/proc/cpuinfo"


@functools.cache
def cpuinfo_field(name: str) -> str | None:
    """The first ``name : value`` line of ``/proc/cpuinfo`` (Linux), or ``None``."""
    try:
        with open(CPUINFO, encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The processor's model name, e.g. ``'AMD EPYC 7B13'`` (``platform`` where there is no
    ``/proc/cpuinfo``)."""
    return cpuinfo_field("model name") or platform.processor() or platform.machine() or "unknown CPU"


def cpu_family_model() -> tuple[int, int] | None:
    """The processor's ``(family, model)`` numbers from ``/proc/cpuinfo``, e.g. ``(23, 1)``, or ``None``.

    Cloud machines often report only "Intel(R) Xeon(R) Processor" as the model name; the numbers
    tell one generation from another (family 6 model 207 is a Xeon with AMX, family 23 an AMD Zen).
    """
    family, model = cpuinfo_field("cpu family"), cpuinfo_field("model")
    try:
        return int(family), int(model)
    except (TypeError, ValueError):
        return None


def core_count() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else all of them)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_description() -> str:
    """The CPU named for a figure: model name, family and model numbers, cores and bfloat16 support,
    e.g. ``'AMD EPYC 7B13 (family 25, model 1; 2 cores; no AMX-BF16)'``."""
    numbers = cpu_family_model()
    family = f"family {numbers[0]}, model {numbers[1]}; " if numbers else ""
    amx = "AMX-BF16" if cpu_has_fast_bfloat16() else "no AMX-BF16"
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
    emulated = f"; oneDNN limited to {isa}" if isa else ""
    return f"{cpu_model()} ({family}{core_count()} cores; {amx}{emulated})"


def cpu_flags() -> frozenset[str]:
    """The feature flags the CPU reports (``avx2``, ``avx512_bf16``, ``amx_bf16``, ...); empty
    where the operating system does not list them."""
    return frozenset((cpuinfo_field("flags") or "").split())


def cpu_has_fast_bfloat16() -> bool:
    """Whether the CPU multiplies bfloat16 matrices in hardware tiles (Intel AMX-BF16).

    oneDNN, TensorFlow's CPU library, then runs bfloat16 convolutions much faster than float32
    ones. Without AMX (AVX2 only, or AVX512-BF16 dot products alone) bfloat16 is emulated or gains
    little, and can be slower, so it is not chosen automatically there.
    """
    return "amx_bf16" in cpu_flags()


def gpu_details() -> dict[str, Any] | None:
    """TensorFlow's details of its first GPU (``device_name``, ``compute_capability``), or
    ``None`` when TensorFlow sees no GPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    return {"device_name": gpus[0].name, **tf.config.experimental.get_device_details(gpus[0])}


def native_bfloat16() -> bool:
    """Whether the device TensorFlow computes on multiplies bfloat16 matrices in hardware: a GPU
    of compute capability 8.0 or later (Ampere and newer), or a CPU with AMX-BF16 tiles."""
    gpu = gpu_details()
    if gpu is not None:
        return tuple(gpu.get("compute_capability", (0, 0))) >= (8, 0)
    return cpu_has_fast_bfloat16()


def device_name() -> str:
    """Names the device TensorFlow computes on, e.g. ``'GPU: NVIDIA H100'`` or
    ``'CPU: AMD EPYC 7B13 (family 25, model 1; 2 cores; no AMX-BF16)'``."""
    gpu = gpu_details()
    if gpu is not None:
        return f"GPU: {gpu['device_name']}"
    return f"CPU: {cpu_description()}"


def get_profile(name: str | None = None) -> Profile:
    """Returns the run profile to use.

    Args:
        name: A key of ``PROFILES``. When ``None``, reads ``$NST_PROFILE``; when that is unset,
            ``"gpu"`` if TensorFlow sees a GPU and ``"cpu"`` otherwise.

    Raises:
        ValueError: The name is not a known profile.
    """
    if name is None:
        name = os.environ.get(PROFILE_ENV_VAR) or ("gpu" if gpu_details() is not None else "cpu")
    return profile_named(name)
