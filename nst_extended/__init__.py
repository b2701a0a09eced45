"""Above the lesson: the extended run (L-BFGS, coarse to fine, total variation, bfloat16, the controls).

Built on ``nst_helpers`` (the lesson) and ``nst_plumbing`` (below it). Notebooks 06 to 08 use it
as ``import nst_extended as extended``:

    result = extended.run_style_transfer(content, style, extended.Settings(optimizer="lbfgs", tv_weight=1e4))

Its parts, each a module: ``settings`` (the options, checked), ``plan`` (every check, the sizes,
the precision and the memory estimate, before any work), ``targets``, ``loss`` (one loss built
from terms), ``optimizers`` (Adam, L-BFGS and the ``Recorder``), ``precision``, ``controls``
(colour, blends, regions, the style's scale), ``run`` (the levels, coarse to fine), ``timing``
(how long a plan takes on this machine, measured here), ``budget`` (the largest recipe that
fits a time budget), and for fast style transfer ``transform_net`` (Johnson et al.'s network),
``net_files`` (a trained one on disk, weights only), ``training_data`` (the photos and their
random crops), ``training`` (the training, with ``training_checkpoints``) and ``fast`` (painting
with a network, and scoring it against optimisation).

Each name is imported from its module when it is first used, so importing a part (say
``nst_extended.settings``) does not load the others, and no part imports the package back.
"""

import importlib

# Each public name and the module that defines it.
_MODULES = {
    "Settings": "nst_extended.settings",
    "SettingError": "nst_extended.settings",
    "Plan": "nst_extended.plan",
    "plan_run": "nst_extended.plan",
    "run_style_transfer": "nst_extended.run",
    "paint": "nst_extended.run",
    "StyleTargets": "nst_extended.loss",
    "compute_targets": "nst_extended.targets",
    "color_controlled": "nst_extended.targets",
    "LossWeights": "nst_extended.loss",
    "guided_gram_matrix": "nst_extended.loss",
    "get_guided_style_loss": "nst_extended.loss",
    "content_term": "nst_extended.loss",
    "style_term": "nst_extended.loss",
    "total_loss": "nst_extended.loss",
    "loss_and_grads": "nst_extended.loss",
    "compiled_loss_and_grads": "nst_extended.loss",
    "Recorder": "nst_extended.optimizers",
    "NetSpec": "nst_extended.transform_net",
    "build_transform_net": "nst_extended.transform_net",
    "save_transform_net": "nst_extended.net_files",
    "load_transform_net": "nst_extended.net_files",
    "FAST_CONTENT_WEIGHT": "nst_extended.training",
    "TrainingSettings": "nst_extended.training",
    "TrainingProgress": "nst_extended.training",
    "train": "nst_extended.training",
    "Augment": "nst_extended.training_data",
    "TRAINING_PHOTOS": "nst_extended.training_data",
    "HELD_OUT_PHOTOS": "nst_extended.training_data",
    "training_batch": "nst_extended.training_data",
    "COMMITTED_NETWORKS": "nst_extended.fast",
    "load_network": "nst_extended.fast",
    "paint_with": "nst_extended.fast",
    "SeriesLosses": "nst_extended.fast",
    "series_losses": "nst_extended.fast",
    "evaluations_to_reach": "nst_extended.fast",
    "adam": "nst_extended.optimizers",
    "lbfgs": "nst_extended.optimizers",
    "preferred_precision": "nst_extended.precision",
    "resolve_precision": "nst_extended.precision",
    "model_precision": "nst_extended.precision",
    "build_models": "nst_extended.precision",
    "rgb_to_ycbcr": "nst_extended.controls",
    "ycbcr_to_rgb": "nst_extended.controls",
    "luminance": "nst_extended.controls",
    "to_grey": "nst_extended.controls",
    "match_luminance": "nst_extended.controls",
    "keep_colors": "nst_extended.controls",
    "match_color_histogram": "nst_extended.controls",
    "blend_weights": "nst_extended.controls",
    "read_regions": "nst_extended.controls",
    "style_side": "nst_extended.controls",
    "StepTimes": "nst_extended.timing",
    "RunEstimate": "nst_extended.timing",
    "machine_key": "nst_extended.timing",
    "measure_step_times": "nst_extended.timing",
    "step_times": "nst_extended.timing",
    "estimate_plan": "nst_extended.timing",
    "estimate_run": "nst_extended.timing",
    "format_seconds": "nst_extended.timing",
    "Rung": "nst_extended.budget",
    "LADDER": "nst_extended.budget",
    "TimeBudget": "nst_extended.budget",
    "TimeBudgetError": "nst_extended.budget",
    "BudgetChoice": "nst_extended.budget",
    "parse_duration": "nst_extended.budget",
    "fit_to_budget": "nst_extended.budget",
}
__all__ = list(_MODULES)


def __getattr__(name: str):
    """The public name ``name``, imported from its module on first use."""
    if name not in _MODULES:
        raise AttributeError(f"module 'nst_extended' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})
