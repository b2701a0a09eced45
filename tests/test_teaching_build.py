"""The kit's slides and handout: built offline by one command, complete, and the committed files up to date."""

import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import teaching_build as tool  # noqa: E402

from nst_plumbing.config import CONTENT_LAYERS, CONTENT_WEIGHT, STYLE_LAYERS, STYLE_WEIGHT  # noqa: E402

COMMITTED_SLIDES = ROOT / "teaching" / "slides"
COMMITTED_HANDOUT = ROOT / "teaching" / "handout.pdf"

# Written here, not taken from the tool, so that the check does not share the tool's mistakes.
ATTRIBUTE = re.compile(r"""\b(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]*)""", re.IGNORECASE)
NETWORK = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The kit built once by the one command, into a temporary folder."""
    out = tmp_path_factory.mktemp("kit")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "teaching_build.py"), "all", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


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
    for license_file in ("vendor/reveal.js/LICENSE", "vendor/mathjax/LICENSE"):
        assert (COMMITTED_SLIDES / license_file).is_file(), license_file


def test_the_slides_teach_the_recipe(html):
    for text in (*CONTENT_LAYERS, *STYLE_LAYERS, r"\alpha", r"\beta", r"\alpha/\beta = 10^{5}",
                 r"\alpha = 10^{3}", r"\beta = 10^{-2}", "learning rate <strong>5</strong>", "0.99", "0.1",
                 "103.939", "block5_conv2", "L-BFGS", "bfloat16", "Homework"):
        assert text in html, text
    assert CONTENT_WEIGHT / STYLE_WEIGHT == pytest.approx(1e5)
    slides = html.count('<section><section')
    assert 15 <= slides <= 20, f"{slides} slides"


def test_the_handout_is_one_page_with_the_layers_and_weights(built):
    reader = pypdf.PdfReader(built / tool.HANDOUT_NAME)
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    for name in (*CONTENT_LAYERS, *STYLE_LAYERS):
        assert name in text, name
    for value in (f"content_weight = {CONTENT_WEIGHT:g}", f"style_weight = {STYLE_WEIGHT:g}",
                  "learning rate 5", "beta_1 0.99", "epsilon 0.1", "400 Adam iterations at 256 px",
                  "1000 Adam iterations at 512 px", "gram_matrix", "nst_plumbing/config.py"):
        assert value in text, value


def test_the_committed_slides_and_handout_are_the_build(built):
    hint = "out of date: run python tools/teaching_build.py all"
    assert (built / "slides" / tool.SLIDES_NAME).read_bytes() == (COMMITTED_SLIDES / tool.SLIDES_NAME).read_bytes(), \
        f"teaching/slides/{tool.SLIDES_NAME} {hint}"
    built_media = sorted(p.relative_to(built / "slides") for p in (built / "slides" / "media").rglob("*")
                         if p.is_file())
    committed_media = sorted(p.relative_to(COMMITTED_SLIDES) for p in (COMMITTED_SLIDES / "media").rglob("*")
                             if p.is_file())
    assert built_media == committed_media, f"teaching/slides/media/ {hint}"
    for relative in built_media:
        assert (built / "slides" / relative).read_bytes() == (COMMITTED_SLIDES / relative).read_bytes(), \
            f"teaching/slides/{relative} {hint}"
    assert (built / tool.HANDOUT_NAME).read_bytes() == COMMITTED_HANDOUT.read_bytes(), f"teaching/handout.pdf {hint}"


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
