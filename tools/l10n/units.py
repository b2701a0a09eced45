"""What in an English document is translated: its units (markdown blocks and cells), and what is copied as it is."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from kit_times import INLINE, TABLE_END, TABLE_START
from l10n.code_equivalence import has_words
from notebooks import SETUP_MARKER

# The Colab badge is rebuilt for each notebook's own path, so translations hold a placeholder.
BADGE_TOKEN = "{{colab_badge}}"
_BADGE = re.compile(r'<a href="https://colab\.research\.google\.com/github/[^"]+"[^>]*><img [^>]*colab-badge\.svg[^>]*/?></a>')
# The README's line that links its other languages: written by the build for each language.
LANGUAGES_MARKER = "<!-- languages -->"


@dataclass(frozen=True)
class Unit:
    """A piece of English to translate: its text (the catalog's msgid), where it is, and its kind."""

    text: str
    where: str
    kind: str  # "markdown" or "code"


@dataclass(frozen=True)
class Segment:
    """One piece of a document in order: a unit to translate, or text copied as it is."""

    kind: str  # "markdown", "code", "verbatim", "generated" (filled by a tool), "setup" (the shared cell),
    # "languages" (the README's links to its other languages)
    text: str
    where: str

    @property
    def unit(self) -> Unit | None:
        return Unit(self.text, self.where, self.kind) if self.kind in ("markdown", "code") else None


def unit_text(markdown: str) -> str:
    """A markdown text as a catalog holds it: badge replaced by its placeholder, and the kit's figures
    emptied (tools/kit_times.py writes them into each language)."""
    emptied = INLINE.sub(lambda match: f"<!-- kt {match['notebook']} {match['what']} {match['column']} --><!-- /kt -->",
                         _BADGE.sub(BADGE_TOKEN, markdown))
    return emptied.strip("\n")


def cell_source(cell: dict) -> str:
    """A notebook cell's source as one string (the JSON may hold it as a list of lines)."""
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def cell_segment(cell: dict, index: int, before_setup: bool = False) -> Segment:
    """A notebook cell as a segment: markdown is translated, code only if it has words for people;
    the shared setup cell and its introduction are written by tools/notebooks.py in each language."""
    source = cell_source(cell)
    where = f"cell-{index}"
    if before_setup and cell["cell_type"] == "markdown" and source.startswith("## "):
        return Segment("setup", source, where)
    if cell["cell_type"] == "markdown":
        return Segment("markdown", unit_text(source), where)
    if source.startswith(SETUP_MARKER):
        return Segment("setup", source, where)
    if cell["cell_type"] == "code" and has_words(source):
        return Segment("code", source, where)
    return Segment("verbatim", source, where)


def notebook_segments(path: Path) -> list[Segment]:
    """A notebook's cells as segments, in order."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    setup = {index for index, cell in enumerate(cells) if cell["cell_type"] == "code"
             and cell_source(cell).startswith(SETUP_MARKER)}
    return [cell_segment(cell, index, index + 1 in setup) for index, cell in enumerate(cells)]


def _blocks(text: str) -> list[tuple[str, int]]:
    """Markdown split into blocks at blank lines, a fenced code block or the kit's table kept whole,
    each with its first line's number."""
    blocks, current, start, fence = [], [], 1, None
    in_table = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not current:
            start = number
        if fence is None and not in_table and not stripped:
            if current:
                blocks.append(("\n".join(current), start))
                current = []
            continue
        current.append(line)
        if stripped.startswith(TABLE_START):
            in_table = True
        if in_table and stripped.startswith(TABLE_END):
            in_table = False
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3] if fence is None else (None if stripped.startswith(fence) else fence)
    if current:
        blocks.append(("\n".join(current), start))
    return blocks


def markdown_segments(path: Path) -> list[Segment]:
    """A markdown document as segments: fenced code and the kit's table copied, every other block translated."""
    segments = []
    for block, line in _blocks(Path(path).read_text(encoding="utf-8")):
        where = f"line-{line}"
        if block.lstrip().startswith(("```", "~~~")):
            segments.append(Segment("verbatim", block, where))
        elif block.startswith(LANGUAGES_MARKER):
            segments.append(Segment("languages", block, where))
        elif block.startswith(TABLE_START):
            segments.append(Segment("generated", f"{TABLE_START}\n{TABLE_END}", where))
        else:
            segments.append(Segment("markdown", unit_text(block), where))
    return segments


# Top-level blocks of a Python source are separated by two blank lines (PEP 8), and joined so again.
PYTHON_SEPARATOR = "\n\n\n"


def python_segments(path: Path) -> list[Segment]:
    """A Python source (the handout's drawing code) as segments: everything before its first
    function, then each top-level function or class with the comments above it, translated like a
    code cell (its prose strings and comments); the build joins them with ``PYTHON_SEPARATOR``."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    starts = [min([node.lineno, *(d.lineno for d in node.decorator_list)]) for node in ast.parse(text).body
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for index, start in enumerate(starts):  # comments right above a definition belong to it
        while start > 1 and lines[start - 2].startswith("#"):
            start -= 1
        starts[index] = start
    bounds = [1, *[start for start in starts if start > 1], len(lines) + 1]
    found = []
    for begin, end in zip(bounds, bounds[1:]):
        block = "\n".join(lines[begin - 1:end - 1]).strip("\n")
        kind = "code" if has_words(block) else "verbatim"
        found.append(Segment(kind, block, f"line-{begin}"))
    return found


def segments(path: Path) -> list[Segment]:
    """The segments of a notebook, a markdown document or a Python source."""
    if str(path).endswith(".ipynb"):
        return notebook_segments(path)
    return python_segments(path) if str(path).endswith(".py") else markdown_segments(path)
