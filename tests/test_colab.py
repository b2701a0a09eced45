"""Colab, simulated: every notebook's setup works in a fresh Colab runtime, and locally from the repository's root.

The local case is a kernel started in the repository's root, as VS Code starts it.

What is simulated, and how:

- **The published repository** is a git repository made from this checkout's files (tracked and
  new, not ignored), so what is tested is the working tree, committed or not. The notebooks'
  setup cells are pointed at it with ``tools/notebooks.py``'s own ``sync``, as
  ``sync --repo-url`` points them at a fork (a ``file://`` address has no Colab badge, so the
  badge is left alone).
- **Colab's kernel** has ``google.colab`` imported before the first cell runs. Here a stub package
  (``files.upload`` and ``files.download``, which record their calls in a log) is on
  ``PYTHONPATH`` and an IPython start-up file imports it.
- **Colab's working folder**, ``/content``, is a fresh folder outside the repository for every
  notebook (each Colab notebook has a runtime of its own); the setup cell clones into the folder
  named by ``NST_COLAB_DIR`` instead of ``/content/neural-style-transfer``.

What runs, and why that is enough: nbval executes every notebook in full in the same test run, so
here each notebook runs only what differs on Colab: its setup cell, in a runtime of its own, then
a probe cell with exactly the ``nst_...`` import statements of the notebook's code cells, which
proves the clone, the working folder and every module the notebook imports. One notebook that
offers its result for download runs in full (``DOWNLOADING``, the cheapest of 05, 06 and 08 in
the ``test`` profile), proving that results land in the clone's ``outputs/`` and that
``google.colab.files.download`` is called; ``offer_download`` itself is tested directly. The
weights come from the same offline sources as in the other tests.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402

SERIES = tool.series_notebooks()

# The notebooks that offer their result for download, and the file each one offers.
DOWNLOADS = {"05_optimize.ipynb": "05_crab_great_wave.png",
             "06_style_gallery.ipynb": "06_chelsea_night_cafe.png",
             "08_control.ipynb": "08_chelsea_controlled.png"}
# Run in full: the cheapest of them in the test profile (measured here, 2 shared cores: 05 about 21 s,
# 08 about 38 s, 06 about 61 s).
DOWNLOADING = "05_optimize.ipynb"

FILES_STUB = '''"""A stand-in for google.colab.files that records its calls (tests only)."""
import json
import os


def _record(call, **details):
    with open(os.environ["FAKE_COLAB_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"call": call, **details}) + "\\n")


def upload():
    _record("upload")
    return {}


def download(filename):
    path = os.path.abspath(filename)
    if not os.path.isfile(path):  # as Colab does
        raise FileNotFoundError(f"Cannot find file: {filename}")
    _record("download", path=path)
'''

PROBE = ("import json, os, sys\n"
         "print(json.dumps({'helpers': getattr(sys.modules.get('nst_helpers'), '__file__', None), 'cwd': os.getcwd(),"
         " 'colab': 'google.colab' in sys.modules,"
         " 'modules': {name: getattr(module, '__file__', None) for name, module in sorted(sys.modules.items())"
         " if name.split('.')[0].startswith('nst_')}}))")


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> SimpleNamespace:
    """This checkout as a git repository to clone, and a google.colab stub."""
    base = tmp_path_factory.mktemp("colab")
    origin = base / "origin"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not published
            (origin / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, origin / name)
    _git("init", "-q", cwd=origin)
    _git("add", "-A", cwd=origin)
    _git("commit", "-q", "-m", "published", cwd=origin)

    stubs = base / "stubs"
    (stubs / "google" / "colab").mkdir(parents=True)
    # No google/__init__.py: "google" stays a namespace package, shared with protobuf's google.protobuf.
    (stubs / "google" / "colab" / "__init__.py").write_text("from . import files\n")
    (stubs / "google" / "colab" / "files.py").write_text(FILES_STUB)
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # Colab's kernels start with it imported\n")
    return SimpleNamespace(base=base, url=origin.as_uri(), stubs=stubs, ipython_dir=base / "ipython")


@pytest.fixture
def on_colab(published, tmp_path, monkeypatch) -> SimpleNamespace:
    """A fresh Colab runtime: its working folder, where the clone goes, and the log of files calls."""
    content = tmp_path / "content"
    content.mkdir()
    log = tmp_path / "colab_calls.jsonl"
    log.touch()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(published.stubs), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("IPYTHONDIR", str(published.ipython_dir))
    monkeypatch.setenv(tool.CLONE_DIR_ENV_VAR, str(content / "neural-style-transfer"))
    monkeypatch.setenv("FAKE_COLAB_LOG", str(log))
    monkeypatch.setenv("NST_PROFILE", "test")
    return SimpleNamespace(content=content, clone=content / "neural-style-transfer", log=log)


def _calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _execute(nb: nbformat.NotebookNode, cwd: Path, allow_errors: bool = False) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _probe(nb: nbformat.NotebookNode) -> dict:
    return json.loads(nb.cells[-1].outputs[-1]["text"])


def _is_setup(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and cell.source.startswith(tool.SETUP_MARKER)


def series_imports(nb: nbformat.NotebookNode) -> list[str]:
    """The import statements of the series' modules (``import nst_...``, ``from nst_... import``) in the
    notebook's code cells, setup cell aside, each once, in order, as one line of Python."""
    statements = []
    for cell in nb.cells:
        if cell.cell_type != "code" or _is_setup(cell):
            continue
        tree = ast.parse(TransformerManager().transform_cell(cell.source))  # IPython's %magics and !commands
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(name.startswith("nst_") for name in names) and ast.unparse(node) not in statements:
                statements.append(ast.unparse(node))
    return statements


def _opened_on_colab(path: Path, published, on_colab) -> nbformat.NotebookNode:
    """The notebook as Colab opens it: a file of its own, its setup cell fetching the published repository."""
    opened = on_colab.content.parent / path.name
    shutil.copy(path, opened)
    tool.sync(opened, published.url, with_badge=False, path_in_repo=tool.notebook_path_in_repo(path))
    nb = nbformat.read(opened, as_version=4)
    setup = [cell for cell in nb.cells if _is_setup(cell)]
    assert setup and all(published.url in cell.source for cell in setup)
    return nb


def _check_the_clone_served(probe: dict, on_colab, folder: str = "notebooks") -> None:
    assert probe["colab"] is True
    assert Path(probe["helpers"]) == on_colab.clone / "nst_helpers.py", "the series must come from the clone"
    assert Path(probe["cwd"]) == on_colab.clone / folder, "the notebook's own folder, where its relative links lead"
    assert (on_colab.clone / ".git" / "shallow").is_file(), "a shallow clone"
    strays = {name: file for name, file in probe["modules"].items()
              if file is not None and on_colab.clone not in Path(file).parents}
    assert strays == {}, "every module of the series must come from the clone"


@pytest.mark.parametrize("path", SERIES, ids=lambda p: tool.notebook_path_in_repo(p))
def test_notebook_setup_works_on_a_fresh_colab_runtime(path, published, on_colab):
    """The setup cell, then the notebook's own imports of the series, in a runtime of its own."""
    nb = _opened_on_colab(path, published, on_colab)
    imports = series_imports(nb)
    assert any("nst_helpers" in statement for statement in imports), imports
    nb.cells = [cell for cell in nb.cells if _is_setup(cell)] + [nbformat.v4.new_code_cell("\n".join([*imports, PROBE]))]

    _execute(nb, on_colab.content)

    probe = _probe(nb)
    _check_the_clone_served(probe, on_colab, tool.notebook_path_in_repo(path).rsplit("/", 1)[0])
    imported = {statement.split()[1].split(".")[0] for statement in imports}
    assert imported <= {name.split(".")[0] for name in probe["modules"]}
    assert _calls(on_colab.log) == []


def test_series_imports_are_the_notebook_s_import_statements():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(tool.setup_source("file:///nowhere")),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nimport nst_helpers as nst\n"
                                  "from nst_plumbing.exercises import (check_choice,\n    check_gram_matrix)"),
        nbformat.v4.new_markdown_cell("import nst_nothing"),
        nbformat.v4.new_code_cell("!ls\ndef f():\n    import nst_extended as extended\nimport nst_helpers as nst")])
    assert series_imports(nb) == ["import nst_helpers as nst",
                                  "from nst_plumbing.exercises import check_choice, check_gram_matrix",
                                  "import nst_extended as extended"]


def test_the_notebooks_that_offer_a_download():
    """The notebook run in full stands for every notebook that offers a download."""
    offering = {path.name for path in SERIES if path.parent.name == "notebooks"
                and any("offer_download(" in cell.source for cell in nbformat.read(path, as_version=4).cells
                        if cell.cell_type == "code")}
    assert offering == set(DOWNLOADS)
    assert DOWNLOADING in DOWNLOADS


def test_a_result_lands_in_the_clone_and_is_downloaded(published, on_colab):
    """One notebook, top to bottom, as on Colab: its result goes into the clone's outputs/ and to the browser."""
    nb = _opened_on_colab(tool.NOTEBOOKS / DOWNLOADING, published, on_colab)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))

    _execute(nb, on_colab.content)

    _check_the_clone_served(_probe(nb), on_colab)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    downloads = [Path(call["path"]) for call in _calls(on_colab.log) if call["call"] == "download"]
    assert downloads == [on_colab.clone / "outputs" / DOWNLOADS[DOWNLOADING]]
    assert downloads[0].is_file()
    assert not (on_colab.content / "outputs").exists(), "results go into the repository's outputs/"


@pytest.fixture
def result_file(tmp_path) -> Path:
    result = tmp_path / "result.png"
    result.write_bytes(b"not really a PNG")
    return result


def test_offer_download_calls_colab_s_files_download_on_colab(result_file, monkeypatch, capsys):
    from nst_plumbing import images

    downloaded = []
    files = ModuleType("google.colab.files")
    files.download = downloaded.append
    colab = ModuleType("google.colab")
    colab.files = files
    monkeypatch.setitem(sys.modules, "google.colab", colab)  # as a Colab kernel has it
    monkeypatch.setitem(sys.modules, "google.colab.files", files)
    images.offer_download(result_file)
    assert downloaded == [str(result_file)]
    assert capsys.readouterr().out == f"Downloading result.png ({result_file}) to your computer.\n"


def test_offer_download_elsewhere_prints_where_the_file_is(result_file, monkeypatch, capsys):
    from nst_plumbing import images

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    images.offer_download(result_file)
    assert capsys.readouterr().out == f"Your result is {result_file}; open it from there.\n"
    monkeypatch.setattr(images, "REPO_ROOT", result_file.parent)  # inside the repository: its path there
    images.offer_download(result_file)
    assert capsys.readouterr().out == "Your result is result.png in the repository; open it from there.\n"
    with pytest.raises(FileNotFoundError, match="no file to download"):
        images.offer_download(result_file.with_name("missing.png"))


def test_a_failed_fetch_stops_with_one_clear_message(on_colab, tmp_path):
    missing = (tmp_path / "no-such-repository").as_uri()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(tool.setup_source(missing)),
                                         nbformat.v4.new_code_cell("print('not reached')")])
    with pytest.raises(CellExecutionError):
        _execute(nb, on_colab.content)
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["error"], "one error, no git output"
    assert outputs[0].ename == "RuntimeError"
    assert outputs[0].evalue.startswith(f"Could not fetch the series from {missing} (")
    assert "run this cell again" in outputs[0].evalue
    assert nb.cells[1].outputs == []
    assert not on_colab.clone.exists()


def test_kernel_started_at_the_repository_root_uses_its_outputs_folder(published, tmp_path, monkeypatch):
    """VS Code starts the kernel in the repository's root, not in notebooks/."""
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", published.url, str(checkout)], check=True, capture_output=True)
    monkeypatch.setenv("NST_PROFILE", "test")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(tool.setup_source()),
        nbformat.v4.new_code_cell("import numpy as np\nimport nst_helpers as nst\n"
                                  "nst.save_image(np.zeros((4, 4, 3), np.uint8), nst.OUTPUTS_DIR / 'probe.png', force=True)"),
        nbformat.v4.new_code_cell(PROBE)])
    _execute(nb, checkout)
    probe = _probe(nb)
    assert (probe["helpers"], probe["cwd"], probe["colab"]) == (str(checkout / "nst_helpers.py"), str(checkout), False)
    assert (checkout / "outputs" / "probe.png").is_file()
    assert not (tmp_path / "outputs").exists()


def test_outside_the_repository_the_setup_cell_says_where_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(tool.setup_source())])
    _execute(nb, tmp_path, allow_errors=True)
    (error,) = nb.cells[0].outputs
    assert error.ename == "RuntimeError" and "start Jupyter in the repository's root" in error.evalue
