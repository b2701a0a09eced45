"""The Korean edition: in step with the English by tools/l10n/translate.py's check, the same code, working links and a Hangul font."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as notebook_tool  # noqa: E402
from l10n import build, catalog, check, documents, glossary, translate  # noqa: E402
from l10n.code_equivalence import has_words, normalised  # noqa: E402
from l10n.units import BADGE_TOKEN, PYTHON_SEPARATOR, markdown_segments, notebook_segments, python_segments  # noqa: E402

NOTEBOOK = "notebooks/01_visualize_data.ipynb"


def test_the_korean_edition_is_in_step_with_the_english():
    assert check.problems() == []


def _has_code(document) -> bool:
    cells = json.loads((ROOT / document.english).read_text(encoding="utf-8"))["cells"]
    return any(cell["cell_type"] == "code" for cell in cells)


@pytest.mark.parametrize("document", [d for d in documents.documents() if d.is_notebook and _has_code(d)],
                         ids=lambda d: d.korean)
def test_korean_code_cells_are_the_english_code(document):
    """Comments removed and string literals normalised, every code cell equals its English one."""
    english = json.loads((ROOT / document.english).read_text(encoding="utf-8"))["cells"]
    korean = json.loads((ROOT / document.korean).read_text(encoding="utf-8"))["cells"]
    assert [c["cell_type"] for c in korean] == [c["cell_type"] for c in english]
    pairs = [("".join(en["source"]), "".join(ko["source"])) for en, ko in zip(english, korean) if en["cell_type"] == "code"]
    assert all(normalised(en) == normalised(ko) for en, ko in pairs)
    assert sum(en != ko for en, ko in pairs) > 0, "the learner's words in the code are translated too"


@pytest.mark.parametrize("document", [d for d in documents.documents() if d.is_python], ids=lambda d: d.korean)
def test_a_korean_python_source_is_the_english_code(document):
    """The handout's drawing code: the same code, its drawn words in Korean."""
    english, korean = ((ROOT / path).read_text(encoding="utf-8") for path in (document.english, document.korean))
    assert normalised(english) == normalised(korean)
    assert english != korean and "콘텐츠" in korean


def test_a_python_source_splits_into_its_top_level_blocks_and_joins_back():
    path = ROOT / "teaching" / "handout" / "handout.py"
    blocks = python_segments(path)
    assert PYTHON_SEPARATOR.join(block.text for block in blocks) + "\n" == path.read_text(encoding="utf-8")
    assert len(blocks) > 5 and all(block.text.startswith(("def ", "class ", "@", "#")) for block in blocks[1:])
    assert {block.kind for block in blocks} <= {"code", "verbatim"}


def test_code_equivalence_allows_words_and_nothing_else():
    english = 'x = f(1, "a title")  # a comment\nprint(f"{x:.2f} s in all")\n'
    assert normalised(english) == normalised('x = f(1, "제목")  # 주석\nprint(f"모두 {x:.2f}초")\n')
    for changed in ('x = f(2, "a title")\nprint(f"{x:.2f} s")\n',        # a number
                    'x = f(1, "a title")\nprint(f"{y:.2f} s")\n',        # an f-string's expression
                    'x = g(1, "a title")\nprint(f"{x:.2f} s")\n'):      # a name
        assert normalised(english) != normalised(changed)
    marked = "# NBVAL_CHECK_OUTPUT\nprint('done')\n"
    assert normalised(marked) != normalised("print('끝')\n"), "nbval's marker is kept"
    assert normalised('name = "x"  #@param {type:"string"}') != normalised('name = "x"')
    assert has_words("print('the loss')") and not has_words("x = np.ones(3)\nplt.show()")


def test_units_hold_placeholders_not_what_tools_write():
    first = notebook_segments(ROOT / NOTEBOOK)[0]
    assert first.kind == "markdown" and BADGE_TOKEN in first.text and "colab-badge.svg" not in first.text
    kinds = [segment.kind for segment in notebook_segments(ROOT / NOTEBOOK)]
    assert kinds.count("setup") == 2, "the setup cell and its introduction are written by tools/notebooks.py"
    readme = markdown_segments(ROOT / "README.md")
    assert [s.kind for s in readme].count("generated") == 1  # the kit's timing table
    assert all(s.text.startswith("```") for s in readme if s.kind == "verbatim")
    assert not any("<!-- kt" in s.text and "about" in s.text for s in readme if s.unit)


def test_links_lead_to_the_korean_counterpart_or_the_english_file():
    korean = documents.Document(NOTEBOOK).korean
    rewrite = lambda target: build.rewrite_link(target, NOTEBOOK, korean)  # noqa: E731
    assert rewrite("../media/crab.jpg") == "../../media/crab.jpg"
    assert rewrite("02_preprocess.ipynb") == "02_preprocess.ipynb"  # translated: its Korean neighbour
    assert rewrite("../README.md#on-windows") == "../../README.ko.md#on-windows"
    assert rewrite("https://arxiv.org/abs/1508.06576") == "https://arxiv.org/abs/1508.06576"
    kit = lambda target: build.rewrite_link(target, "teaching/README.md", "ko/teaching/README.md")  # noqa: E731
    assert kit("../notebooks/") == "../notebooks"  # a mirrored folder: the Korean notebooks
    assert kit("cell_times.json") == "../../teaching/cell_times.json"  # not translated: the English file
    slides = lambda target: build.rewrite_link(target, "teaching/slides/lesson.ipynb",  # noqa: E731
                                               "ko/teaching/slides/lesson.ipynb")
    assert slides("media/pipeline.png") == "media/pipeline.png"  # drawn in each language
    assert slides("../../media/crab.jpg") == "../../../media/crab.jpg"
    assert build.rewrite_link("notebooks/01_visualize_data.ipynb", "README.md", "README.ko.md") == \
        "ko/notebooks/01_visualize_data.ipynb"


def test_english_anchors_work_in_the_korean_readme():
    text = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    for anchor in ("set-up-and-run", "on-windows", "how-fast"):
        assert f'<a id="{anchor}"></a>' in text
    assert "](README.md)" in text and "](README.ko.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_korean_notebooks_set_up_in_their_own_folder():
    source = notebook_tool.setup_source("https://github.com/o/n", "ko/notebooks/01_visualize_data.ipynb")
    assert 'os.chdir(repo / "ko/notebooks")' in source and "이 셀을 실행하세요" in source
    assert 'HANGUL_FONT = "koreanize-matplotlib==' in source
    assert 'HANGUL_FONT = ""' in notebook_tool.setup_source("https://github.com/o/n", NOTEBOOK)
    assert normalised(source) == normalised(notebook_tool.setup_source("https://github.com/o/n", NOTEBOOK))
    assert notebook_tool.word_limit(ROOT / "ko" / NOTEBOOK) is None


def _copy_of_the_edition(tmp_path: Path) -> Path:
    """The English documents that are translated, and the whole Korean edition, in a folder of their own."""
    for english in documents.TRANSLATED:
        for path in (english, documents.Document(english).korean, documents.Document(english).catalog):
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / path, tmp_path / path)
    shutil.copy(documents.GLOSSARY, tmp_path / "ko" / "GLOSSARY.md")
    (tmp_path / "nst_helpers.py").write_text("")  # marks the copy's root for tools/notebooks.py
    return tmp_path


def _edit_markdown_cell(path: Path, index: int, new_text: str) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][index]["source"] = new_text
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _first_prose_cell(path: Path) -> int:
    return next(i for i, s in enumerate(notebook_segments(path)) if s.kind == "markdown" and i > 0)


def test_the_check_fails_when_an_english_markdown_cell_changes_and_follows_the_translation(tmp_path):
    root = _copy_of_the_edition(tmp_path)
    assert check.problems(root) == []
    index = _first_prose_cell(root / NOTEBOOK)
    english = notebook_segments(root / NOTEBOOK)[index].text
    _edit_markdown_cell(root / NOTEBOOK, index, english + "\n\nOne more sentence.")

    found = check.problems(root)
    assert any(f"{NOTEBOOK} cell-{index}: the English changed" in line and "translate.py update" in line
               for line in found), found

    translate.update(root)  # the old translation is kept, marked fuzzy
    found = check.problems(root)
    assert any("is marked fuzzy" in line and f"cell-{index}" in line for line in found), found

    po = catalog.load(root / documents.Document(NOTEBOOK).catalog)
    entry = next(e for e in po if e.msgid.endswith("One more sentence."))
    assert entry.previous_msgid == english, "the translator sees what changed"
    entry.msgstr, entry.flags = entry.msgstr + "\n\n한 문장을 더 씁니다.", []
    catalog.save(po, root / documents.Document(NOTEBOOK).catalog)
    found = check.problems(root)
    assert any(f"markdown cells {index} differ from the build" in line and "translate.py build" in line
               and "notebooks.py run" not in line for line in found), found
    build.build_all(root)
    assert check.problems(root) == [], "a markdown cell changed: every code cell keeps its outputs"


def test_the_check_names_broken_code_one_language_documents_and_glossary_terms(tmp_path):
    root = _copy_of_the_edition(tmp_path)
    po_path = root / documents.Document(NOTEBOOK).catalog
    po = catalog.load(po_path)
    code = next(e for e in po if "code" in e.comment and "max_dim" in e.msgstr)
    code.msgstr = code.msgstr.replace("max_dim", "max_side", 1)
    prose = next(e for e in po if e.comment == "markdown" and e.msgstr.endswith("니다."))
    prose.msgstr += " 컨텐츠를 본다."
    catalog.save(po, po_path)
    build.build_all(root)
    (root / "ko" / "notebooks" / "99_orphan.ipynb").write_text("{}")
    (root / "notebooks" / "10_english_only.ipynb").write_text("{}")

    found = "\n".join(check.problems(root))
    assert "its code differs from the English beyond comments and string literals" in found
    assert "'컨텐츠' (the glossary's term: 콘텐츠)" in found
    assert "is not in the ㅂ니다 register" in found
    assert "ko/notebooks/99_orphan.ipynb: a Korean document with no English source" in found
    assert "notebooks/10_english_only.ipynb: has no Korean counterpart" in found
    assert "have not been executed" in found  # the changed code cell lost its outputs


def test_the_register_check_knows_the_polite_endings():
    assert glossary.register_problems("손실을 계산합니다. 그림을 봅시다. `x = 1이다.`") == []
    assert glossary.register_problems("손실을 계산한다. 끝입니다.") != []


def test_the_command_line_check_says_what_to_run(capsys):
    assert translate.main(["check"]) == 0
    assert "in step with their English" in capsys.readouterr().out


FIGURE = textwrap.dedent("""
    import sys, warnings
    sys.path.insert(0, {root!r})
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from nst_plumbing.fonts import use_hangul_fallback
    if {fallback}:
        assert use_hangul_fallback()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure, axes = plt.subplots()
        axes.set_title("콘텐츠 손실과 스타일 손실 (content, style)")
        figure.canvas.draw()
    print(sum("missing from font" in str(w.message) for w in caught))
""")


@pytest.mark.parametrize("fallback", [True, False])
def test_a_korean_figure_has_every_glyph_with_the_series_font(fallback):
    """With the setup cell's font fallback no "Glyph missing" warning; without it, matplotlib's default has no Hangul."""
    script = FIGURE.format(root=str(ROOT), fallback=fallback)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    missing = int(completed.stdout.split()[-1])
    assert (missing == 0) if fallback else (missing > 0)


@pytest.mark.parametrize("document", documents.documents(), ids=lambda d: d.korean)
def test_every_relative_link_of_a_korean_document_resolves(document):
    """Links re-rooted by the build lead to files (README.ko.md, 01 and 05 have such links)."""
    import re

    text = (ROOT / document.korean).read_text(encoding="utf-8")
    if document.is_notebook:
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    targets = [a or b for a, b in re.findall(r'\]\(([^)\s]+)\)|(?:src|href)="([^"]+)"', text)]
    relative = [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith(("#", "{{"))]
    missing = [t for t in relative if not ((ROOT / document.korean).parent / t.split("#")[0]).exists()]
    assert missing == [], f"{document.korean}: {missing}"
