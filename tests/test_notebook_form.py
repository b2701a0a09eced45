"""The committed notebooks' form: badge, shared setup cell, one kernel spec, a real run."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as tool  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SERIES = tool.series_notebooks()  # the numbered notebooks and teaching/solutions.ipynb, then the Korean edition's
KOREAN = sorted((ROOT / "ko" / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "ko" / "teaching").glob("*.ipynb"))


def test_series_includes_the_solutions_and_the_korean_edition():
    assert KOREAN, "the Korean edition's notebooks"
    assert SERIES == NOTEBOOKS + [ROOT / "teaching" / "solutions.ipynb"] + KOREAN


@pytest.mark.parametrize("path", SERIES, ids=tool.notebook_path_in_repo)
def test_form(path):
    assert tool.problems(path) == []


@pytest.mark.parametrize("path", SERIES, ids=tool.notebook_path_in_repo)
def test_committed_outputs_come_from_one_clean_run(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: run it with tools/notebooks.py run"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors
    # The profile's line, as the English prints it or as the Korean edition translates it (실행 프로필 'cpu').
    assert any(re.search(r"(profile|프로필) 'cpu'", "".join(o.get("text", ""))) for c in code for o in c["outputs"]), \
        f"{path.name}: committed outputs must come from the cpu profile"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_teaching_structure(path):
    nb = json.loads(path.read_text())
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Key takeaways" in markdown and "## Exercises" in markdown
    sources = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "nst_plumbing.exercises" in sources and "check_" in sources, "at least one auto-checked exercise"
    assert "get_profile" in sources


def test_sync_restores_badge_and_setup_cell_exactly(tmp_path):
    original = NOTEBOOKS[0]
    copy = tmp_path / "notebooks" / original.name  # the badge names folder and file, so keep them
    copy.parent.mkdir()
    nb = tool.nbformat.read(original, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(tool.badge(tool.notebook_path_in_repo(original)), "")
    setup = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(tool.SETUP_MARKER))
    setup.source = tool.SETUP_MARKER + "\nREPO_URL = 'https://example.org/old'"
    tool.write(nb, copy)
    assert len(tool.problems(copy)) == 2
    assert tool.sync(copy) is True
    assert tool.problems(copy) == []
    assert copy.read_text() == original.read_text()
    assert tool.sync(copy) is False  # already in sync: nothing rewritten


MARKDOWN_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)")


@pytest.mark.parametrize("path", SERIES, ids=tool.notebook_path_in_repo)
def test_relative_links_resolve_inside_jupyters_root(path):
    """Jupyter started as the README says (in the repository's root) serves every linked file."""
    nb = json.loads(path.read_text())
    links = [link for c in nb["cells"] if c["cell_type"] == "markdown" for link in MARKDOWN_LINK.findall("".join(c["source"]))]
    for link in links:
        target = (path.parent / link.split("#")[0]).resolve()
        assert target.is_file(), f"{path.name}: {link} does not exist"
        assert target.is_relative_to(ROOT), f"{path.name}: {link} is outside the repository"


def test_readme_starts_jupyter_in_the_repository_root():
    commands = re.findall(r"jupyter (?:lab|notebook)([^`\n]*)", (ROOT / "README.md").read_text())
    assert commands
    for arguments in commands:
        folders = [a for a in arguments.split() if not a.startswith("-")]
        assert folders in ([], ["."]), f"jupyter started in {folders}: links to ../media would leave its root"


@pytest.mark.parametrize("given,expected", [
    ("git@github.com:me/nst.git", "https://github.com/me/nst"),
    ("ssh://git@github.com/me/nst.git", "https://github.com/me/nst"),
    ("https://github.com/me/nst.git/", "https://github.com/me/nst"),
    ("  https://github.com/me/nst  ", "https://github.com/me/nst"),
    ("file:///tmp/nst", "file:///tmp/nst"),
])
def test_repository_addresses_are_normalised(given, expected):
    assert tool.normalize_repo_url(given) == expected


def test_sync_with_a_new_address_stores_it_and_rewrites_every_badge_and_setup_cell(tmp_path, monkeypatch):
    monkeypatch.setattr(tool, "REPO_URL_FILE", tmp_path / "repo_url.txt")
    (tmp_path / "repo_url.txt").write_text((ROOT / "tools" / "repo_url.txt").read_text())
    copy = tmp_path / "notebooks" / NOTEBOOKS[0].name
    copy.parent.mkdir()
    copy.write_text(NOTEBOOKS[0].read_text())

    url, source = tool.choose_repo_url("git@github.com:teacher/nst-class.git")
    assert (url, source) == ("https://github.com/teacher/nst-class", "--repo-url")
    assert tool.save_repo_url(url) is True and tool.stored_repo_url() == url
    assert tool.problems(copy) != []  # the notebook still names the old address
    assert tool.sync(copy) is True
    text = copy.read_text()
    assert "colab.research.google.com/github/teacher/nst-class/blob/main/notebooks/" in text
    assert 'REPO_URL = \\"https://github.com/teacher/nst-class\\"' in text
    assert "nst-series" not in text
    assert tool.problems(copy) == []


def test_sync_uses_the_git_remote_and_falls_back_to_the_stored_address(monkeypatch):
    monkeypatch.setattr(tool, "git_remote_url", lambda: "git@github.com:fork/nst.git")
    assert tool.choose_repo_url() == ("https://github.com/fork/nst", "git remote origin")
    monkeypatch.setattr(tool, "git_remote_url", lambda: None)
    assert tool.choose_repo_url() == (tool.stored_repo_url(), "tools/repo_url.txt")


def test_colab_cannot_open_an_address_outside_github():
    with pytest.raises(ValueError, match="Colab opens notebooks from GitHub only"):
        tool.choose_repo_url("https://gitlab.com/me/nst")


def test_prose_words_leave_out_code_formulas_tags_and_link_targets():
    nb = tool.nbformat.v4.new_notebook(cells=[
        tool.nbformat.v4.new_markdown_cell("Two words `not_counted(x)` $\\alpha + \\beta$\n"
                                           "```\nfenced code is not prose\n```\n"
                                           "<b>bold</b> [a link](https://example.org/not/counted) it's one"),
        tool.nbformat.v4.new_code_cell("# code cells are not prose"),
    ])
    assert tool.prose_words(nb) == 7  # Two, words, bold, a, link, it's, one


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_fits_a_class_hour(path):
    words, limit = tool.prose_words(tool.nbformat.read(path, as_version=4)), tool.word_limit(path)
    assert limit is not None, f"{path.name}: give it a limit in tools/notebooks.py WORD_LIMITS"
    assert words <= limit, f"{path.name}: {words} words of prose, limit {limit} (python tools/notebooks.py words)"


def test_an_unhidden_setup_cell_is_reported(tmp_path):
    copy = tmp_path / "notebooks" / NOTEBOOKS[0].name
    copy.parent.mkdir()
    nb = json.loads(NOTEBOOKS[0].read_text())
    setup = next(c for c in nb["cells"] if "".join(c["source"]).startswith(tool.SETUP_MARKER))
    assert setup["metadata"] == tool.SETUP_METADATA  # collapsed in Colab (form) and in Jupyter
    setup["metadata"] = {}
    nb["cells"].append({"cell_type": "markdown", "id": "x", "metadata": {"colab": {"id": "x"}}, "source": "x"})
    copy.write_text(json.dumps(nb))
    found = tool.problems(copy)
    assert any("setup cell is not hidden" in problem for problem in found)
    assert any("stray metadata ['colab']" in problem for problem in found)


def _markdown_before(cells: list[dict], index: int) -> str:
    """The markdown cells just before cell ``index`` (up to the previous code cell), one string."""
    texts = []
    for cell in reversed(cells[:index]):
        if cell["cell_type"] != "markdown":
            break
        texts.insert(0, "".join(cell["source"]))
    return " ".join(" ".join(texts).split())


@pytest.mark.parametrize("path", SERIES, ids=tool.notebook_path_in_repo)
def test_multiple_choice_questions_are_written_where_the_reader_sees_them(path):
    from nst_plumbing.exercises import QUESTIONS

    if tool.language(tool.notebook_path_in_repo(path)) != "en":
        pytest.skip("a translation asks its source's questions in its own words (tests/test_translation.py)")
    cells = json.loads(path.read_text())["cells"]
    asked = 0
    for index, cell in enumerate(cells):
        for key in re.findall(r"check_choice\(\s*[\"']([\w-]+)[\"']", "".join(cell["source"])):
            if path.parent.name == "teaching":
                continue  # the solutions answer the questions the notebooks ask
            asked += 1
            shown, question = _markdown_before(cells, index), QUESTIONS[key]
            assert " ".join(question.text.split()) in shown, f"{path.name}: {key!r}'s question is not in the markdown above it"
            for letter, option in question.options.items():
                assert f"{letter}) {' '.join(option.split())}" in shown, \
                    f"{path.name}: {key!r}'s option {letter}) is not in the markdown above it"
    if path.parent.name != "teaching":
        assert asked or "check_choice" not in path.read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_says_how_long_it_takes(path):
    cells = json.loads(path.read_text())["cells"]
    headings = [line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()
                if line.startswith("### Exercise")]
    assert headings, f"{path.name}: no exercises"
    for heading in headings:
        assert re.search(r"about \d+(-\d+)? min", heading), f"{path.name}: {heading!r} gives no time (about N min)"
