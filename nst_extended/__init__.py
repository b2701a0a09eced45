"""Above the lesson: the extended run (L-BFGS, coarse to fine, total variation, bfloat16, the controls).

Built on ``nst_helpers`` (the lesson) and ``nst_plumbing`` (below it). Notebooks 06 to 08 use it
as ``import nst_extended as extended``:

    result = extended.run_style_transfer(content, style, extended.Settings(optimizer="lbfgs", tv_weight=1e4))

Its parts, each a module: ``settings`` (the options, checked), ``plan`` (every check, the sizes,
the precision and the memory estimate, before any work), ``targets``, ``loss`` (one loss built
from terms), ``optimizers`` (Adam, L-BFGS and the ``Recorder``), ``precision``, ``controls``
(colour, blends, regions, the style's scale) and ``run`` (the levels, coarse to fine).
"""

from nst_extended.controls import (blend_weights, keep_colors, luminance, match_color_histogram, match_luminance,
                                   read_regions, rgb_to_ycbcr, style_side, to_grey, ycbcr_to_rgb)
from nst_extended.loss import (LossWeights, StyleTargets, compiled_loss_and_grads, content_term, get_guided_style_loss,
                               guided_gram_matrix, loss_and_grads, style_term, total_loss)
from nst_extended.optimizers import Recorder, adam, lbfgs
from nst_extended.plan import Plan, plan_run
from nst_extended.precision import build_models, model_precision, preferred_precision, resolve_precision
from nst_extended.run import paint, run_style_transfer
from nst_extended.settings import SettingError, Settings
from nst_extended.targets import color_controlled, compute_targets

__all__ = [
    "Settings", "SettingError", "Plan", "plan_run", "run_style_transfer", "paint",
    "StyleTargets", "compute_targets", "color_controlled",
    "LossWeights", "guided_gram_matrix", "get_guided_style_loss", "content_term", "style_term", "total_loss",
    "loss_and_grads", "compiled_loss_and_grads",
    "Recorder", "adam", "lbfgs",
    "preferred_precision", "resolve_precision", "model_precision", "build_models",
    "rgb_to_ycbcr", "ycbcr_to_rgb", "luminance", "to_grey", "match_luminance", "keep_colors",
    "match_color_histogram", "blend_weights", "read_regions", "style_side",
]
