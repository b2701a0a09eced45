"""Showing images and progress to people: figures, live progress, JPEG and GIF, contact sheets.

Plumbing, not part of the lesson, kept apart from the maths. matplotlib and IPython are
imported only when something is drawn or displayed, so the command line can make contact
sheets (Pillow only) without them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
from PIL import Image

from nst_plumbing import fonts
from nst_plumbing.images import ImageSource, as_batch

__all__ = ["LossHistory", "to_uint8", "imshow", "show_results", "plot_history", "jpeg_image", "LiveProgress", "save_gif",
           "contact_sheet", "side_by_side", "draw_layers"]


class LossHistory(Protocol):
    """What ``plot_history`` reads: ``nst_helpers.History`` has it (described here, not imported,
    because plumbing never imports the lesson)."""

    iterations: Sequence[int]
    total_loss: Sequence[float]
    style_loss: Sequence[float]
    content_loss: Sequence[float]


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An RGB image or batch of one as a ``(height, width, 3)`` uint8 array, clipped to 0..255."""
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.dtype == np.uint8:
        return array
    return np.clip(np.rint(array), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------
# matplotlib figures
# ---------------------------------------------------------------------------

def imshow(img: np.ndarray, title: str | None = None, ax=None):
    """Shows an RGB image (``(h, w, 3)`` or a batch of one) with an optional title."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    ax.imshow(to_uint8(img))
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def show_results(best_img: np.ndarray, content_path: ImageSource, style_path: ImageSource,
                 show_large_final: bool = True, max_dim: int | None = None):
    """Shows the content and style images beside the result, as the article does.

    Args:
        best_img: The result, uint8 RGB.
        content_path: The content image (path, URL or RGB array).
        style_path: The style image (path, URL or RGB array).
        show_large_final: Also show the result alone in a large figure, as the article does.
        max_dim: Longest side for loading paths; by default the result's longest side.

    Returns:
        The matplotlib figure with the three images.
    """
    import matplotlib.pyplot as plt

    max_dim = max_dim or max(np.shape(best_img)[-3:-1])
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    imshow(as_batch(content_path, max_dim), "Content image", axes[0])
    imshow(as_batch(style_path, max_dim), "Style image", axes[1])
    imshow(best_img, "Output image", axes[2])
    fig.tight_layout()
    if show_large_final:
        plt.figure(figsize=(10, 10))
        imshow(best_img, "Output image")
    return fig


def plot_history(history: LossHistory, ax=None):
    """Plots the total, style and content loss per iteration on a log scale.

    A log scale cannot show 0 (the content loss of a run that starts from the content image):
    such points are left out, and the legend says so.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for values, label in ((history.total_loss, "total"), (history.style_loss, "style (weighted)"),
                          (history.content_loss, "content (weighted)")):
        values = np.asarray(values, dtype=np.float64)
        zeros = int(np.sum(values <= 0))
        if zeros:
            label += f" ({zeros} value{'s' if zeros > 1 else ''} of 0 not shown)"
        ax.plot(history.iterations, np.where(values > 0, values, np.nan), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


# ---------------------------------------------------------------------------
# Notebook displays
# ---------------------------------------------------------------------------

def jpeg_image(rgb_image: np.ndarray, quality: int = 90):
    """An RGB image as a displayable JPEG: a fraction of a PNG's size for a photo, which keeps
    saved notebooks small."""
    from IPython.display import Image as DisplayImage

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(rgb_image)).save(buffer, format="JPEG", quality=quality)
    return DisplayImage(data=buffer.getvalue(), format="jpeg")


class LiveProgress:
    """One line of text, and optionally one image, that update in place while a loop runs.

    Instead of printing hundreds of outputs, the first ``update`` creates the display and later
    ones replace it (``display(..., display_id=True)``, then ``.update``).
    """

    def __init__(self, show_image: bool = True):
        self.show_image = show_image
        self._text = None
        self._image = None

    def update(self, text: str, rgb_image: np.ndarray | None = None) -> None:
        """Shows ``text`` and, when images are shown and one is given, ``rgb_image``."""
        from IPython.display import Pretty, display

        if self._text is None:
            self._text = display(Pretty(text), display_id=True)
        else:
            self._text.update(Pretty(text))
        if self.show_image and rgb_image is not None:
            if self._image is None:
                self._image = display(jpeg_image(rgb_image), display_id=True)
            else:
                self._image.update(jpeg_image(rgb_image))


def save_gif(frames: Sequence[np.ndarray], path: Path, frame_ms: int = 150, last_frame_ms: int = 1500,
             colors: int = 128) -> Path:
    """Writes RGB frames as a looping animated GIF that lingers on the last frame.

    A GIF frame holds at most 256 colours. One palette computed from all frames together, applied
    without dithering, keeps the colours steady from frame to frame and the file small.

    Args:
        frames: uint8 RGB arrays of one size.
        path: The ``.gif`` file to write (replaced if it exists).
        frame_ms: How long each frame is shown, in milliseconds.
        last_frame_ms: How long the last frame is shown.
        colors: Size of the shared palette, 2 to 256.

    Returns:
        ``path``.

    Raises:
        ValueError: No frames, frames of different sizes, or ``colors`` out of range.
    """
    if not frames:
        raise ValueError("save_gif needs at least one frame")
    rgb_frames = [to_uint8(frame) for frame in frames]
    if len({frame.shape for frame in rgb_frames}) != 1:
        raise ValueError(f"all GIF frames must have one size; got {sorted({f.shape for f in rgb_frames})}")
    if not 2 <= colors <= 256:
        raise ValueError(f"colors must be between 2 and 256; got {colors}")
    palette = Image.fromarray(np.concatenate(rgb_frames, axis=0)).quantize(colors)
    images = [Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE) for frame in rgb_frames]
    durations = [frame_ms] * (len(images) - 1) + [last_frame_ms]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return Path(path)


# ---------------------------------------------------------------------------
# Contact sheets (Pillow only, so the command line can make them without matplotlib)
# ---------------------------------------------------------------------------

def _fitted(image: np.ndarray, width: int, height: int) -> Image.Image:
    """``image`` scaled (up or down) to fit ``width`` x ``height``, keeping its aspect."""
    picture = Image.fromarray(to_uint8(image))
    scale = min(width / picture.width, height / picture.height)
    return picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
                          Image.Resampling.LANCZOS)


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= character <= "\ud7a3" or "\u1100" <= character <= "\u11ff" for character in text)


def _label_font(label: str, size: int):
    """Pillow's default font for a label, or NanumGothic when the label has Hangul: the default
    font has none, and would draw each syllable as an empty box."""
    from PIL import ImageFont

    hangul = fonts.hangul_font_path() if _has_hangul(label) else None
    return ImageFont.truetype(str(hangul), size=size) if hangul else ImageFont.load_default(size=size)


def _draw_label(draw, label: str, centre: tuple[int, int], width: int, height: int) -> None:
    """Writes ``label`` centred on ``centre`` in a strip ``height`` pixels tall, shortened with
    an ellipsis until it fits ``width``."""
    font = _label_font(label, height - 2)
    text = label
    while len(text) > 2 and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    if text:
        draw.text(centre, text, fill="black", font=font, anchor="mm")


def _thumbnail(image: np.ndarray | None, cell: int, label: str) -> Image.Image:
    """A ``cell``-pixel square tile: the image fitted, centred across and resting on the
    bottom edge, on white, with a label strip below."""
    from PIL import ImageDraw

    label_height = max(12, cell // 10)
    tile = Image.new("RGB", (cell, cell + label_height), "white")
    if image is not None:
        picture = _fitted(image, cell - 4, cell - 4)  # fit the cell, scaling small results up too
        # Bottom-aligned, so that the label sits right under the picture.
        tile.paste(picture, ((cell - picture.width) // 2, cell - 2 - picture.height))
    if label:
        _draw_label(ImageDraw.Draw(tile), label, (cell // 2, cell + label_height // 2), cell - 4, label_height)
    return tile


def contact_sheet(contents: Sequence[tuple[str, np.ndarray]], styles: Sequence[tuple[str, np.ndarray]],
                  results: dict[tuple[int, int], np.ndarray], cell: int = 192) -> np.ndarray:
    """Lays out a content x style grid of results: styles along the top, contents down the left.

    Every column is ``cell`` pixels wide. Each picture is fitted to that width (and at most
    ``cell`` tall), and each row is as tall as its tallest picture plus a label strip, so wide
    pictures leave no white bands above or below them.

    Args:
        contents: ``(label, RGB image)`` for each row.
        styles: ``(label, RGB image)`` for each column.
        results: Result image for ``(row, column)``; a missing pair leaves its cell blank.
        cell: Width of each column (and the most a picture's height may be) in pixels.

    Returns:
        uint8 RGB array of the whole sheet.

    Raises:
        ValueError: No content or no style image, or ``cell`` under 16 pixels.
    """
    from PIL import ImageDraw

    if not contents or not styles:
        raise ValueError("a contact sheet needs at least one content and one style image")
    if cell < 16:
        raise ValueError(f"cell must be at least 16 pixels; got {cell}")
    margin, label_height = 2, max(12, cell // 10)
    inner = cell - 2 * margin
    rows = [[("content \\ style", None)] + list(styles)]
    rows += [[(label, image)] + [("", results.get((row, column))) for column in range(len(styles))]
             for row, (label, image) in enumerate(contents)]
    rows = [[(label, None if image is None else _fitted(image, inner, inner)) for label, image in row] for row in rows]
    heights = [max(picture.height for _, picture in row if picture is not None) + 2 * margin for row in rows]

    sheet = Image.new("RGB", (cell * len(rows[0]), sum(heights) + label_height * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    top = 0
    for row, height in zip(rows, heights):
        for column, (label, picture) in enumerate(row):
            left = column * cell
            if picture is not None:  # bottom-aligned, so that the label sits right under the picture
                sheet.paste(picture, (left + (cell - picture.width) // 2, top + height - margin - picture.height))
            _draw_label(draw, label, (left + cell // 2, top + height + label_height // 2), inner, label_height)
        top += height + label_height
    return np.asarray(sheet)


def side_by_side(panels: Sequence[tuple[str, np.ndarray]], cell: int = 320) -> np.ndarray:
    """Lays out labelled images in one row, each fitted to a ``cell``-pixel square (small ones scaled up).

    Raises:
        ValueError: No images.
    """
    if not panels:
        raise ValueError("side_by_side needs at least one (label, image) pair")
    tiles = [_thumbnail(image, cell, label) for label, image in panels]
    # Pictures rest on the tiles' bottom edge: wide ones leave white above, which is cut off.
    tallest = max(round(image.shape[0] * (cell - 4) / max(image.shape[:2])) for _, image in panels)
    top = max(0, cell - 4 - tallest)
    tiles = [tile.crop((0, top, tile.width, tile.height)) for tile in tiles]
    row = Image.new("RGB", (sum(tile.width for tile in tiles), tiles[0].height), "white")
    for index, tile in enumerate(tiles):
        row.paste(tile, (index * tiles[0].width, 0))
    return np.asarray(row)


def draw_layers(layers: Sequence[tuple[str, int, int, int]], ax=None):
    """Draws a network's convolutions left to right: each bar as tall as the image side it works at, coloured by part.

    Args:
        layers: ``(part, kernel side, channels out, image side divided by)`` per convolution, as
            ``nst_extended.transform_net.layer_table`` gives them.
        ax: Axes to draw on; a new figure when ``None``.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3))
    colours: dict[str, str] = {}
    for index, (part, kernel, channels, divided_by) in enumerate(layers):
        first_of_its_part = part not in colours
        colour = colours.setdefault(part, f"C{len(colours)}")
        ax.bar(index, 1 / divided_by, color=colour, label=part if first_of_its_part else None)
        ax.text(index, 1 / divided_by + 0.02, f"{kernel}x{kernel}\n{channels}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks([])
    ax.set_ylim(0, 1.3)
    ax.set_ylabel("image side (1 = the photo's)")
    ax.legend(loc="upper center", ncol=len(colours), frameon=False)
    return ax
