"""The kit's slides and handout, in English and in Korean: built offline by one command, complete, and the committed files up to date."""

import re
import warnings
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import teaching_build as tool  # noqa: E402

from nst_plumbing.config import CONTENT_LAYERS, CONTENT_WEIGHT, STYLE_LAYERS, STYLE_WEIGHT  # noqa: E402

COMMITTED = {"en": ROOT / "teaching", "ko": ROOT / "ko" / "teaching"}
HANGUL = re.compile("[\uac00-\ud7a3]")

# Written here, not taken from the tool, so that the check does not share the tool's mistakes.
ATTRIBUTE = re.compile(r"""\b(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]*)""", re.IGNORECASE)
NETWORK = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


def _build(out: Path, language: str) -> Path:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "teaching_build.py"), "all", "--language", language,
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module", params=["en", "ko"])
def language(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def built(tmp_path_factory, language) -> Path:
    """The kit of one language built once by the one command, into a temporary folder."""
    return _build(tmp_path_factory.mktemp(f"kit_{language}"), language)


@pytest.fixture(scope="module")
def html(built) -> str:
    return (built / "slides" / tool.SLIDES_NAME).read_text(encoding="utf-8")


def _targets(html: str) -> list[str]:
    return [match.group(3) for match in ATTRIBUTE.finditer(html)] + CSS_URL.findall(html)


def test_the_slides_load_nothing_from_the_network(html):
    remote = [target for target in _targets(html) if NETWORK.match(target)]
    assert remote == [], f"the slides reference the network: {remote}"
    assert not re.search(r"""\bimport\s[^;]*?from\s*["'](https?:)?//""", html), "a module import from a CDN"


def test_every_local_reference_of_the_slides_exists(built, html):
    folder = built / "slides"
    local = [target for target in _targets(html)
             if target and not NETWORK.match(target) and not re.match(r"^(#|data:|mailto:)", target)]
    assert local, "the slides reference no local file at all"
    missing = [target for target in local if not (folder / target.split("#")[0].split("?")[0]).is_file()]
    assert missing == [], f"missing files: {missing}"


def test_mathjax_and_reveal_js_are_the_vendored_files(built, html):
    scripts = re.findall(r"""<script[^>]*\bsrc\s*=\s*["']([^"']+)""", html)
    assert scripts == ["vendor/mathjax/es5/tex-svg-full.js", "vendor/reveal.js/dist/reveal.js",
                       "vendor/reveal.js/plugin/notes/notes.js"]
    assert "vendor/reveal.js/dist/reveal.css" in html and "vendor/reveal.js/dist/theme/white.css" in html
    assert "Reveal.initialize(" in html and "window.MathJax" in html
    assert "MathJax.Hub" not in html  # MathJax 2's API: it does not exist in the vendored MathJax 3
    for committed in COMMITTED.values():
        for license_file in ("vendor/reveal.js/LICENSE", "vendor/mathjax/LICENSE"):
            assert (committed / "slides" / license_file).is_file(), license_file


def test_the_slides_teach_the_recipe(html, language):
    for text in (*CONTENT_LAYERS, *STYLE_LAYERS, r"\alpha", r"\beta", r"\alpha/\beta = 10^{5}",
                 r"\alpha = 10^{3}", r"\beta = 10^{-2}", "<strong>5</strong>", "0.99", "0.1",
                 "103.939", "block5_conv2", "L-BFGS", "bfloat16"):
        assert text in html, text
    for text in {"en": ("learning rate <strong>5</strong>", "Homework"), "ko": ("학습률", "숙제")}[language]:
        assert text in html, text
    hangul = len(HANGUL.findall(html))
    assert (hangul > 1000) if language == "ko" else (hangul == 0), f"{hangul} Hangul syllables in the {language} slides"
    assert CONTENT_WEIGHT / STYLE_WEIGHT == pytest.approx(1e5)
    slides = html.count('<section><section')
    assert 15 <= slides <= 20, f"{slides} slides"


def test_the_handout_is_one_page_with_the_layers_and_weights(built, language):
    reader = pypdf.PdfReader(built / tool.HANDOUT_NAME)
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    for name in (*CONTENT_LAYERS, *STYLE_LAYERS):
        assert name in text, name
    for value in (f"content_weight = {CONTENT_WEIGHT:g}", f"style_weight = {STYLE_WEIGHT:g}",
                  "beta_1 0.99", "epsilon 0.1", "gram_matrix", "nst_plumbing/config.py"):
        assert value in text, value
    english = ("learning rate 5", "400 Adam iterations at 256 px", "1000 Adam iterations at 512 px")
    korean = ("학습률 5", "256 px", "512 px", "콘텐츠", "스타일")
    for value in {"en": english, "ko": korean}[language]:
        assert value in text, value
    hangul = len(HANGUL.findall(text))
    assert (hangul > 100) if language == "ko" else (hangul == 0), f"{hangul} Hangul syllables in the {language} handout"


def test_the_korean_handout_draws_every_glyph():
    """matplotlib warns "Glyph ... missing from font(s)" for each syllable a font cannot draw, and
    mathtext "Font ... does not have a glyph" for Hangul inside a formula."""
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = tool.load_handout_module(tool.KITS["ko"]).draw_handout()
        figure.canvas.draw()
    missing = [str(w.message) for w in caught if "missing from" in str(w.message) or "have a glyph" in str(w.message)]
    assert missing == [], missing[:3]


def test_the_committed_slides_and_handout_are_the_build(built, language):
    committed = COMMITTED[language]
    where = committed.relative_to(ROOT).as_posix()
    hint = f"out of date: run python tools/teaching_build.py all --language {language}"
    slides = committed / "slides"
    assert (built / "slides" / tool.SLIDES_NAME).read_bytes() == (slides / tool.SLIDES_NAME).read_bytes(), \
        f"{where}/slides/{tool.SLIDES_NAME} {hint}"
    for folder in ("media", "vendor"):
        built_files = sorted(p.relative_to(built / "slides") for p in (built / "slides" / folder).rglob("*")
                             if p.is_file())
        committed_files = sorted(p.relative_to(slides) for p in (slides / folder).rglob("*") if p.is_file())
        assert built_files == committed_files, f"{where}/slides/{folder}/ {hint}"
        for relative in built_files:
            assert (built / "slides" / relative).read_bytes() == (slides / relative).read_bytes(), \
                f"{where}/slides/{relative} {hint}"
    assert (built / tool.HANDOUT_NAME).read_bytes() == (committed / tool.HANDOUT_NAME).read_bytes(), \
        f"{where}/handout.pdf {hint}"


def test_the_reference_checks_see_every_kind_of_reference():
    page = ('<script src="https://cdn.example/x.js"></script><link href=\'//cdn.example/y.css\'>'
            '<style>a { background: url("http://x/y.png") } b { background: url(local.png) }</style>'
            '<a href="#anchor"></a><img src="data:image/png;base64,AAAA"><img src="media/missing.png">')
    assert tool.remote_references(page) == ["https://cdn.example/x.js", "//cdn.example/y.css", "http://x/y.png"]
    assert tool.missing_local_files(page, ROOT) == ["local.png", "media/missing.png"]
    assert [target for target in _targets(page) if NETWORK.match(target)] == tool.remote_references(page)


def test_a_missing_vendor_file_is_named_with_how_to_get_it(tmp_path):
    with pytest.raises(tool.BuildError, match=r"reveal\.js/dist/reveal\.js.*npm pack reveal\.js@5\.2\.1"):
        tool.check_vendor(tmp_path)
