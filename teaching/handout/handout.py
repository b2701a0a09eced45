"""Draws the teacher's kit's one-page handout (A4) with matplotlib: pipeline, formulas, layers, weights, recipe.

``python tools/teaching_build.py handout`` saves it as ``teaching/handout.pdf``. Every value of
the recipe (layers, weights, Adam's settings, the means, the run profiles) is read from
``nst_plumbing.config``, the one place the code takes them from, so the page cannot disagree with
the code. Only APIs of matplotlib 3.8 are used; text is drawn with mathtext, no LaTeX needed.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from nst_plumbing.config import (BETA_1, CONTENT_LAYERS, CONTENT_WEIGHT, EPSILON, LEARNING_RATE, PROFILES,
                                 STYLE_LAYERS, STYLE_WEIGHT, VGG_MEAN_BGR)

A4_INCHES = (8.27, 11.69)
INK = "#1f2933"
MUTED = "#52606d"
ACCENT = "#2f6f9f"
BOX_FILL = {"image": "#e8f1f8", "vgg": "#fdf1dc", "loss": "#e9f5ec", "total": "#f8e5e5"}
BODY = 8.6  # points: legible when printed on A4
SMALL = 7.6


def power_of_ten(value: float) -> str:
    """``1e3`` as the mathtext ``10^{3}``.

    Args:
        value: A positive power of ten.

    Returns:
        The mathtext, without dollar signs.

    Raises:
        ValueError: ``value`` is not a power of ten.
    """
    exponent = round(math.log10(value)) if value > 0 else None
    if exponent is None or not math.isclose(value, 10.0 ** exponent, rel_tol=1e-9):
        raise ValueError(f"expected a power of ten, got {value!r}")
    return f"10^{{{exponent}}}"


def _box(ax, xy: tuple[float, float], size: tuple[float, float], text: str, kind: str) -> None:
    """A rounded box with centred text, in the axes' 0..1 coordinates (lower-left corner ``xy``)."""
    (x, y), (width, height) = xy, size
    ax.add_patch(FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0.004,rounding_size=0.012",
                                facecolor=BOX_FILL[kind], edgecolor=INK, linewidth=0.8, clip_on=False))
    ax.text(x + width / 2, y + height / 2, text, ha="center", va="center", fontsize=BODY, color=INK,
            linespacing=1.25)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], label: str = "",
           connection: str = "arc3") -> None:
    """An arrow from ``start`` to ``end`` with an optional label at its middle."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, linewidth=0.9, color=INK,
                                 connectionstyle=connection, shrinkA=1, shrinkB=1, clip_on=False))
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.025, label, ha="center", va="bottom",
                fontsize=SMALL, color=MUTED)


def draw_pipeline(ax) -> None:
    """The pipeline: three images, VGG19, the two losses, the total loss and the update of x."""
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    w, h = 0.17, 0.17
    _box(ax, (0.0, 0.76), (w, h), "content image $p$\n(the photo)", "image")
    _box(ax, (0.0, 0.42), (w, h), "generated image $x$\n(starts as $p$)", "image")
    _box(ax, (0.0, 0.08), (w, h), "style image $a$\n(the painting)", "image")
    _box(ax, (0.27, 0.08), (0.16, 0.85), "VGG19\nfixed ImageNet\nweights,\nnever trained", "vgg")
    _box(ax, (0.53, 0.70), (0.19, 0.23), "content loss\nat " + CONTENT_LAYERS[0], "loss")
    _box(ax, (0.53, 0.08), (0.19, 0.29), "style loss\nGram matrices at\n5 layers, 1/5 each", "loss")
    _box(ax, (0.81, 0.38), (0.19, 0.25), "total loss\n" + r"$\alpha\,\mathcal{L}_{content}$" + "\n"
         + r"$+\ \beta\,\mathcal{L}_{style}$", "total")
    for y in (0.845, 0.505, 0.165):
        _arrow(ax, (w, y), (0.27, y))
    _arrow(ax, (0.43, 0.845), (0.53, 0.845), "features $P$")
    _arrow(ax, (0.43, 0.555), (0.53, 0.76), "")
    _arrow(ax, (0.43, 0.455), (0.53, 0.30), "")
    _arrow(ax, (0.43, 0.165), (0.53, 0.165), "Grams $A$")
    ax.text(0.475, 0.58, "$F$", fontsize=SMALL, color=MUTED, ha="center")
    ax.text(0.475, 0.43, "$G$", fontsize=SMALL, color=MUTED, ha="center", va="top")
    _arrow(ax, (0.72, 0.815), (0.81, 0.60))
    _arrow(ax, (0.72, 0.225), (0.81, 0.41))
    # The update goes back to x below everything, then up through the gap between x and VGG19.
    route_x, route_y = (0.905, 0.905, 0.22, 0.22), (0.38, -0.02, -0.02, 0.45)
    ax.plot(route_x, route_y, color=ACCENT, linewidth=1.1, clip_on=False, solid_joinstyle="miter")
    ax.add_patch(FancyArrowPatch((0.22, 0.45), (0.17, 0.45), arrowstyle="-|>", mutation_scale=10, linewidth=1.1,
                                 color=ACCENT, shrinkA=0, shrinkB=1, clip_on=False))
    ax.text(0.56, -0.05, "update: the gradient of the total loss with respect to $x$ changes its pixels "
            "(Adam), clipped every step", ha="center", va="top", fontsize=SMALL, color=ACCENT, style="italic")


def draw_pipeline_figure() -> Figure:
    """The pipeline alone, wide, for the slides (the same drawing as on the handout).

    Returns:
        A figure the caller saves and closes.
    """
    fig = plt.figure(figsize=(8.8, 2.5))
    draw_pipeline(fig.add_axes((0.012, 0.16, 0.976, 0.82)))
    return fig


def _heading(fig: Figure, y: float, text: str, x: float = 0.06) -> None:
    fig.text(x, y, text, fontsize=10.5, weight="bold", color=ACCENT, va="baseline")


def _lines(fig: Figure, x: float, y: float, lines: list[str], step: float = 0.0185, size: float = BODY) -> float:
    """Writes ``lines`` downwards from ``y`` (figure coordinates); returns the y below the last one."""
    for line in lines:
        fig.text(x, y, line, fontsize=size, color=INK, va="baseline")
        y -= step
    return y


def draw_formulas(fig: Figure, top: float) -> None:
    """The four formulas the code computes (the article's normalisation), each with its name in the code."""
    _heading(fig, top, "The losses, as the code computes them (the article's normalisation)")
    rows = [
        (r"$\mathcal{L}_{content} = \dfrac{1}{N M}\sum_{i,j}\,(F_{ij} - P_{ij})^2$",
         f"content loss at {CONTENT_LAYERS[0]}: get_content_loss, a mean.\n"
         "F: the features of x, P: the photo's; M positions (rows) x N channels.\n"
         r"The paper uses $\frac{1}{2}\sum$ instead of the mean."),
        (r"$G = \dfrac{1}{M}\,F^{\mathrm{T}} F,\quad G_{ij} = \dfrac{1}{M}\sum_{p} F_{pi}F_{pj}$",
         "Gram matrix: gram_matrix, N x N: which channels are active\n"
         "together, wherever they are. The article divides by M;\n"
         "the paper does not."),
        (r"$E_l = \dfrac{1}{N_l^{2}}\sum_{i,j}\,(G^l_{ij} - A^l_{ij})^2,\quad"
         r" \mathcal{L}_{style} = \sum_{l=1}^{5} \dfrac{1}{5} E_l$",
         "style loss: get_style_loss per layer; A: the painting's Gram matrix,\n"
         r"computed once. The paper: $G$ not divided by $M$, and $1/(4N_l^2M_l^2)$;" "\n"
         r"the article's $E_l$ is exactly 4 times the paper's."),
        (r"$\mathcal{L}_{total} = \alpha\,\mathcal{L}_{content} + \beta\,\mathcal{L}_{style}$",
         "total loss: compute_loss, loss_weights = (style_weight, content_weight).\n"
         rf"The article: $\alpha$ = content_weight = {CONTENT_WEIGHT:g}," "\n"
         rf"$\beta$ = style_weight = {STYLE_WEIGHT:g}."),
    ]
    y = top - 0.040
    for formula, note in rows:
        fig.text(0.06, y, formula, fontsize=10, color=INK, va="center")
        fig.text(0.50, y, note, fontsize=SMALL, color=MUTED, va="center", linespacing=1.3)
        y -= 0.050


def draw_recipe(fig: Figure, top: float) -> None:
    """The layers and weights (left) and the optimisation recipe with the run profiles (right)."""
    _heading(fig, top, "Layers and weights")
    ratio = power_of_ten(CONTENT_WEIGHT / STYLE_WEIGHT)
    _lines(fig, 0.06, top - 0.026, [
        f"content layer: {', '.join(CONTENT_LAYERS)} (weight 1)",
        f"style layers ({len(STYLE_LAYERS)}, weighted equally, 1/{len(STYLE_LAYERS)} each):",
        *[f"      {name}" for name in STYLE_LAYERS],
        rf"$\alpha = {power_of_ten(CONTENT_WEIGHT)}$  (content_weight = {CONTENT_WEIGHT:g})",
        rf"$\beta = {power_of_ten(STYLE_WEIGHT)}$  (style_weight = {STYLE_WEIGHT:g})",
        rf"$\alpha/\beta = {ratio}$: essentially only the ratio matters",
        "(Adam ignores the overall scale of the gradient)",
    ])
    means = ", ".join(f"{value:g}" for value in VGG_MEAN_BGR)
    _heading(fig, top, "Preprocessing and optimisation", x=0.52)
    _lines(fig, 0.52, top - 0.026, [
        "VGG19's input: RGB to BGR, ImageNet mean subtracted,",
        f"      B, G, R = {means}; no scaling (0..255)",
        "start from the photo: x = p (the paper starts from noise)",
        f"Adam: learning rate {LEARNING_RATE:g}, beta_1 {BETA_1:g}, epsilon {EPSILON:g}",
        "gradient of the total loss with respect to the image",
        "      (tf.GradientTape); VGG19's weights stay fixed",
        "clip after every step to -mean .. 255 - mean (per channel)",
        "keep the best image: the one whose loss was computed,",
        "      from before the update",
    ])


def draw_profiles_and_places(fig: Figure, top: float) -> None:
    """The run profiles (sizes and iterations) and where things are in the repository."""
    _heading(fig, top, "Run profiles")
    article, series, test = PROFILES["gpu"], PROFILES["cpu"], PROFILES["test"]
    _lines(fig, 0.06, top - 0.026, [
        f"gpu, the article: {article.iterations} Adam iterations at {article.max_dim} px",
        f"cpu, the series: {series.iterations} Adam iterations at {series.max_dim} px:",
        "      a clearly stylised result in minutes on a 2-core CPU",
        f"test: {test.iterations} iterations at {test.max_dim} px, seconds (the tests, slow rooms)",
        "choose with NST_PROFILE=cpu before starting Jupyter;",
        "      notebook 05 prints an estimate before its long runs",
    ])
    _heading(fig, top, "Where things are in the repository", x=0.52)
    _lines(fig, 0.52, top - 0.026, [
        "notebooks/01-05: the article, step by step",
        "notebooks/06-09: gallery; L-BFGS, TV, bfloat16; controls; fast",
        "nst_helpers.py: the article's functions (gram_matrix, ...)",
        "nst_plumbing/config.py: layers, weights, Adam, profiles",
        "python -m nst_cli: the command line (-h for its options)",
        "teaching/: README (timings, plans), solutions, slides",
    ])


def draw_handout() -> Figure:
    """The whole page: title, pipeline, formulas, recipe, profiles and places.

    Returns:
        An A4 portrait figure; the caller saves it (``tools/teaching_build.py``) and closes it.
    """
    fig = plt.figure(figsize=A4_INCHES)
    fig.text(0.06, 0.955, "Neural style transfer: the one-page summary", fontsize=16, weight="bold", color=INK)
    fig.text(0.06, 0.935, "Gatys, Ecker and Bethge, A Neural Algorithm of Artistic Style (2015, arXiv:1508.06576),\n"
             "as Raymond Yuan's TensorFlow article teaches it, in the series' notebooks 01 to 05.", fontsize=BODY,
             color=MUTED, va="top", linespacing=1.35)
    _heading(fig, 0.885, "The pipeline")
    draw_pipeline(fig.add_axes((0.06, 0.675, 0.88, 0.195)))
    draw_formulas(fig, 0.630)
    draw_recipe(fig, 0.394)
    draw_profiles_and_places(fig, 0.160)
    fig.text(0.5, 0.022, "Built by python tools/teaching_build.py handout from teaching/handout/handout.py; "
             "the values come from nst_plumbing/config.py.", fontsize=6.8, color=MUTED, ha="center")
    return fig
