"""What the test machine computes on, for the few tests whose exactness depends on it.

On a CPU, TensorFlow's float32 kernels give the same bits every time. On a GPU they need not:
cuDNN picks convolution algorithms by timing them, some reductions add in whatever order their
threads finish, and on Ampere and newer (compute capability 8.0+) TensorFlow multiplies float32
matrices in TensorFloat-32 (10-bit mantissa) unless told otherwise. Tests that compare a formula
with NumPy switch TensorFloat-32 off (``exact_float32``); tests that compare two runs of the same
thing allow the GPU's run-to-run noise (``repeat_rtol``) and are exact on a CPU.
"""

import contextlib

from nst_plumbing.device import gpu_details

ON_GPU = gpu_details() is not None

# How far two runs of the same computation may differ on a GPU (relative): far below any effect a
# test looks for (a changed weight, a missing term or another optimiser moves the loss by percents).
GPU_REPEAT_RTOL = 1e-3


def repeat_rtol(cpu_rtol: float = 0.0) -> float:
    """The relative tolerance for comparing two runs of the same computation on this machine."""
    return max(cpu_rtol, GPU_REPEAT_RTOL) if ON_GPU else cpu_rtol


@contextlib.contextmanager
def exact_float32():
    """float32 matrix products in full float32 for the block (no TensorFloat-32), then as before."""
    import tensorflow as tf

    previous = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(previous)
