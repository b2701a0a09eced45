"""The gettext catalog of one document: its English units as msgids, their Korean as msgstrs, kept in step by update."""

from __future__ import annotations

import difflib
from pathlib import Path

import polib

from l10n.units import Unit

# A changed English unit inherits the translation of the old unit most like it, marked fuzzy, when
# they are at least this alike (difflib's ratio); below it the translation starts empty.
FUZZY_MATCH = 0.5
METADATA = {"Project-Id-Version": "nst-series", "Language": "ko", "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}


def load(path: Path) -> polib.POFile:
    """The catalog at ``path``, or an empty one if there is none yet."""
    path = Path(path)
    if path.is_file():
        return polib.pofile(str(path), wrapwidth=0)
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = dict(METADATA)
    return catalog


def contexts(units: list[Unit]) -> list[str | None]:
    """msgctxt for each unit: none for a text met once, its place for a text met more than once."""
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit.text] = counts.get(unit.text, 0) + 1
    return [unit.where if counts[unit.text] > 1 else None for unit in units]


def where(entry: polib.POEntry, is_notebook: bool) -> str:
    """Where an entry's English is: ``cell-3`` in a notebook, ``line-40`` in a markdown document."""
    return f"{'cell' if is_notebook else 'line'}-{entry.occurrences[0][1] if entry.occurrences else '?'}"


def is_done(entry: polib.POEntry) -> bool:
    """A translated entry: a msgstr, and not marked fuzzy."""
    return bool(entry.msgstr) and "fuzzy" not in entry.flags


def _closest(text: str, candidates: list[polib.POEntry]) -> polib.POEntry | None:
    best, best_ratio = None, FUZZY_MATCH
    for entry in candidates:
        ratio = difflib.SequenceMatcher(None, text, entry.msgid, autojunk=False).ratio()
        if ratio >= best_ratio:
            best, best_ratio = entry, ratio
    return best


def updated(old: polib.POFile, units: list[Unit], source: str) -> polib.POFile:
    """A catalog for ``units`` that keeps every translation whose English is unchanged.

    A unit whose English changed gets the translation of the most similar old unit, marked fuzzy,
    with the old English as ``previous_msgid`` so the translator sees what changed; a new unit
    gets an empty translation. Units no longer in the English are dropped (git keeps them).
    """
    by_key = {(entry.msgctxt, entry.msgid): entry for entry in old if not entry.obsolete}
    unit_contexts = contexts(units)
    unmatched = [entry for key, entry in by_key.items()
                 if not any((context, unit.text) == key for unit, context in zip(units, unit_contexts))]
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = dict(old.metadata or METADATA)
    for unit, context in zip(units, unit_contexts):
        entry = polib.POEntry(msgid=unit.text, msgstr="", msgctxt=context, comment=unit.kind,
                              occurrences=[(source, unit.where.rsplit("-", 1)[-1])])  # "#: notebooks/01_....ipynb:3"
        kept = by_key.get((context, unit.text))
        if kept is not None:
            entry.msgstr, entry.flags, entry.previous_msgid = kept.msgstr, list(kept.flags), kept.previous_msgid
        else:
            closest = _closest(unit.text, unmatched)
            if closest is not None and closest.msgstr:
                unmatched.remove(closest)
                entry.msgstr, entry.flags, entry.previous_msgid = closest.msgstr, ["fuzzy"], closest.msgid
        catalog.append(entry)
    return catalog


def translations(catalog: polib.POFile) -> dict[tuple[str | None, str], polib.POEntry]:
    """The catalog's entries by (msgctxt, msgid)."""
    return {(entry.msgctxt, entry.msgid): entry for entry in catalog if not entry.obsolete}


def save(catalog: polib.POFile, path: Path) -> None:
    """Writes the catalog, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.save(str(path))
