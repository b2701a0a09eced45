"""What machine this is: the processor's model and the features that decide how fast it runs.

Plumbing, not part of the lesson, and free of TensorFlow: the lesson (``nst_helpers``) asks
TensorFlow about GPUs and uses this for the CPU. Machines differ from run to run (an AMD EPYC
with AVX2 one day, an Intel Xeon with AMX the next), so figures name the CPU and the choice of
precision reads its features at run time instead of assuming them.
"""

from __future__ import annotations

import functools
import platform

__all__ = ["cpu_model", "cpu_flags", "cpu_has_fast_bfloat16"]

_CPUINFO = "/proc/cpuinfo"


@functools.cache
def _cpuinfo_field(name: str) -> str | None:
    """The first ``name : value`` line of ``/proc/cpuinfo`` (Linux), or ``None``."""
    try:
        with open(_CPUINFO, encoding="utf-8") as cpuinfo:
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
    return _cpuinfo_field("model name") or platform.processor() or platform.machine() or "unknown CPU"


def cpu_flags() -> frozenset[str]:
    """The feature flags the CPU reports (``avx2``, ``avx512_bf16``, ``amx_bf16``, ...); empty
    where the operating system does not list them."""
    return frozenset((_cpuinfo_field("flags") or "").split())


def cpu_has_fast_bfloat16() -> bool:
    """Whether the CPU multiplies bfloat16 matrices in hardware tiles (Intel AMX-BF16).

    oneDNN, TensorFlow's CPU library, then runs bfloat16 convolutions much faster than float32
    ones. Without AMX (AVX2 only, or AVX512-BF16 dot products alone) bfloat16 is emulated or gains
    little, and can be slower, so it is not chosen automatically there.
    """
    return "amx_bf16" in cpu_flags()
