"""Which documents have a Korean counterpart, where it lives, and where its translations are kept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = "ko"
KOREAN_DIR = ROOT / LANGUAGE
CATALOG_DIR = KOREAN_DIR / "po"
GLOSSARY = KOREAN_DIR / "GLOSSARY.md"

# The English sources that have a Korean counterpart, relative to the root: every notebook and
# document of the series (the check fails on one that is missing here).
TRANSLATED = (
    "README.md",
    "notebooks/01_visualize_data.ipynb",
    "notebooks/02_preprocess.ipynb",
    "notebooks/03_define_losses.ipynb",
    "notebooks/04_build_model.ipynb",
    "notebooks/05_optimize.ipynb",
    "notebooks/06_style_gallery.ipynb",
    "notebooks/07_faster_and_better.ipynb",
    "notebooks/08_control.ipynb",
    "notebooks/09_fast_style_transfer.ipynb",
    "teaching/README.md",
    "teaching/objectives.md",
    "teaching/solutions.ipynb",
    "teaching/quickstart.md",
    "teaching/slides/lesson.ipynb",
    "teaching/handout/handout.py",
)
# Files that are not translated but built in each language (tools/teaching_build.py draws the
# slides' pipeline diagram from each language's handout): a Korean link leads to the Korean one.
BUILT_IN_EACH_LANGUAGE = ("teaching/slides/media/pipeline.png",)
# Folders the Korean edition mirrors: a link to one of them leads to its Korean mirror.
MIRRORED_FOLDERS = ("notebooks", "teaching")


@dataclass(frozen=True)
class Document:
    """One English document and its Korean counterpart, as paths relative to the root."""

    english: str

    @property
    def korean(self) -> str:
        """``README.md`` -> ``README.ko.md``; any other file mirrors its place under ``ko/``."""
        if self.english == "README.md":
            return "README.ko.md"
        return f"{LANGUAGE}/{self.english}"

    @property
    def catalog(self) -> str:
        """The gettext catalog of its translations: ``ko/po/<english path>.po``."""
        return f"{LANGUAGE}/po/{self.english}.po"

    @property
    def is_notebook(self) -> bool:
        return self.english.endswith(".ipynb")

    @property
    def is_python(self) -> bool:
        return self.english.endswith(".py")


def documents() -> list[Document]:
    """The translated documents, in the series' order."""
    return [Document(path) for path in TRANSLATED]


def korean_counterpart(english: str) -> str | None:
    """The Korean path of a translated English document (or of a file built in each language, or of
    a mirrored folder), or ``None`` if it has none."""
    if english.rstrip("/") in MIRRORED_FOLDERS:
        return f"{LANGUAGE}/{english}"
    return Document(english).korean if english in TRANSLATED + BUILT_IN_EACH_LANGUAGE else None
