"""The committed notebooks' form: badge, shared setup cell, one kernel spec, a real run."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_form(path):
    assert tool.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_come_from_one_clean_run(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: run it with tools/notebooks.py run"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors
    assert any("profile 'cpu'" in "".join(o.get("text", "")) for c in code for o in c["outputs"]), \
        f"{path.name}: committed outputs must come from the cpu profile"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_teaching_structure(path):
    nb = json.loads(path.read_text())
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Key takeaways" in markdown and "## Exercises" in markdown
    sources = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "nst_exercises" in sources and "check_" in sources, "at least one auto-checked exercise"
    assert "get_profile" in sources


def test_sync_restores_badge_and_setup_cell_exactly(tmp_path):
    original = NOTEBOOKS[0]
    copy = tmp_path / original.name  # the badge names the file, so keep its name
    nb = tool.nbformat.read(original, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(tool.badge(original.name), "")
    setup = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(tool.SETUP_MARKER))
    setup.source = tool.SETUP_MARKER + "\nREPO_URL = 'https://example.org/old'"
    tool.write(nb, copy)
    assert len(tool.problems(copy)) == 2
    assert tool.sync(copy) is True
    assert tool.problems(copy) == []
    assert copy.read_text() == original.read_text()
    assert tool.sync(copy) is False  # already in sync: nothing rewritten
