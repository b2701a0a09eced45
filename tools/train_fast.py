"""Trains a fast-style-transfer network on one style image, resuming from its checkpoints after any interruption.

    python tools/train_fast.py media/great_wave.jpg -o media/networks/great_wave.weights.h5

Writes ``NAME.weights.h5`` (weights only) and ``NAME.json`` (the architecture and the training
record: settings, steps, time, machine, loss curve), which ``python -m nst_cli --method fast``
and notebook 09 load. Checkpoints go to ``outputs/training/NAME/`` every ``--checkpoint-every``
steps and when the run is stopped (Ctrl+C); the same command resumes from them. A larger
``--steps`` trains a finished network further. Under one ``--seed`` a training repeats itself
(tests/test_training.py). An existing network file is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst_plumbing.config import OUTPUTS_DIR, PRECISIONS, quiet_tensorflow_logs  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    from nst_extended.training import TrainingSettings

    defaults = TrainingSettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("style", help="the style image")
    parser.add_argument("-o", "--output", required=True, type=Path, help="NAME.weights.h5 to write")
    parser.add_argument("--steps", type=int, default=defaults.steps, help="Adam steps in all (default %(default)s)")
    parser.add_argument("--batch", type=int, default=defaults.batch, help="photos per step (default %(default)s)")
    parser.add_argument("--crop", type=int, default=defaults.augment.crop, help="crop side in px (default %(default)s)")
    parser.add_argument("--width", type=int, default=defaults.net.width,
                        help="channels of the network's first layer (default %(default)s; Johnson et al.: 32)")
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--content-weight", type=float, default=defaults.content_weight,
                        help="weight of the content loss (default %(default)g: 50 times the article's, "
                             "so that the network keeps the photo)")
    parser.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    parser.add_argument("--style-side", type=int, default=defaults.style_side,
                        help="the style's longest side for its Gram matrices, the size the network is judged at")
    parser.add_argument("--precision", choices=PRECISIONS, default=defaults.precision, help="VGG19's precision")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every, metavar="STEPS")
    parser.add_argument("--checkpoint-dir", type=Path, help="default: outputs/training/NAME/")
    parser.add_argument("-f", "--force", action="store_true", help="replace an existing network file")
    return parser


def settings_from(args: argparse.Namespace):
    """The ``TrainingSettings`` the options describe."""
    import dataclasses

    from nst_extended.training import TrainingSettings

    defaults = TrainingSettings()
    return dataclasses.replace(defaults, steps=args.steps, batch=args.batch, learning_rate=args.learning_rate,
                               content_weight=args.content_weight, tv_weight=args.tv_weight,
                               style_side=args.style_side, precision=args.precision, seed=args.seed,
                               checkpoint_every=args.checkpoint_every,
                               net=dataclasses.replace(defaults.net, width=args.width),
                               augment=dataclasses.replace(defaults.augment, crop=args.crop))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from nst_extended.net_files import WEIGHTS_SUFFIX, description_path, save_transform_net

    try:
        description_path(args.output)
        settings = settings_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    if args.output.exists() and not args.force:
        parser.error(f"{args.output} exists; add --force to replace it (its checkpoints resume without it)")
    if not Path(args.style).is_file():
        parser.error(f"style image not found: {args.style}")
    quiet_tensorflow_logs()
    from tqdm import tqdm

    from nst_extended.training import train
    from nst_plumbing.device import cpu_description

    name = args.output.name[:-len(WEIGHTS_SUFFIX)]
    checkpoints = args.checkpoint_dir or OUTPUTS_DIR / "training" / name
    print(f"Training {name} on {cpu_description()}; checkpoints in {checkpoints}", flush=True)
    from nst_extended.timing import format_seconds

    bar = tqdm(total=settings.steps, dynamic_ncols=True, bar_format="{l_bar}{bar}| {n}/{total} steps{postfix}")

    def show(progress) -> None:
        bar.n = progress.step
        bar.set_postfix_str(f"loss {progress.losses[0]:.3g}, {format_seconds(progress.seconds_left)} left",
                            refresh=True)

    try:
        training = train(args.style, settings, checkpoint_dir=checkpoints, progress=show)
    except KeyboardInterrupt:
        bar.close()
        print(f"\nStopped; the same command resumes from {checkpoints}.", file=sys.stderr)
        return 130
    except ValueError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    save_transform_net(training.net, args.output, about={"training": training.record})
    minutes = training.record["seconds"] / 60
    print(f"Wrote {args.output} and {description_path(args.output).name}: {training.record['steps']} steps "
          f"in {minutes:.1f} min, last loss {training.record['curve']['total'][-1:] or '?'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
