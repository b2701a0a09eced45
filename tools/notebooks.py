"""Maintain the notebook series: one setup cell and badge for all, execution, clean JSON.

    python tools/notebooks.py run [--profile cpu] [notebooks/01_*.ipynb ...]
        Executes notebooks top to bottom in a fresh kernel, in place, and prints each one's
        wall time. This is how the committed outputs are made (profile "cpu" on a CPU).
    python tools/notebooks.py sync
        Rewrites every notebook's badge and setup cell from the template below.
    python tools/notebooks.py check
        Exits non-zero, naming the notebook, if any is out of sync or has stray metadata.

The repository's address is written here once (REPO_URL); ``sync`` copies it into the
notebooks' Colab badges and setup cells.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from nst_config import PROFILE_ENV_VAR, PROFILE_NAMES, quiet_tensorflow_logs  # noqa: E402
NOTEBOOKS = ROOT / "notebooks"

REPO_URL = "https://github.com/nst-series/neural-style-transfer"
BRANCH = "main"
CLONE_DIR = "neural-style-transfer"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK_METADATA = {
    "kernelspec": KERNELSPEC,
    "language_info": {"name": "python"},
    "colab": {"provenance": []},
}

SETUP_MARKER = "# Setup: plumbing, not part of the lesson"
SETUP_SOURCE = f'''{SETUP_MARKER} (safe to skip when reading).
import os
import sys

REPO_URL = "{REPO_URL}"

if "google.colab" in sys.modules:  # on Colab: fetch the repository once; Colab has the rest
    if not os.path.isdir("/content/{CLONE_DIR}"):
        !git clone --quiet --depth 1 {{REPO_URL}} /content/{CLONE_DIR}
    os.chdir("/content/{CLONE_DIR}/notebooks")

# The series' modules are in the folder above notebooks/; TensorFlow's start-up log is noise here.
sys.path.insert(0, os.path.abspath(".."))
import nst_config

nst_config.quiet_tensorflow_logs()'''

BADGE_MARKER = "colab-badge.svg"


def badge(name: str) -> str:
    url = f"https://colab.research.google.com/github/{REPO_URL.split('github.com/')[1]}/blob/{BRANCH}/notebooks/{name}"
    return f'<a href="{url}" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>'


def md(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source.strip("\n"))


def code(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source.strip("\n"))


def new_notebook(name: str, title: str, intro: str, cells: list) -> nbformat.NotebookNode:
    """A series notebook: title, badge and intro, the setup cell, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [md(f"# {title}\n\n{badge(name)}\n\n{intro.strip()}"),
                md("## Setup\n\nThe first cell is plumbing: on Colab it fetches this repository; "
                   "locally it makes `nst_helpers` importable from `notebooks/`. You can skip reading it."),
                code(SETUP_SOURCE), *cells]
    return normalize(nb)


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """One kernel spec, no stray notebook or cell metadata, stable cell ids."""
    widget_state = nb.metadata.get("widgets")  # saved by a run, so widgets render when viewed
    nb.metadata = copy.deepcopy(NOTEBOOK_METADATA)
    if widget_state:
        nb.metadata["widgets"] = widget_state
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        keep = {k: v for k, v in cell.get("metadata", {}).items() if k in ("tags",)}
        cell.metadata = nbformat.NotebookNode(keep)
        cell.id = f"cell-{index:02d}"
    nbformat.validate(nb)
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(normalize(nb), version=4) + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.write_text(_text(nb), encoding="utf-8")


def sync(path: Path) -> bool:
    """Puts the current badge and setup cell into ``path``; returns whether it changed."""
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    title, *rest = [line for line in nb.cells[0].source.splitlines() if BADGE_MARKER not in line]
    while rest and not rest[0].strip():  # the blank lines that surrounded the old badge
        rest.pop(0)
    nb.cells[0].source = "\n".join([title, "", badge(path.name), *([""] + rest if rest else [])])
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(SETUP_MARKER):
            cell.source = SETUP_SOURCE
    after = _text(nb)
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


def problems(path: Path) -> list[str]:
    """What is wrong with a notebook's form (not its teaching)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    if {k: v for k, v in nb.metadata.items() if k != "widgets"} != NOTEBOOK_METADATA:
        found.append(f"{path.name}: notebook metadata is not exactly {NOTEBOOK_METADATA}")
    if badge(path.name) not in nb.cells[0].source:
        found.append(f"{path.name}: the first cell lacks the Colab badge for {REPO_URL}")
    setup = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(SETUP_MARKER)]
    if len(setup) != 1 or setup[0].source != SETUP_SOURCE:
        found.append(f"{path.name}: the setup cell differs from tools/notebooks.py (run: python tools/notebooks.py sync)")
    for cell in nb.cells:
        extra = set(cell.get("metadata", {})) - {"tags"}
        if extra:
            found.append(f"{path.name}: cell {cell.get('id')} has stray metadata {sorted(extra)}")
    return found


def run(path: Path, profile: str, timeout: int) -> float:
    """Executes ``path`` in place in a fresh kernel with ``NST_PROFILE=profile``; returns seconds."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ[PROFILE_ENV_VAR] = profile
    quiet_tensorflow_logs()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="execute notebooks in place")
    run_parser.add_argument("--profile", default="cpu", choices=PROFILE_NAMES)
    run_parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    run_parser.add_argument("paths", nargs="*", type=Path)
    sub.add_parser("sync", help="rewrite badges and setup cells from the template")
    sub.add_parser("check", help="report notebooks out of sync or with stray metadata")
    args = parser.parse_args(argv)

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.command == "run":
        paths = [p.resolve() for p in args.paths] or paths
        total = 0.0
        for path in paths:
            seconds = run(path, args.profile, args.timeout)
            total += seconds
            print(f"{path.name}: {seconds:.0f} s (profile {args.profile})", flush=True)
        print(f"all {len(paths)} notebooks: {total:.0f} s")
    elif args.command == "sync":
        for path in paths:
            print(f"{path.name}: {'updated' if sync(path) else 'in sync'}")
    else:
        found = [p for path in paths for p in problems(path)]
        print("\n".join(found) or f"{len(paths)} notebooks in good form")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
