"""The optimisers of an extended run, Adam (the article's) and SciPy's L-BFGS-B, and the ``Recorder`` they share."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import tensorflow as tf

import nst_helpers as nst
from nst_plumbing.config import BETA_1, EPSILON, LBFGS_HISTORY, LEARNING_RATE, VGG_MEAN_BGR
from nst_plumbing.record import History

__all__ = ["Step", "Recorder", "adam", "lbfgs", "MIN_VALS", "MAX_VALS"]

# One evaluation: the image (VGG-preprocessed, a tensor) to its gradient and its losses
# (total, style, content, total variation), as ``loss.loss_and_grads`` with the rest bound.
Step = Callable[[tf.Tensor], tuple[tf.Tensor, tuple[tf.Tensor, ...]]]

# Pixel values must stay those of a real image: 0..255 before preprocessing.
MIN_VALS = -VGG_MEAN_BGR
MAX_VALS = 255.0 - VGG_MEAN_BGR


class Recorder:
    """What both optimisers share: the clock, the history, the best image and the callback."""

    def __init__(self, history: History, num_evaluations: int, callback: Callable[[nst.StepInfo], None] | None):
        self.history, self.num_evaluations, self.callback = history, num_evaluations, callback
        self.start = time.perf_counter()
        self.scale = 0
        self.best_loss, self.best_image = float("inf"), None

    def new_scale(self, scale: int) -> None:
        """Starts a level: the best image is sought again, at this level's size."""
        self.scale, self.best_loss, self.best_image = scale, float("inf"), None

    def evaluated(self, image: np.ndarray, losses, holder: tf.Variable | np.ndarray) -> float:
        """Records one evaluation of ``image`` (the pixels whose losses these are)."""
        total, style_score, content_score, tv_score = (float(value) for value in losses)  # waits for the result
        if total < self.best_loss:
            self.best_loss, self.best_image = total, np.array(image, copy=True)
        elapsed = time.perf_counter() - self.start
        self.history.record(len(self.history.iterations), total, style_score, content_score, elapsed,
                            tv_score, self.scale)
        if self.callback is not None:
            paused = time.perf_counter()
            self.callback(nst.StepInfo(iteration=len(self.history.iterations) - 1,
                                       num_iterations=self.num_evaluations, total_loss=total,
                                       style_loss=style_score, content_loss=content_score, elapsed=elapsed,
                                       best_loss=self.best_loss, processed_image=holder, scale=self.scale))
            self.start += time.perf_counter() - paused  # drawing progress is off the clock
        return total


def adam(step: Step, start: np.ndarray, num_iterations: int, recorder: Recorder, learning_rate: float = LEARNING_RATE,
         beta_1: float = BETA_1, epsilon: float = EPSILON) -> None:
    """The article's loop: evaluate, keep the best image, update with Adam, clip."""
    image = tf.Variable(start, dtype=tf.float32)
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, epsilon=epsilon)
    for _ in range(num_iterations):
        before = image.numpy()  # the loss below belongs to this image, before the update
        grads, losses = step(image.value())
        optimizer.apply_gradients([(grads, image)])
        image.assign(tf.clip_by_value(image, MIN_VALS, MAX_VALS))
        recorder.evaluated(before, losses, image)


class _EvaluationBudgetSpent(Exception):
    """Stops SciPy's L-BFGS-B once the run's evaluations are used up."""


def lbfgs(step: Step, start: np.ndarray, num_evaluations: int, recorder: Recorder, blas_threads: int | None = 1,
          history_size: int = LBFGS_HISTORY) -> None:
    """SciPy's L-BFGS-B on the loss and gradient, bounded to the valid pixel range.

    SciPy works on a flat float64 vector; each evaluation converts it to a float32 image, runs
    the step and returns the loss and gradient as float64. The bounds are box constraints per
    pixel and channel, so the image never leaves the range of real pixels (no clipping needed).
    Tolerances are zero: the run stops after ``num_evaluations`` evaluations, not earlier.

    Args:
        step: One evaluation.
        start: The first image, VGG-preprocessed.
        num_evaluations: How many evaluations to make.
        recorder: Keeps the clock, the history and the best image.
        blas_threads: SciPy's BLAS threads while it runs (``None``: no limit; the benchmark
            compares the two).
        history_size: The correction pairs L-BFGS keeps (SciPy's ``maxcor``).
    """
    from scipy.optimize import Bounds, minimize
    from threadpoolctl import threadpool_limits

    shape = start.shape
    bounds = Bounds(np.broadcast_to(MIN_VALS, shape).ravel().astype(np.float64),
                    np.broadcast_to(MAX_VALS, shape).ravel().astype(np.float64))
    evaluations = 0

    def loss_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evaluations
        if evaluations == num_evaluations:
            raise _EvaluationBudgetSpent
        evaluations += 1
        image = x.reshape(shape).astype(np.float32)
        grads, losses = step(tf.constant(image))
        total = recorder.evaluated(image, losses, image)
        return total, grads.numpy().astype(np.float64).ravel()

    # SciPy's BLAS keeps its threads spinning for a while after each call, on the cores TensorFlow
    # needs next, which slows each TensorFlow step on a 2-core CPU; one BLAS thread avoids it
    # (docs/threads.md; measure it with tools/benchmark.py).
    try:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            minimize(loss_and_gradient, start.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                     bounds=bounds, options={"maxcor": history_size, "maxfun": num_evaluations + 1,
                                             "maxiter": num_evaluations, "ftol": 0.0, "gtol": 0.0})
    except _EvaluationBudgetSpent:
        pass
