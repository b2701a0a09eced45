"""Keeps the Korean edition in step with the English: updates the catalogs, builds the Korean documents, checks both.

    python tools/l10n/translate.py update
        Reads every translated English document (tools/l10n/documents.py) and updates its catalog
        in ko/po/: unchanged English keeps its translation; changed English keeps the old
        translation marked "fuzzy", with the old English beside it; new English gets an empty one.
    python tools/l10n/translate.py build
        Writes each Korean document from its English source and its catalog: README.ko.md and
        ko/... . A Korean notebook keeps the outputs of every cell whose source did not change;
        run `python tools/notebooks.py run --profile cpu ko/notebooks/...` for the others.
    python tools/l10n/translate.py check
        Exits non-zero, naming the document, the cell or line and what to run, if a translation
        is missing, fuzzy or out of date, a Korean document is not the build, a Korean code cell's
        code differs from the English, a glossary term is broken, or a document exists in one
        language only.

To change a lesson: edit the English, run `update`, translate the entries it leaves empty or
fuzzy in ko/po/ (a PO editor such as Poedit, or any text editor: remove the "#, fuzzy" line when
done), run `build`, re-execute the Korean notebooks whose cells changed, and run `check`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))  # tools/: this package, and the notebooks' and the kit's tools it builds on

from l10n import catalog, documents  # noqa: E402
from l10n.units import segments  # noqa: E402


def update(root: Path = documents.ROOT) -> list[str]:
    """Updates every catalog from its English document; returns a line per catalog that changed."""
    changed = []
    for document in documents.documents():
        path = root / document.catalog
        old = catalog.load(path)
        units = [segment.unit for segment in segments(root / document.english) if segment.unit]
        new = catalog.updated(old, units, document.english)
        if not path.is_file() or str(new) != str(old):
            catalog.save(new, path)
            todo = sum(not catalog.is_done(entry) for entry in new)
            changed.append(f"{document.catalog}: {len(new)} entries, {todo} to translate")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("update", "build", "check"))
    args = parser.parse_args(argv)
    if args.command == "update":
        for line in update() or ["every catalog is up to date"]:
            print(line)
        return 0
    from l10n import build, check

    if args.command == "build":
        for line in build.build_all() or ["every Korean document is up to date"]:
            print(line)
        return 0
    problems = check.problems()
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"{len(documents.documents())} Korean documents in step with their English")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
