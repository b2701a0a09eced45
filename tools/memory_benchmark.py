"""Prints the memory estimate against the measured peak of real runs, size by size.

    python tools/memory_benchmark.py [--sizes 128 256 512 768 1024] [--iterations 3]

Each size runs in a fresh subprocess (so that one size's peak cannot hide another's): it imports
TensorFlow, builds the model with real weights, reads the crab and the Great Wave at that size
and runs a few Adam iterations, compiled, as the command line does. On CPU the measured peak is
the whole process's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), which
is what ``nst_plumbing.memory`` estimates and what must fit in RAM; the table also shows the process
after importing TensorFlow and building the model. On a GPU it is TensorFlow's peak allocation
on the card (``tf.config.experimental.get_memory_info("GPU:0")["peak"]``).

The estimate is ``nst_plumbing.memory.estimate_peak_memory`` for the larger of the two images, as
``nst_helpers.check_memory_fits`` computes it before a run. Ratio = estimated / measured: above
1 the estimate is on the safe side. The machine is named, as figures differ between machines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from nst_plumbing.config import MEDIA_DIR, quiet_tensorflow_logs  # noqa: E402

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure_one(size: int, iterations: int) -> dict:
    """Runs one size in this process and returns what it measured (called in a subprocess)."""
    quiet_tensorflow_logs()
    import tensorflow as tf

    import nst_extended as extended
    import nst_helpers as nst

    gpu = bool(tf.config.list_physical_devices("GPU"))
    model = nst.get_model(verbose=False)
    after_model = _peak_rss()
    content, style = nst.load_img(CONTENT, size), nst.load_img(STYLE, size)
    if gpu:
        tf.config.experimental.reset_memory_stats("GPU:0")
    extended.run_style_transfer(content, style, extended.Settings(iterations, check_memory=False), model=model)
    peak = tf.config.experimental.get_memory_info("GPU:0")["peak"] if gpu else _peak_rss()
    return {"size": size, "device": "gpu" if gpu else "cpu", "device_name": nst.device_name(),
            "content": list(content.shape[1:3]), "style": list(style.shape[1:3]), "after_model": after_model,
            "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 768, 1024])
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one is not None:
        print("RESULT " + json.dumps(measure_one(args.one, args.iterations)))
        return

    from nst_plumbing import memory as nst_memory
    from nst_plumbing.images import image_size

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"))
    header = (f"{'max_dim':>7}  {'image (larger)':>14}  {'estimated':>10}  {'measured peak':>13}  {'ratio':>5}  "
              f"{'after model':>11}")
    printed = False
    for size in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(size), "--iterations", str(args.iterations)],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(f"{size:>7}  failed (exit code {done.returncode}): {done.stderr.strip()[-300:]}")
            continue
        row = json.loads(lines[-1][len("RESULT "):])
        if not printed:
            print(f"device: {row['device_name']}; {args.iterations} Adam iterations, compiled, float32; "
                  f"measured: {'peak RSS of the whole process' if row['device'] == 'cpu' else 'peak GPU allocation'}")
            print(header)
            printed = True
        width, height = max((image_size(CONTENT, size), image_size(STYLE, size)), key=lambda wh: wh[0] * wh[1])
        estimate = nst_memory.estimate_peak_memory(height, width, device=row["device"])
        print(f"{size:>7}  {f'{width}x{height}':>14}  {estimate.total / 2**20:>6.0f} MiB  "
              f"{row['peak'] / 2**20:>9.0f} MiB  {estimate.total / row['peak']:>5.2f}  "
              f"{row['after_model'] / 2**20:>7.0f} MiB")


if __name__ == "__main__":
    main()
