"""The command line's fast path, ``--method fast``: each photo painted by a trained network in one pass.

    python -m nst_cli --method fast CONTENT NETWORK -o OUT.png
    python -m nst_cli --method fast -c C1 C2 ... -s NETWORK1 NETWORK2 ... -o OUT_DIR

A NETWORK is a committed network's name (``great_wave``, ``starry_night``) or a
``NAME.weights.h5`` file that ``tools/train_fast.py`` wrote, beside its ``NAME.json``. Only
weights are read, never code. The options that steer an optimisation (its size ladder, its
iterations, its losses, colour and region controls) mean nothing to a trained network and are
refused by name; ``--max-dim`` sets the size, by default the profile's.
"""

from __future__ import annotations

import argparse
import time

import nst_cli.batch as nst_batch
from nst_plumbing.config import BATCH_RECORD, CONTACT_SHEET, CONTENT_WEIGHT, STYLE_WEIGHT

__all__ = ["check_fast_options", "run_fast"]


def check_fast_options(args: argparse.Namespace, usage_error: type[Exception]) -> None:
    """Refuses, by name, every option that only an optimisation uses."""
    given = [option for option, value in (
        ("--time", args.time), ("--scales", args.scales), ("--iterations", args.iterations),
        ("--optimizer", args.optimizer), ("--tv-weight", args.tv_weight), ("--preserve-colors", args.preserve_colors),
        ("--style-blend-weights", args.style_blend_weights), ("--mask", args.mask), ("--seed", args.seed),
        ("--eager", args.eager or None), ("--style-scale", None if args.style_scale == 1 else args.style_scale),
        ("--content-weight", None if args.content_weight == CONTENT_WEIGHT else args.content_weight),
        ("--style-weight", None if args.style_weight == STYLE_WEIGHT else args.style_weight),
        ("--weights", None if args.weights == "auto" else args.weights),
        ("--precision", None if args.precision == "auto" else args.precision)) if value is not None]
    if given:
        raise usage_error(f"--method fast paints with a trained network, so {', '.join(given)} "
                          f"{'does' if len(given) == 1 else 'do'} not apply; drop {'it' if len(given) == 1 else 'them'}, "
                          "or use --method optimize")
    if len(args.pair) > 2:
        raise usage_error("--method fast paints one result with one network: CONTENT NETWORK -o OUT.png")
    from nst_plumbing.images import check_max_dim

    try:
        check_max_dim(args.max_dim)
    except ValueError as exc:
        raise usage_error(str(exc).replace("max_dim", "--max-dim")) from None


def _style_thumbnail(net, about: dict, first_photo):
    """The style image a network was trained on, for the contact sheet; its painting of the first photo if that
    file is gone."""
    import nst_extended
    from nst_plumbing.config import MEDIA_DIR
    from nst_plumbing.images import read_image

    style = MEDIA_DIR / str(about.get("training", {}).get("style", ""))
    return read_image(style, 256) if style.is_file() and style.suffix else nst_extended.paint_with(net, first_photo)


def run_fast(args: argparse.Namespace, plan, stem, write_contact_sheet) -> int:
    """Paints every pair of ``plan`` with its network; returns the exit code.

    ``stem`` names an image or network; ``write_contact_sheet(args, plan, contents, styles)`` is the
    command line's own, given the photos and each network's style image.

    Raises:
        FileNotFoundError, ValueError: A network or photo is missing or unreadable (before any painting).
    """
    import nst_extended
    import nst_helpers as nst
    from nst_extended.fast import network_path
    from nst_plumbing.images import save_image

    profile = nst.get_profile(args.profile)
    max_dim = args.max_dim or profile.command_line.scales[-1]
    names = sorted({pair.styles[0] for pair in plan.pairs})
    networks = {name: nst_extended.load_network(name) for name in names}  # a bad file fails before any work
    photos = {pair.content: nst.load_img(pair.content, max_dim) for pair in plan.pairs}
    todo = [pair for pair in plan.pairs if args.force or not (plan.batch and pair.output.exists())]
    print(f"This run: fast style transfer, one pass of a trained network per photo, at {max_dim} px; "
          f"on {nst.device_name()}.")
    if plan.batch:
        print(f"{len(plan.pairs)} pairs: {len(plan.pairs) - len(todo)} already done (skipped), {len(todo)} to paint.")
    for pair in todo:
        net, about = networks[pair.styles[0]]
        started = time.perf_counter()
        painting = nst_extended.paint_with(net, photos[pair.content])
        seconds = time.perf_counter() - started
        save_image(painting, pair.output, args.force)
        height, width = painting.shape[:2]
        print(f"Saved {pair.output} ({width}x{height}) | {stem(pair.content)} x {stem(pair.styles[0])} in "
              f"{seconds:.2f} s", flush=True)
        if plan.batch:
            nst_batch.update_record(plan.output / BATCH_RECORD, pair.output.name, {
                "content": pair.content, "style": pair.styles[0], "method": "fast", "size": [width, height],
                "seconds": round(seconds, 3), "network": str(network_path(pair.styles[0])),
                "device": nst.device_name(), "worker": nst_batch.worker_id()})
    if plan.batch:
        first_photo = photos[args.content[0]]
        write_contact_sheet(args, plan, photos, {name: _style_thumbnail(net, about, first_photo)
                                                 for name, (net, about) in networks.items()})
        done = sum(pair.output.exists() for pair in plan.pairs)
        print(f"Batch done: {done}/{len(plan.pairs)} pairs in {plan.output}; contact sheet "
              f"{plan.output / CONTACT_SHEET}")
    return 0
