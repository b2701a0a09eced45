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
    _box(ax, (0.0, 0.76), (w, h), "콘텐츠 이미지 (사진)\n$p$", "image")
    _box(ax, (0.0, 0.42), (w, h), "생성 이미지 (시작:\n$x$ = $p$)", "image")
    _box(ax, (0.0, 0.08), (w, h), "스타일 이미지 (그림)\n$a$", "image")
    _box(ax, (0.27, 0.08), (0.16, 0.85), "VGG19\n고정된 ImageNet\n가중치,\n훈련하지 않음", "vgg")
    _box(ax, (0.53, 0.70), (0.19, 0.23), "콘텐츠 손실\n계층 " + CONTENT_LAYERS[0], "loss")
    _box(ax, (0.53, 0.08), (0.19, 0.29), "스타일 손실\n5개 계층의\n그람 행렬, 각 1/5", "loss")
    _box(ax, (0.81, 0.38), (0.19, 0.25), "총 손실\n" + r"$\alpha\,\mathcal{L}_{content}$" + "\n"
         + r"$+\ \beta\,\mathcal{L}_{style}$", "total")
    for y in (0.845, 0.505, 0.165):
        _arrow(ax, (w, y), (0.27, y))
    _arrow(ax, (0.43, 0.845), (0.53, 0.845), "특징\n$P$")
    _arrow(ax, (0.43, 0.555), (0.53, 0.76), "")
    _arrow(ax, (0.43, 0.455), (0.53, 0.30), "")
    _arrow(ax, (0.43, 0.165), (0.53, 0.165), "그람 행렬\n$A$")
    ax.text(0.475, 0.58, "$F$", fontsize=SMALL, color=MUTED, ha="center")
    ax.text(0.475, 0.43, "$G$", fontsize=SMALL, color=MUTED, ha="center", va="top")
    _arrow(ax, (0.72, 0.815), (0.81, 0.60))
    _arrow(ax, (0.72, 0.225), (0.81, 0.41))
    # The update goes back to x below everything, then up through the gap between x and VGG19.
    route_x, route_y = (0.905, 0.905, 0.22, 0.22), (0.38, -0.02, -0.02, 0.45)
    ax.plot(route_x, route_y, color=ACCENT, linewidth=1.1, clip_on=False, solid_joinstyle="miter")
    ax.add_patch(FancyArrowPatch((0.22, 0.45), (0.17, 0.45), arrowstyle="-|>", mutation_scale=10, linewidth=1.1,
                                 color=ACCENT, shrinkA=0, shrinkB=1, clip_on=False))
    ax.text(0.56, -0.05, "갱신: x에 대한 총 손실의 기울기로 x의 픽셀을 바꾸고"
            "(Adam), 매 스텝 잘라 냄(클리핑)", ha="center", va="top", fontsize=SMALL, color=ACCENT, style="italic")


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
    _heading(fig, top, "코드가 계산하는 손실 (원글의 정규화)")
    rows = [
        (r"$\mathcal{L}_{content} = \dfrac{1}{N M}\sum_{i,j}\,(F_{ij} - P_{ij})^2$",
         f"{CONTENT_LAYERS[0]}에서의 콘텐츠 손실: get_content_loss, 평균. F: x의 특징,\n"
         "P: 사진의 특징. M개 위치(행) x N개 채널. 논문은 평균 대신 다음을 씀:\n"
         r"$\frac{1}{2}\sum$"),
        (r"$G = \dfrac{1}{M}\,F^{\mathrm{T}} F,\quad G_{ij} = \dfrac{1}{M}\sum_{p} F_{pi}F_{pj}$",
         "그람 행렬: gram_matrix, N x N. 위치와 상관없이 어떤 채널들이\n"
         "함께 활성화되는지를 담음. 원글은 M으로 나누고,\n"
         "논문은 나누지 않음."),
        (r"$E_l = \dfrac{1}{N_l^{2}}\sum_{i,j}\,(G^l_{ij} - A^l_{ij})^2,\quad"
         r" \mathcal{L}_{style} = \sum_{l=1}^{5} \dfrac{1}{5} E_l$",
         "스타일 손실: 계층마다 get_style_loss. A: 그림의 그람 행렬, 한 번만 계산.\n"
         "원글의 Eₗ은 논문의 정확히 4배. 논문: G를 M으로 나누지 않고 이 계수를 씀:" "\n"
         r"$1/(4N_l^2M_l^2)$"),
        (r"$\mathcal{L}_{total} = \alpha\,\mathcal{L}_{content} + \beta\,\mathcal{L}_{style}$",
         "총 손실: compute_loss, loss_weights = (style_weight, content_weight).\n" "원글의 가중치:\n"
         rf"$\alpha$ = content_weight = {CONTENT_WEIGHT:g}," "  "
         rf"$\beta$ = style_weight = {STYLE_WEIGHT:g}."),
    ]
    y = top - 0.040
    for formula, note in rows:
        fig.text(0.06, y, formula, fontsize=10, color=INK, va="center")
        fig.text(0.50, y, note, fontsize=SMALL, color=MUTED, va="center", linespacing=1.3)
        y -= 0.050


def draw_recipe(fig: Figure, top: float) -> None:
    """The layers and weights (left) and the optimisation recipe with the run profiles (right)."""
    _heading(fig, top, "계층과 가중치")
    ratio = power_of_ten(CONTENT_WEIGHT / STYLE_WEIGHT)
    _lines(fig, 0.06, top - 0.026, [
        f"콘텐츠 계층: {', '.join(CONTENT_LAYERS)} (가중치 1)",
        f"스타일 계층 ({len(STYLE_LAYERS)}개, 같은 가중치, 각 1/{len(STYLE_LAYERS)}):",
        *[f"      {name}" for name in STYLE_LAYERS],
        rf"$\alpha = {power_of_ten(CONTENT_WEIGHT)}$  (content_weight = {CONTENT_WEIGHT:g})",
        rf"$\beta = {power_of_ten(STYLE_WEIGHT)}$  (style_weight = {STYLE_WEIGHT:g})",
        rf"$\alpha/\beta = {ratio}$",
        "사실상 이 비율만 중요 (Adam은 기울기의 전체 크기를 무시)",
    ])
    means = ", ".join(f"{value:g}" for value in VGG_MEAN_BGR)
    _heading(fig, top, "전처리와 최적화", x=0.52)
    _lines(fig, 0.52, top - 0.026, [
        "VGG19의 입력: RGB를 BGR로 바꾸고, ImageNet 평균을 뺌,",
        f"      B, G, R = {means}. 크기 조정 없음 (0..255)",
        "사진에서 시작: x = p (논문은 노이즈에서 시작)",
        f"Adam: 학습률 {LEARNING_RATE:g}, beta_1 {BETA_1:g}, epsilon {EPSILON:g}",
        "이미지에 대한 총 손실의 기울기",
        "      (tf.GradientTape). VGG19의 가중치는 고정",
        "매 스텝 뒤 -평균 .. 255 - 평균으로 잘라 냄 (채널별)",
        "가장 좋은 이미지 보관: 손실을 계산한 이미지,",
        "      즉 갱신 전의 이미지",
    ])


def draw_profiles_and_places(fig: Figure, top: float) -> None:
    """The run profiles (sizes and iterations) and where things are in the repository."""
    _heading(fig, top, "실행 프로필")
    article, series, test = PROFILES["gpu"], PROFILES["cpu"], PROFILES["test"]
    _lines(fig, 0.06, top - 0.026, [
        f"gpu, 원글: Adam {article.iterations}번 반복, {article.max_dim} px",
        f"cpu, 이 시리즈: Adam {series.iterations}번 반복, {series.max_dim} px:",
        "      2코어 CPU에서 몇 분 만에 스타일이 뚜렷한 결과",
        f"test: {test.iterations}번 반복, {test.max_dim} px, 몇 초 (테스트, 느린 교실)",
        "Jupyter를 시작하기 전에 NST_PROFILE=cpu처럼 선택,",
        "      노트북 05는 오래 걸리는 실행 전에 추정 시간을 출력",
    ])
    _heading(fig, top, "저장소에서 찾아볼 곳", x=0.52)
    _lines(fig, 0.52, top - 0.026, [
        "ko/notebooks/01-05: 원글을 단계별로",
        "ko/notebooks/06-09: 갤러리, L-BFGS, bfloat16, 조절, 빠른 전이",
        "nst_helpers.py: 원글의 함수 (gram_matrix, ...)",
        "nst_plumbing/config.py: 계층, 가중치, Adam, 프로필",
        "python -m nst_cli: 명령줄 (옵션은 -h로 확인)",
        "ko/teaching/: README (소요 시간, 수업 계획), 풀이, 슬라이드",
    ])


def draw_handout() -> Figure:
    """The whole page: title, pipeline, formulas, recipe, profiles and places.

    Returns:
        An A4 portrait figure; the caller saves it (``tools/teaching_build.py``) and closes it.
    """
    fig = plt.figure(figsize=A4_INCHES)
    fig.text(0.06, 0.955, "신경 스타일 전이(neural style transfer): 한 쪽 요약", fontsize=16, weight="bold", color=INK)
    fig.text(0.06, 0.935, "Gatys, Ecker, Bethge의 A Neural Algorithm of Artistic Style (2015, arXiv:1508.06576)을\n"
             "Raymond Yuan의 TensorFlow 블로그 글이 가르치는 대로, 이 시리즈의 노트북 01~05에서 배웁니다.", fontsize=BODY,
             color=MUTED, va="top", linespacing=1.35)
    _heading(fig, 0.885, "파이프라인")
    draw_pipeline(fig.add_axes((0.06, 0.675, 0.88, 0.195)))
    draw_formulas(fig, 0.630)
    draw_recipe(fig, 0.394)
    draw_profiles_and_places(fig, 0.160)
    fig.text(0.5, 0.022, "ko/teaching/handout/handout.py에서 python tools/teaching_build.py handout --language ko로 만들었습니다. "
             "값은 nst_plumbing/config.py에서 가져옵니다.", fontsize=6.8, color=MUTED, ha="center")
    return fig
