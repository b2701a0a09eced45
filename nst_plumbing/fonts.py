"""A font with Hangul behind matplotlib's default, so the Korean edition's figures show their words.

Below the lesson, like the rest of ``nst_plumbing``. matplotlib's default font, DejaVu Sans, has
no Hangul, and neither has Colab: a Korean title would be drawn as empty boxes, with a "Glyph
missing" warning for each syllable. NanumGothic (SIL Open Font License) comes in the pinned
PyPI package ``koreanize-matplotlib``, read here as a font file: the package itself is never
imported, since importing it changes matplotlib's settings as a side effect.
"""

from __future__ import annotations

from importlib import invalidate_caches
from importlib.util import find_spec
from pathlib import Path

HANGUL_FONT_PACKAGE = "koreanize_matplotlib"
HANGUL_FONT_FILE = "NanumGothic.ttf"
LATIN_FONT = "DejaVu Sans"  # matplotlib's default: English figures look as they always have


def hangul_font_path() -> Path | None:
    """The NanumGothic file of the installed ``koreanize-matplotlib``, or ``None`` without it."""
    invalidate_caches()  # the setup cell may have just installed it, in this same process
    spec = find_spec(HANGUL_FONT_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "fonts" / HANGUL_FONT_FILE
    return path if path.is_file() else None


def use_hangul_fallback() -> bool:
    """Makes matplotlib draw Latin text in DejaVu Sans and fall back to NanumGothic for Hangul.

    Returns:
        Whether the Hangul font was found (without it, nothing changes).
    """
    path = hangul_font_path()
    if path is None:
        return False
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [LATIN_FONT, name]
    return True
