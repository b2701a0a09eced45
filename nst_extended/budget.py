"""Fitting a run to a time budget: the largest recipe of a ladder that this machine paints in time.

Each rung of the ladder is a size and a number of L-BFGS evaluations that gives a finished
picture (the ladder's pictures side by side: ``media/gallery/ladder.png``, made by
``tools/benchmark.py --ladder``): a larger image needs more evaluations before its strokes
form, so the ladder never trades evaluations for pixels below that.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import tensorflow as tf

from nst_extended.plan import Plan, plan_run
from nst_extended.settings import Settings
from nst_extended.timing import RunEstimate, StepTimes, estimate_plan, format_seconds
from nst_plumbing.checks import parse_duration
from nst_plumbing.images import ImageSource
from nst_plumbing.memory import InsufficientMemoryError

__all__ = ["Rung", "LADDER", "FINISH_SECONDS", "FILL_FRACTION", "TimeBudget", "TimeBudgetError", "BudgetChoice", "parse_duration",
           "fit_to_budget"]

# Saving the picture and leaving the process, after the last evaluation.
FINISH_SECONDS = 2.0
# The chosen rung gets more evaluations while the estimate stays within this fraction of the
# budget (each rung takes about twice the one below, so a budget between two rungs would otherwise
# be half unused), and at most twice its own: the margin is for machines noisier than their timing.
FILL_FRACTION = 0.9


@dataclass(frozen=True)
class Rung:
    """One recipe of the ladder: L-BFGS evaluations at one size.

    Attributes:
        max_dim: The result's longest side in pixels.
        evaluations: L-BFGS evaluations.
    """

    max_dim: int
    evaluations: int

    def __str__(self) -> str:
        return f"{self.max_dim} px, {self.evaluations} L-BFGS evaluations"


# From the smallest finished picture up. 200 evaluations at 384 px is the cpu profile's recipe.
LADDER = (Rung(128, 100), Rung(192, 120), Rung(256, 150), Rung(320, 180), Rung(384, 200), Rung(512, 250),
          Rung(768, 300), Rung(1024, 400))


@dataclass(frozen=True)
class TimeBudget:
    """The time a command may take, and what it has used of it.

    Attributes:
        seconds: The budget for the whole command, from its start to the saved pictures.
        spent: Seconds already spent (the process's start, the model, timing this machine).
        pairs: How many results share it, painted one after another.
        traced: The step was already traced in this process (by ``timing.measure_step_times``).
    """

    seconds: float
    spent: float = 0.0
    pairs: int = 1
    traced: bool = False


class TimeBudgetError(ValueError):
    """No rung of the ladder fits the budget; ``needed_seconds`` is the smallest budget that would."""

    def __init__(self, message: str, needed_seconds: float):
        super().__init__(message)
        self.needed_seconds = needed_seconds


@dataclass(frozen=True)
class BudgetChoice:
    """The recipe chosen for a budget.

    Attributes:
        rung: The ladder's rung.
        settings: The run's ``Settings``, with the rung's size and L-BFGS, and the rung's
            evaluations or more, as many as the budget leaves time for (``FILL_FRACTION``).
        plan: The first result's ``Plan`` with those settings.
        estimate: How long painting will take (every result of a batch).
        budget: The budget, in seconds, for the whole command.
        spent: Seconds of the budget already spent before painting (start-up, model, timing).
        next_rung: The next larger rung, if the ladder has one that fits in memory.
        next_needed: The budget that rung would need, in seconds.
    """

    rung: Rung
    settings: Settings
    plan: Plan
    estimate: RunEstimate
    budget: float
    spent: float
    next_rung: Rung | None = None
    next_needed: float | None = None

    @property
    def evaluations(self) -> int:
        """The evaluations the run makes: the rung's, and those the budget leaves time for."""
        return self.settings.iterations

    def __str__(self) -> str:
        extra = self.evaluations - self.rung.evaluations
        more = f", and {extra} more evaluations in the time left" if extra else ""
        larger = (f"; the next, {self.next_rung}, would need {format_seconds(self.next_needed)}"
                  if self.next_rung is not None else "; it is the ladder's largest")
        return f"A time budget of {format_seconds(self.budget)} fits {self.rung}{more}{larger}."


def _rung_settings(settings: Settings, rung: Rung) -> Settings:
    return dataclasses.replace(settings, max_dim=rung.max_dim, scales=None, iterations=rung.evaluations,
                               optimizer="lbfgs")


def fit_to_budget(content: ImageSource, style: ImageSource | Sequence[ImageSource | None], settings: Settings,
                  times: StepTimes, budget: TimeBudget, *, mask: ImageSource | None = None,
                  model: tf.keras.Model | None = None, ladder: Sequence[Rung] | None = None) -> BudgetChoice:
    """Chooses the largest rung of ``ladder`` that this machine paints within ``budget``.

    Args:
        content: The content image (the first, for a batch: its size sets the estimate).
        style: Its style image(s).
        settings: The run's other settings (weights, controls, precision); the rung sets the size,
            the evaluations and the optimiser (L-BFGS).
        times: This machine's L-BFGS ``StepTimes`` in the run's precision (``timing.step_times``).
        budget: The ``TimeBudget``.
        mask: The regions' mask, if any.
        model: The model the run steps with, if built (its precision is kept).
        ladder: The rungs, from the smallest up (``None``: ``LADDER``).

    Raises:
        TimeBudgetError: (a ``ValueError``) not even the smallest rung fits; the message gives
            the budget it needs.
    """
    ladder = LADDER if ladder is None else ladder
    choice = None
    for rung in ladder:
        rung_settings = _rung_settings(settings, rung)
        try:
            plan = plan_run(content, style, rung_settings, mask=mask, model=model)
        except InsufficientMemoryError:
            break  # larger rungs need even more memory
        estimate = estimate_plan(plan, times, pairs=budget.pairs, traced=budget.traced)
        needed = budget.spent + estimate.seconds + FINISH_SECONDS
        if needed > budget.seconds:
            if choice is None:
                raise TimeBudgetError(
                    f"a time budget of {format_seconds(budget.seconds)} is too short on this machine: the smallest "
                    f"recipe ({rung}) needs {estimate} to paint, after {format_seconds(budget.spent)} spent "
                    f"starting; give at least {format_seconds(math.ceil(needed))}", needed)
            choice = dataclasses.replace(choice, next_rung=rung, next_needed=needed)
            break
        choice = BudgetChoice(rung, rung_settings, plan, estimate, budget.seconds, budget.spent)
    if choice is None:
        raise ValueError(f"not even the smallest recipe ({ladder[0]}) fits in this machine's memory")
    return _filled(choice, times, budget, lambda more: plan_run(content, style, more, mask=mask, model=model))


def _filled(choice: BudgetChoice, times: StepTimes, budget: TimeBudget, plan_with) -> BudgetChoice:
    """``choice`` with as many more evaluations as fit within ``FILL_FRACTION`` of the budget (at most
    the rung's own number again)."""
    width, height = choice.plan.result_size
    per_evaluation = budget.pairs * times.per_evaluation(width * height)
    room = FILL_FRACTION * budget.seconds - (budget.spent + choice.estimate.seconds + FINISH_SECONDS)
    extra = min(choice.rung.evaluations, int(room / per_evaluation)) if per_evaluation > 0 and room > 0 else 0
    if extra <= 0:
        return choice
    settings = dataclasses.replace(choice.settings, iterations=choice.rung.evaluations + extra)
    plan = plan_with(settings)
    estimate = estimate_plan(plan, times, pairs=budget.pairs, traced=budget.traced)
    return dataclasses.replace(choice, settings=settings, plan=plan, estimate=estimate)
