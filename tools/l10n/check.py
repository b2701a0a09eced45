"""The check that the Korean edition is in step with the English: every problem named, with what to run."""

from __future__ import annotations

import json
from pathlib import Path

from l10n import build, catalog, documents, glossary
from l10n.code_equivalence import comments, normalised, prose_strings
from l10n.units import cell_source, segments

UPDATE = "run `python tools/l10n/translate.py update`, translate the entries it marks in {catalog}, then `build`"
BUILD = "run `python tools/l10n/translate.py build`"


def english_series(root: Path) -> list[str]:
    """Every English document of the series: each must have a Korean counterpart."""
    found = ["README.md"]
    found += sorted(p.relative_to(root).as_posix() for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    teaching = root / "teaching"
    found += sorted(p.relative_to(root).as_posix() for p in [*teaching.glob("*.md"), *teaching.glob("*.ipynb")])
    found += [p for p in ("teaching/slides/lesson.ipynb", "teaching/handout/handout.py") if (root / p).is_file()]
    return found


def korean_files(root: Path) -> list[str]:
    """The Korean edition's documents: README.ko.md and everything under ko/ but its catalogs, its
    glossary and the slides' vendored libraries (copied by tools/teaching_build.py, not translated)."""
    own = {documents.GLOSSARY.relative_to(documents.ROOT).as_posix()}
    catalogs = documents.CATALOG_DIR.relative_to(documents.ROOT).as_posix() + "/"
    found = [p.relative_to(root).as_posix() for p in (root / documents.LANGUAGE).rglob("*")
             if p.is_file() and p.suffix in (".md", ".ipynb", ".py")]
    found = [path for path in found if path not in own and not path.startswith(catalogs) and "/vendor/" not in path]
    return sorted(found + (["README.ko.md"] if (root / "README.ko.md").is_file() else []))


def coverage_problems(root: Path) -> list[str]:
    """Documents in one language only: an English one missing from TRANSLATED, or a Korean one without its English."""
    found = []
    for english in english_series(root):
        if english not in documents.TRANSLATED:
            found.append(f"{english}: has no Korean counterpart: add it to TRANSLATED (tools/l10n/documents.py), "
                         "then run `python tools/l10n/translate.py update`, translate and `build`")
    expected = {documents.Document(english).korean for english in documents.TRANSLATED}
    for korean in korean_files(root):
        if korean not in expected:
            found.append(f"{korean}: a Korean document with no English source in TRANSLATED (tools/l10n/documents.py)")
    return found


def catalog_problems(document: documents.Document, root: Path) -> list[str]:
    """English units whose translation is missing, fuzzy or made for other English."""
    path = root / document.catalog
    if not path.is_file():
        return [f"{document.catalog}: missing; " + UPDATE.format(catalog=document.catalog)]
    old = catalog.load(path)
    units = [segment.unit for segment in segments(root / document.english) if segment.unit]
    fresh = catalog.updated(old, units, document.english)
    entries = catalog.translations(old)
    found = []
    for entry in fresh:
        where = catalog.where(entry, document.is_notebook)
        kept = entries.get((entry.msgctxt, entry.msgid))
        if kept is None:
            found.append(f"{document.english} {where}: the English changed since it was translated; "
                         + UPDATE.format(catalog=document.catalog))
        elif not catalog.is_done(kept):
            why = "is marked fuzzy (its English changed)" if kept.msgstr else "has no translation yet"
            found.append(f"{document.catalog} ({document.english} {where}) {why}: translate it, then {BUILD}")
    if len(old) != len(fresh):
        found.append(f"{document.catalog}: holds entries for English no longer in {document.english}; "
                     + UPDATE.format(catalog=document.catalog))
    return found


def _sources(notebook: dict) -> list[tuple[str, str]]:
    return [(cell["cell_type"], cell_source(cell)) for cell in notebook["cells"]]


def build_problems(document: documents.Document, root: Path) -> list[str]:
    """Where the committed Korean document is not what the build writes, or not executed."""
    path = root / document.korean
    if not path.is_file():
        return [f"{document.korean}: missing; {BUILD}"]
    if not document.is_notebook:
        same = path.read_text(encoding="utf-8") == build.built_text(document, root)
        return [] if same else [f"{document.korean}: differs from its build; {BUILD}"]
    committed, built = json.loads(path.read_text(encoding="utf-8")), build.notebook(document, root)
    old, new = _sources(committed), _sources(built)
    if old != new:
        differing = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        cells = ", ".join(map(str, differing)) or "their number"
        if len(old) == len(new) and all(old[i][0] == new[i][0] == "markdown" for i in differing):
            return [f"{document.korean}: markdown cells {cells} differ from the build; {BUILD} (the outputs stay)"]
        return [f"{document.korean}: cells {cells} differ from the build; {BUILD}, then "
                f"`python tools/notebooks.py run --profile cpu {document.korean}`"]
    unrun = [str(i) for i, cell in enumerate(committed["cells"])
             if cell["cell_type"] == "code" and cell_source(cell).strip() and cell.get("execution_count") is None]
    if unrun:
        return [f"{document.korean}: cells {', '.join(unrun)} have not been executed; run "
                f"`python tools/notebooks.py run --profile cpu {document.korean}`"]
    return []


def code_problems(document: documents.Document, root: Path) -> list[str]:
    """Korean code cells (or a Korean Python source) whose code, beyond comments and string
    literals, is not the English."""
    if not (root / document.korean).is_file():
        return []
    if document.is_python:
        english, korean = ((root / path).read_text(encoding="utf-8") for path in (document.english, document.korean))
        if normalised(english) == normalised(korean):
            return []
        return [f"{document.korean}: its code differs from the English beyond comments and string literals; "
                f"fix its entries in {document.catalog}, then {BUILD}"]
    if not document.is_notebook:
        return []
    english = _sources(json.loads((root / document.english).read_text(encoding="utf-8")))
    korean = _sources(json.loads((root / document.korean).read_text(encoding="utf-8")))
    found = []
    for index, ((kind, en), (_, ko)) in enumerate(zip(english, korean)):
        if kind != "code":
            continue
        try:
            same = normalised(en) == normalised(ko)
        except ValueError as error:
            same, why = False, str(error)
        else:
            why = "its code differs from the English beyond comments and string literals"
        if not same:
            found.append(f"{document.korean} cell {index}: {why}; fix its entry in {document.catalog}, then {BUILD}")
    return found


def wording_problems(document: documents.Document, root: Path) -> list[str]:
    """Glossary terms and the register, in the translations of a document."""
    avoided = glossary.avoided_terms(root / documents.GLOSSARY.relative_to(documents.ROOT))
    found = []
    path = root / document.catalog
    if not path.is_file():
        return []
    for entry in catalog.load(path):
        where = f"{document.catalog} ({document.english} {catalog.where(entry, document.is_notebook)})"
        text = entry.msgstr
        if "code" in entry.comment:
            words = "\n".join([*comments(text), *prose_strings(text)])
            found += [f"{where}: {p}" for p in glossary.term_problems(words, avoided)]
        else:
            found += [f"{where}: {p}" for p in glossary.term_problems(glossary.prose(text), avoided)]
            found += [f"{where}: {p}" for p in glossary.register_problems(text)]
    return found


def problems(root: Path = documents.ROOT) -> list[str]:
    """Everything that keeps the Korean edition from being in step with the English."""
    found = coverage_problems(root)
    for document in documents.documents():
        found += catalog_problems(document, root)
        found += build_problems(document, root)
        found += code_problems(document, root)
        found += wording_problems(document, root)
    return found
