"""Prints the run-time estimate against the measured time of whole commands, and what --time chooses.

    python tools/time_benchmark.py                          # estimates at 128, 256, 384 px; --time 30, 60, 120
    python tools/time_benchmark.py --float32-emulated       # the same in float32, oneDNN limited to AVX2
    python tools/time_benchmark.py --ladder                 # paints every rung: outputs/ladder.png (committed
                                                            # as media/gallery/ladder.png)

Each run is the command line itself (``python -m nst_cli``) in a fresh process, in the cpu profile,
so the measured time is what a user waits for: Python's and TensorFlow's start, the model, the
tracing, every evaluation and the saved picture. The weights are de-quantised beforehand, and the
machine's step times are measured once beforehand (a first run), so every run after it reads
them from the cache, as every run after a user's first does.

The estimate is the command's own "about N s in all" line, printed before it paints. Error =
estimate / measured - 1. ``--float32-emulated`` sets ``ONEDNN_MAX_CPU_ISA=AVX2`` and
``--precision float32``: on a CPU with AMX this stands in for one without it (most laptops and
Colab's CPU runtime), and is labelled as emulated; the step times are cached under their own key.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from nst_plumbing.config import MEDIA_DIR, OUTPUTS_DIR, quiet_tensorflow_logs  # noqa: E402
from nst_plumbing.device import cpu_description  # noqa: E402

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"
_IN_ALL = re.compile(r"about (?:(\d+) h )?(?:(\d+) min ?)?(?:(\d+) s)? in all")
_FITS = re.compile(r"fits (\d+) px, (\d+) L-BFGS evaluations(?:, and (\d+) more)?")


def _seconds(found: re.Match) -> float:
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return 3600 * hours + 60 * minutes + seconds


def run_command(options: list[str], emulated: bool, output: Path) -> dict:
    """Runs the command line once in a fresh process; returns its wall time, estimate and choice."""
    env = {**os.environ, "NST_PROFILE": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if emulated:
        env["ONEDNN_MAX_CPU_ISA"] = "AVX2"
        options = [*options, "--precision", "float32"]
    command = [sys.executable, "-m", "nst_cli", str(CONTENT), str(STYLE), "-o", str(output), "--force",
               "--seed", "0", *options]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return {"wall": wall, "error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    estimate, fits = _IN_ALL.search(done.stdout), _FITS.search(done.stdout)
    return {"wall": wall, "estimate": _seconds(estimate) if estimate else None,
            "rung": f"{fits.group(1)} px, {int(fits.group(2)) + int(fits.group(3) or 0)} evaluations" if fits else None}


def estimate_errors(sizes: list[int], emulated: bool, folder: Path) -> None:
    """The estimate against the measured time, at each size, with the cpu recipe's 200 evaluations."""
    print(f"\nEstimate against measured, whole command (L-BFGS, 200 evaluations, crab x Great Wave), "
          f"{'float32, emulated without AMX' if emulated else 'precision auto'}:")
    print(f"{'size':>6} {'estimated':>10} {'measured':>9} {'error':>7}")
    for size in sizes:
        run = run_command(["--max-dim", str(size)], emulated, folder / f"size_{size}.png")
        if "error" in run:
            print(f"{size:>6} failed: {run['error']}")
            continue
        print(f"{size:>6} {run['estimate']:>9.0f}s {run['wall']:>8.1f}s {run['estimate'] / run['wall'] - 1:>+7.0%}")


def time_budgets(budgets: list[str], emulated: bool, folder: Path) -> None:
    """What ``--time`` chooses for each budget, and how long the command then takes."""
    print(f"\n--time: the rung chosen and the whole command's time "
          f"({'float32, emulated without AMX' if emulated else 'precision auto'}):")
    print(f"{'budget':>7} {'chosen':>22} {'estimated':>10} {'measured':>9} {'measured/budget':>16}")
    for budget in budgets:
        run = run_command(["--time", budget], emulated, folder / f"time_{budget}.png")
        if "error" in run:
            print(f"{budget:>7} refused in {run['wall']:.1f} s: {run['error']}")
            continue
        from nst_plumbing.checks import parse_duration

        print(f"{budget:>7} {run['rung']:>22} {run['estimate']:>9.0f}s {run['wall']:>8.1f}s "
              f"{run['wall'] / parse_duration(budget):>16.2f}")


def ladder_pictures(emulated: bool, folder: Path, largest: int) -> None:
    """Paints every rung of the ladder up to ``largest`` px and lays them side by side."""
    quiet_tensorflow_logs()  # the ladder's module imports TensorFlow
    from nst_extended.budget import LADDER
    from nst_plumbing.display import side_by_side
    from nst_plumbing.images import read_image, save_image

    panels = []
    print("\nThe ladder's pictures (crab x Great Wave, cpu profile's total variation weight):")
    for rung in (rung for rung in LADDER if rung.max_dim <= largest):
        output = folder / f"rung_{rung.max_dim}.png"
        run = run_command(["--max-dim", str(rung.max_dim), "--iterations", str(rung.evaluations),
                           "--optimizer", "lbfgs"], emulated, output)
        if "error" in run:
            print(f"  {rung}: failed: {run['error']}")
            continue
        print(f"  {rung}: {run['wall']:.1f} s in all")
        panels.append((f"{rung.max_dim} px, {rung.evaluations} evaluations", read_image(output)))
    OUTPUTS_DIR.mkdir(exist_ok=True)
    save_image(side_by_side(panels), OUTPUTS_DIR / "ladder.png", force=True)
    print(f"  side by side: {OUTPUTS_DIR / 'ladder.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[128, 256, 384], help="none: skip the estimates")
    parser.add_argument("--budgets", nargs="+", default=["30", "60", "120"])
    parser.add_argument("--float32-emulated", action="store_true", help="float32 with oneDNN limited to AVX2")
    parser.add_argument("--ladder", action="store_true", help="paint every rung and lay them side by side")
    parser.add_argument("--largest", type=int, default=512, help="--ladder: the largest rung to paint")
    args = parser.parse_args()
    emulated = args.float32_emulated
    isa = " (emulated: oneDNN limited to AVX2)" if emulated else ""
    print(f"CPU: {cpu_description()}{isa}; the cpu profile; every figure a whole `python -m nst_cli` command")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if args.ladder:
            ladder_pictures(emulated, folder, args.largest)
            return
        first = run_command(["--max-dim", "128", "--iterations", "2"], emulated, folder / "first.png")
        print(f"First run (weights ready, step times measured if not cached): {first['wall']:.1f} s")
        if args.sizes:
            estimate_errors(args.sizes, emulated, folder)
        time_budgets(args.budgets, emulated, folder)


if __name__ == "__main__":
    main()
