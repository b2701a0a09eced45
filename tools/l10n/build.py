"""Writes each Korean document from its English source and its catalog: the translated units, the copied rest."""

from __future__ import annotations

import copy
import json
import posixpath
import re
from pathlib import Path

from l10n import catalog, documents
from l10n.documents import Document
from l10n.units import BADGE_TOKEN, LANGUAGES_MARKER, PYTHON_SEPARATOR, Segment, cell_source, segments

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_MARKDOWN_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_HTML_LINK = re.compile(r'((?:src|href)=")([^"]+)(")')
_HEADING = re.compile(r"^(#{1,6}) +(.+)$")


def rewrite_link(target: str, english: str, korean: str) -> str:
    """A relative link of the English document at ``english``, made right for its Korean copy at
    ``korean``: it leads to the Korean counterpart of a translated document, else to the same file.
    Absolute addresses, in-page anchors and placeholders are left alone."""
    if _SCHEME.match(target) or target.startswith(("#", "{{", "/")):
        return target
    path, hash_, fragment = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(english), path))
    resolved = documents.korean_counterpart(resolved) or resolved
    relative = posixpath.relpath(resolved, posixpath.dirname(korean) or ".")
    return relative + hash_ + fragment


def with_links_rewritten(text: str, english: str, korean: str) -> str:
    """``text`` with every relative markdown and HTML link rewritten by ``rewrite_link``."""
    def fix(match: re.Match) -> str:
        return match[1] + rewrite_link(match[2], english, korean) + match[3]
    return _HTML_LINK.sub(fix, _MARKDOWN_LINK.sub(fix, text))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives an English heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchored(english: str, korean: str) -> str:
    """A translated heading block preceded by the English heading's anchor, so links into it still work."""
    match = _HEADING.match(english.splitlines()[0]) if english else None
    if not match:
        return korean
    return f'<a id="{github_anchor(match[2])}"></a>\n\n{korean}'


def translated(document: Document, root: Path = documents.ROOT) -> list[tuple[Segment, str]]:
    """The English document's segments, each with its text for the Korean document: a unit's
    catalog msgstr (its English while it has none), any other segment's text as it is."""
    doc_segments = segments(root / document.english)
    entries = catalog.translations(catalog.load(root / document.catalog))
    units = [segment.unit for segment in doc_segments if segment.unit]
    contexts = dict(zip((unit.where for unit in units), catalog.contexts(units)))  # msgctxt by place
    found = []
    for segment in doc_segments:
        entry = entries.get((contexts.get(segment.where), segment.text)) if segment.unit else None
        found.append((segment, entry.msgstr if entry is not None and entry.msgstr else segment.text))
    return found


def markdown_text(document: Document, root: Path = documents.ROOT) -> str:
    """The Korean markdown document, as the build writes it (before the kit's figures are filled)."""
    blocks = []
    for segment, text in translated(document, root):
        if segment.unit:
            korean = with_links_rewritten(text, document.english, document.korean)
            blocks.append(_anchored(segment.text, korean))
        elif segment.kind == "languages":
            english = posixpath.relpath(document.english, posixpath.dirname(document.korean) or ".")
            blocks.append(f"{LANGUAGES_MARKER}\n[English]({english}) · **한국어**")
        else:
            blocks.append(segment.text)
    return "\n\n".join(blocks) + "\n"


def python_text(document: Document, root: Path = documents.ROOT) -> str:
    """The Korean Python source: each top-level block's translation, or its English while it has none."""
    return PYTHON_SEPARATOR.join(text for _, text in translated(document, root)) + "\n"


def _fill_kit_times(text: str, path: Path, path_in_repo: str) -> str:
    """The kit's table and figures in the document's language, as tools/kit_times.py writes them."""
    import kit_times

    if "<!-- kt" not in text and kit_times.TABLE_START not in text:
        return text
    cell_times, steps = kit_times.load_inputs()
    table_rows = kit_times.rows(cell_times, steps)
    prefix = posixpath.relpath(".", posixpath.dirname(path_in_repo) or ".")
    prefix = "" if prefix == "." else prefix + "/"
    return kit_times.filled(text, path, prefix, cell_times, steps, table_rows)


def notebook(document: Document, root: Path = documents.ROOT) -> dict:
    """The Korean notebook: the English cells with translated sources, the Korean badge and setup
    cell, and the outputs of the committed Korean notebook wherever a cell's source is unchanged."""
    import notebooks as notebook_tool

    english = json.loads((root / document.english).read_text(encoding="utf-8"))
    badge = notebook_tool.badge(document.korean)
    korean_path = root / document.korean
    committed = json.loads(korean_path.read_text(encoding="utf-8")) if korean_path.is_file() else None
    previous = committed["cells"] if committed else []
    cells = []
    for index, (cell, (segment, text)) in enumerate(zip(english["cells"], translated(document, root))):
        built = copy.deepcopy(cell)
        if segment.kind == "markdown":
            source = with_links_rewritten(text.replace(BADGE_TOKEN, badge), document.english, document.korean)
        elif segment.kind == "code":
            source = text
        elif segment.kind == "setup" and cell["cell_type"] == "markdown":
            source = notebook_tool.SETUP_INTROS[documents.LANGUAGE]
        elif segment.kind == "setup":
            source = notebook_tool.setup_source(None, document.korean)
        else:
            source = segment.text
        built["source"] = source
        if cell["cell_type"] == "code":
            old = previous[index] if index < len(previous) else None
            same = old is not None and old["cell_type"] == "code" and cell_source(old) == source
            built["outputs"] = old["outputs"] if same else []
            built["execution_count"] = old["execution_count"] if same else None
        cells.append(built)
    metadata = {key: value for key, value in english["metadata"].items() if key != "widgets"}
    widgets = committed["metadata"].get("widgets") if committed else None
    if widgets:  # the widget state of the Korean notebook's own run
        metadata["widgets"] = widgets
    return {**english, "metadata": metadata, "cells": cells}


def built_text(document: Document, root: Path = documents.ROOT) -> str:
    """The Korean document's file contents, as ``build`` writes them."""
    if document.is_notebook:
        import nbformat
        import notebooks as notebook_tool

        return notebook_tool.notebook_text(nbformat.from_dict(notebook(document, root)))
    if document.is_python:
        return python_text(document, root)
    return _fill_kit_times(markdown_text(document, root), root / document.korean, document.korean)


def build_all(root: Path = documents.ROOT) -> list[str]:
    """Writes every Korean document that differs from its build; returns a line for each."""
    written = []
    # Notebooks first: the kit's table in a markdown document links a notebook's Korean file once it exists.
    for document in sorted(documents.documents(), key=lambda document: not document.is_notebook):
        path = root / document.korean
        text = built_text(document, root)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(f"{document.korean}: written")
    return written
