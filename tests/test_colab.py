"""Colab, simulated: every notebook runs top to bottom as it would on Colab, and locally from the
repository's root as VS Code starts it.

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

Every notebook then runs in the small ``test`` profile with nbclient. The weights come from the
same offline sources as in the other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402

SERIES = tool.series_notebooks()

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
         "print(json.dumps({'helpers': sys.modules['nst_helpers'].__file__, 'cwd': os.getcwd(),"
         " 'colab': 'google.colab' in sys.modules}))")


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


@pytest.mark.parametrize("path", SERIES, ids=lambda p: tool.notebook_path_in_repo(p))
def test_notebook_runs_on_colab(path, published, on_colab):
    # The notebook as Colab opens it: a file of its own, its setup cell fetching the published repository.
    opened = on_colab.content.parent / path.name
    shutil.copy(path, opened)
    tool.sync(opened, published.url, with_badge=False)
    nb = nbformat.read(opened, as_version=4)
    assert published.url in nb.cells[[c.source.startswith(tool.SETUP_MARKER) for c in nb.cells].index(True)].source
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))

    _execute(nb, on_colab.content)

    probe = _probe(nb)
    assert probe["colab"] is True
    assert Path(probe["helpers"]) == on_colab.clone / "nst_helpers.py", "the series must come from the clone"
    assert Path(probe["cwd"]) == on_colab.clone / "notebooks"
    assert (on_colab.clone / ".git" / "shallow").is_file(), "a shallow clone"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    downloads = [Path(call["path"]) for call in _calls(on_colab.log) if call["call"] == "download"]
    expected = {"05_optimize.ipynb": [on_colab.clone / "outputs" / "05_crab_great_wave.png"],
                "06_style_gallery.ipynb": [on_colab.clone / "outputs" / "06_chelsea_night_cafe.png"],
                "08_control.ipynb": [on_colab.clone / "outputs" / "08_chelsea_controlled.png"]}
    assert downloads == expected.get(path.name, [])
    assert not (on_colab.content / "outputs").exists(), "results go into the repository's outputs/"


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
    assert _probe(nb) == {"helpers": str(checkout / "nst_helpers.py"), "cwd": str(checkout), "colab": False}
    assert (checkout / "outputs" / "probe.png").is_file()
    assert not (tmp_path / "outputs").exists()


def test_outside_the_repository_the_setup_cell_says_where_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(tool.setup_source())])
    _execute(nb, tmp_path, allow_errors=True)
    (error,) = nb.cells[0].outputs
    assert error.ename == "RuntimeError" and "start Jupyter in the repository's root" in error.evalue
