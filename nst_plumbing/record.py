"""The record of a run: every loss evaluation's losses, time and scale, in order (``History``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["History"]


@dataclass
class History:
    """Record of a run: one entry per loss evaluation, in order.

    For Adam an evaluation is an iteration; L-BFGS may evaluate the loss more than once per
    iteration (its line search), and every evaluation is recorded. ``seconds[i]`` is the wall
    time from the start of the run to the end of evaluation ``iterations[i]``, with the result on
    the host (so GPU work is finished); time spent in the callback (drawing progress) is not
    counted. ``scales[i]`` is the longest image side of that evaluation's level (coarse-to-fine
    runs have several levels). Losses are weighted; ``total_loss`` is their sum.
    """

    iterations: list[int] = field(default_factory=list)
    total_loss: list[float] = field(default_factory=list)
    style_loss: list[float] = field(default_factory=list)
    content_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    tv_loss: list[float] = field(default_factory=list)
    scales: list[int] = field(default_factory=list)
    optimizer: str = "adam"
    precision: str = "float32"

    def record(self, iteration: int, total_loss: float, style_loss: float, content_loss: float,
               seconds: float, tv_loss: float = 0.0, scale: int = 0) -> None:
        """Appends one evaluation's losses, the wall time since the start and its level."""
        self.iterations.append(iteration)
        self.total_loss.append(total_loss)
        self.style_loss.append(style_loss)
        self.content_loss.append(content_loss)
        self.seconds.append(seconds)
        self.tv_loss.append(tv_loss)
        self.scales.append(scale)

    @property
    def best_iteration(self) -> int:
        """The evaluation whose image had the lowest total loss at the final scale (the image
        returned; losses at different scales are not comparable)."""
        final = [i for i, scale in enumerate(self.scales) if scale == self.scales[-1]]
        return self.iterations[min(final, key=lambda i: self.total_loss[i])]

    def seconds_per_iteration(self, skip: int = 1) -> float:
        """Median time of one evaluation, skipping the first ``skip`` (tracing and warm-up)."""
        steps = np.diff([0.0, *self.seconds])[skip:]
        if steps.size == 0:
            raise ValueError(f"need more than {skip} recorded iterations to time one")
        return float(np.median(steps))

    def seconds_to_reach(self, loss: float) -> float | None:
        """Wall time until an evaluation at the final scale first had a total loss of at most
        ``loss``; ``None`` if none did."""
        final_scale = self.scales[-1]
        for value, seconds, scale in zip(self.total_loss, self.seconds, self.scales):
            if scale == final_scale and value <= loss:
                return seconds
        return None
