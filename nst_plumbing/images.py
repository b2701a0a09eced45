"""Images in and out: files and URLs read into arrays, results written without losing work.

Plumbing, not part of the lesson: notebook 02 teaches ``load_img`` in a few lines; this is the
robust version behind it, for people who bring their own images. It uses Pillow and NumPy only
(no TensorFlow), and every error names the file and says what was expected.

Decompression bombs: a small file that decodes to a huge picture (a 400 KB PNG of 20000x20000
pixels) is refused before it is decoded, with a ``ValueError`` giving its pixel count and the
limit. The limit is Pillow's own ``PIL.Image.MAX_IMAGE_PIXELS`` (89,478,485 pixels by default,
about 256 MiB as 8-bit RGB), the one source of that number: set it higher (or to ``None``) in
your own code to read a genuinely huge scan. Pillow only *warns* between that limit and twice
it (``DecompressionBombWarning``) and raises ``DecompressionBombError`` above; this module
refuses both alike, because a style transfer resizes every image to a few hundred pixels and an
image of that size is far more likely a mistake or an attack than a wish.
"""

from __future__ import annotations

import io
import os
import re
import struct
import sys
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nst_plumbing.config import MIN_IMAGE_SIDE, REPO_ROOT
from nst_plumbing.files import write_atomic

__all__ = ["ImageSource", "is_url", "check_max_dim", "scaled_size", "image_size", "read_image", "read_grey", "as_batch",
           "image_format",
           "save_image", "read_credits", "offer_download"]

# A path, an http(s) URL, or an RGB array (height, width, 3) or batch of one (1, height, width, 3).
ImageSource = Union[str, os.PathLike, np.ndarray]

_USER_AGENT = "nst-helpers/1.0 (teaching notebooks)"  # some servers refuse anonymous requests
_EXIF_ORIENTATION = 0x0112  # the tag; values 5 to 8 turn the picture by a quarter, swapping its sides
_QUARTER_TURNS = (5, 6, 7, 8)


def is_url(source: object) -> bool:
    """Whether ``source`` is an ``http://`` or ``https://`` address."""
    return isinstance(source, str) and urllib.parse.urlparse(source).scheme in ("http", "https")


# What Pillow raises for malformed files besides OSError: truncated or fuzzed headers end in any
# of these (Pillow's own fuzzing harness expects them), so each becomes a message naming the file.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError, KeyError,
                  ZeroDivisionError)


def _bomb_message(name: str, pixels: str) -> str:
    return (f"{name} is {pixels}, more than the limit of {int(Image.MAX_IMAGE_PIXELS):,} pixels (Pillow's "
            "MAX_IMAGE_PIXELS): it may be a decompression bomb, so it was not decoded; use a smaller image")


def _check_pixel_count(size: tuple[int, int], name: str) -> None:
    """Refuses a decompression bomb: more pixels than Pillow's ``MAX_IMAGE_PIXELS`` limit."""
    width, height = size
    if Image.MAX_IMAGE_PIXELS is not None and width * height > Image.MAX_IMAGE_PIXELS:
        raise ValueError(_bomb_message(name, f"{width}x{height} = {width * height:,} pixels"))


def _open_header(source: str | os.PathLike) -> tuple[Image.Image, str]:
    """Opens a path or URL and reads only its header; refuses decompression bombs.

    Returns:
        The lazily opened PIL image (not decoded yet) and the name to use in messages.
    """
    if is_url(source):
        request = urllib.request.Request(str(source), headers={"User-Agent": _USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
        except OSError as exc:
            raise ConnectionError(f"could not download the image at {source}: {exc}") from exc
        stream, name = io.BytesIO(data), str(source)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"image file not found: {path}")
        if not path.is_file():
            raise ValueError(f"{path} is not a file (expected an image file such as a JPEG or PNG)")
        if path.stat().st_size == 0:
            raise ValueError(f"{path} is empty (0 bytes); expected an image file such as a JPEG or PNG")
        stream, name = path, str(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it; _check_pixel_count refuses those images.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(stream)
    except Image.DecompressionBombError as exc:
        # Above twice its limit Pillow refuses on its own, naming the pixel count in its message.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        raise ValueError(_bomb_message(name, pixels)) from None
    except UnidentifiedImageError:
        raise ValueError(f"{name} is not an image file Pillow can read (expected e.g. JPEG or PNG)") from None
    except _DECODE_ERRORS as exc:
        raise ValueError(f"{name} could not be decoded, it may be truncated or corrupt: {exc}") from exc
    try:
        _check_pixel_count(img.size, name)
    except ValueError:
        img.close()
        raise
    return img, name


def _open_image(source: str | os.PathLike) -> Image.Image:
    """Opens a path or URL as a fully decoded PIL image, with errors that name the source."""
    img, name = _open_header(source)
    try:
        img.load()  # decode now, so a truncated file fails here and not later
    except _DECODE_ERRORS as exc:
        raise ValueError(f"{name} could not be decoded, it may be truncated or corrupt: {exc}") from exc
    except MemoryError:
        raise ValueError(f"{name} is too large to decode in the memory available") from None
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    """Converts any Pillow mode to 8-bit RGB; transparency is composited onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or values.max() > 255 else 255.0
        img = Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB")


def check_max_dim(max_dim: int | None) -> None:
    """Raises ``ValueError`` unless ``max_dim`` is ``None`` or an integer of at least ``MIN_IMAGE_SIDE``."""
    if max_dim is not None and (isinstance(max_dim, bool) or not isinstance(max_dim, (int, np.integer))
                                or max_dim < MIN_IMAGE_SIDE):
        raise ValueError(f"max_dim must be an integer of at least {MIN_IMAGE_SIDE} pixels or None; got {max_dim!r}")


def scaled_size(size: tuple[int, int], max_dim: int | None) -> tuple[int, int]:
    """The ``(width, height)`` an image of ``size`` gets in ``read_image``: longest side ``max_dim``.

    Args:
        size: ``(width, height)`` in pixels.
        max_dim: Longest side after resizing; ``None`` keeps ``size``.

    Raises:
        ValueError: ``max_dim`` is invalid.
    """
    check_max_dim(max_dim)
    if max_dim is None:
        return size
    scale = max_dim / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def image_size(source: str | os.PathLike, max_dim: int | None = None) -> tuple[int, int]:
    """The ``(width, height)`` that ``read_image(source, max_dim)`` returns, from the header alone.

    Nothing is decoded, so this is cheap, and it lets a caller check that a run fits in memory,
    or that a mask has the photo's shape, before reading and resizing anything. A phone photo
    stored on its side with an EXIF orientation tag counts upright, as ``read_image`` turns it.
    A URL is downloaded.

    Raises:
        The errors of ``read_image``, decompression bombs included.
    """
    check_max_dim(max_dim)
    img, _ = _open_header(source)
    with img:
        width, height = img.size
        if img.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS:
            width, height = height, width
        return scaled_size((width, height), max_dim)


def read_image(source: str | os.PathLike, max_dim: int | None = None) -> np.ndarray:
    """Reads an image file or URL as a float32 RGB batch of one.

    Turns phone photos upright (EXIF orientation), converts every colour mode to RGB (16-bit
    images scaled, transparency composited onto white) and resizes with Lanczos filtering.

    Args:
        source: A file path or an ``http(s)://`` URL.
        max_dim: Longest side after resizing, keeping the aspect ratio (smaller images are
            scaled up). ``None`` keeps the image's own size.

    Returns:
        Array of shape ``(1, height, width, 3)``, RGB values in ``[0, 255]``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, not an image, truncated or corrupt, a decompression bomb
            (more pixels than Pillow's ``MAX_IMAGE_PIXELS``), or ``max_dim`` is invalid.
        ConnectionError: A URL could not be downloaded.
    """
    check_max_dim(max_dim)
    img = _to_rgb(ImageOps.exif_transpose(_open_image(source)))
    if max_dim is not None:
        img = img.resize(scaled_size(img.size, max_dim), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float32)[np.newaxis]


def read_grey(source: str | os.PathLike) -> np.ndarray:
    """Reads an image file or URL as grey levels at its own size, e.g. a mask.

    Turns it upright (EXIF orientation) like ``read_image``; colours become their grey level
    (Pillow's ``L`` mode: ``0.299 R + 0.587 G + 0.114 B``), transparency is composited onto white.

    Returns:
        uint8 array of shape ``(height, width)``.

    Raises:
        The errors of ``read_image``, which name the file.
    """
    with _open_image(source) as img:
        return np.asarray(_to_rgb(ImageOps.exif_transpose(img)).convert("L"))


def as_batch(image: ImageSource, max_dim: int | None) -> np.ndarray:
    """Reads ``image`` if it is a path or URL; checks and batches it if it is an RGB array.

    Args:
        image: A path, a URL, or an RGB array ``(height, width, 3)`` or ``(1, height, width, 3)``.
        max_dim: Longest side when reading a path or URL; arrays keep their size.

    Returns:
        float32 array of shape ``(1, height, width, 3)``.

    Raises:
        ValueError: An array has another shape (and the errors of ``read_image``).
    """
    if isinstance(image, (str, os.PathLike)):
        return read_image(image, max_dim)
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3:
        array = array[np.newaxis]
    if array.ndim != 4 or array.shape[0] != 1 or array.shape[-1] != 3:
        raise ValueError(f"expected an RGB image of shape (height, width, 3) or (1, height, width, 3); "
                         f"got shape {array.shape}")
    return array


def image_format(path: Path) -> str:
    """Pillow's format name for ``path``'s extension, e.g. ``"PNG"``.

    Raises:
        ValueError: The extension is not one Pillow can write.
    """
    found = Image.registered_extensions().get(Path(path).suffix.lower())
    if found is None:
        raise ValueError(f"{path}: cannot tell the image format from its extension; use .png (or .jpg)")
    return found


def save_image(image: np.ndarray, output: Path, force: bool = False) -> None:
    """Writes a uint8 RGB image in one step, never half a file and never over an existing one.

    The picture is encoded first, written beside ``output`` and then moved into place, so an
    interrupted run leaves either the old state or the whole new file.

    Args:
        image: uint8 RGB array ``(height, width, 3)``.
        output: The file to write; its extension sets the format.
        force: Replace ``output`` if it exists.

    Raises:
        FileExistsError: ``output`` exists (or appeared meanwhile) and ``force`` is false.
        ValueError: The extension names no image format.
    """
    output = Path(output)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=image_format(output))
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(output, lambda partial: partial.write_bytes(buffer.getvalue()), overwrite=force)
    except FileExistsError:
        raise FileExistsError(f"{output} already exists; pass --force to overwrite it") from None


def offer_download(path: str | os.PathLike) -> None:
    """Hands a result file to the user: on Colab the browser downloads it, elsewhere it says where it is.

    On Colab (``google.colab`` imported, as it is in every Colab kernel) it calls
    ``google.colab.files.download``. Elsewhere it prints the file's path, relative to the
    repository's root when the file is inside it (so that no machine's folders show in a notebook).

    Args:
        path: The file to hand over.

    Raises:
        FileNotFoundError: ``path`` is not a file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file to download at {path}")
    try:
        shown = f"{path.resolve().relative_to(REPO_ROOT.resolve()).as_posix()} in the repository"
    except ValueError:  # outside the repository
        shown = str(path)
    if "google.colab" in sys.modules:
        from google.colab import files  # only exists on Colab

        files.download(str(path))
        print(f"Downloading {path.name} ({shown}) to your computer.")
    else:
        print(f"Your result is {shown}; open it from there.")


def read_credits(path: Path) -> list[dict[str, str]]:
    """The rows of the tables in a credits file such as ``media/CREDITS.md``.

    Args:
        path: A Markdown file with ``## Section`` headings and tables whose rows start with an
            image file name, then what it shows, its author and its licence.

    Returns:
        One dict per image: ``section``, ``file``, ``shows``, ``author``, ``license``.

    Raises:
        ValueError: A table row has fewer than four columns.
    """
    rows, section = [], ""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].lower().endswith((".jpg", ".jpeg", ".png")):
            if len(cells) < 4:
                raise ValueError(f"{path}, line {number}: expected | file | shows | author | license |; got {line!r}")
            rows.append(dict(section=section, file=cells[0], shows=cells[1], author=cells[2], license=cells[3]))
    return rows
