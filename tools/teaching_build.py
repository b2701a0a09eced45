"""Builds the teacher's kit's offline slides and one-page handout from their sources in teaching/.

    python tools/teaching_build.py slides|handout|all [--out DIR] [--png FILE]

``slides``: ``teaching/slides/lesson.ipynb`` (markdown cells with ``slideshow`` metadata) becomes
``teaching/slides/lesson.slides.html`` with nbconvert's ``SlidesExporter`` (what ``jupyter
nbconvert --to slides`` runs) and the template ``teaching/slides/template/offline_reveal``:
reveal.js and MathJax come from ``teaching/slides/vendor/`` by relative path, and every image the
slides show is copied next to the HTML (``teaching/slides/media/``), so the deck opens offline.
The build fails, naming them, if any ``src``, ``href`` or CSS ``url(`` in the HTML points to the
network or to a file that does not exist.

``handout``: ``teaching/handout/handout.py`` draws one A4 page with matplotlib;
it is saved as ``teaching/handout.pdf`` (no creation date, so the same source gives the same bytes).
``--png FILE`` also saves the same page as a PNG, to look at it.

``--language ko`` builds the Korean kit instead: its sources and builds lie in ``ko/teaching/``
(written by ``tools/l10n/translate.py build`` from the English and the translations), and the
handout draws its Hangul in NanumGothic. The Korean deck carries its own copy of ``vendor/``
(the same files, so git stores them once).

``--out DIR`` writes into DIR instead of the language's kit folder (``DIR/slides/lesson.slides.html`` with
its ``vendor/`` and ``media/`` beside it, ``DIR/handout.pdf``); the tests build there and compare
with the committed files.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "teaching"
SLIDES_DIR = TEACHING / "slides"
SLIDES_SOURCE = SLIDES_DIR / "lesson.ipynb"
SLIDES_NAME = "lesson.slides.html"
TEMPLATE_DIR = SLIDES_DIR / "template"
TEMPLATE_NAME = "offline_reveal"
VENDOR = "vendor"
MEDIA = "media"  # the slides' images, copied from the repository's media/ to slides/media/
HANDOUT_SOURCE = TEACHING / "handout" / "handout.py"
HANDOUT_NAME = "handout.pdf"
PIPELINE_IMAGE = f"{MEDIA}/pipeline.png"  # the handout's pipeline diagram, drawn for the slides too

REVEAL_PREFIX = f"{VENDOR}/reveal.js"
MATHJAX_FILE = f"{VENDOR}/mathjax/es5/tex-svg-full.js"
# Every vendored file the slides load, and the npm package it comes from (vendor/README.md says how).
VENDOR_FILES = {
    f"{REVEAL_PREFIX}/dist/reveal.js": "reveal.js@5.2.1",
    f"{REVEAL_PREFIX}/dist/reveal.css": "reveal.js@5.2.1",
    f"{REVEAL_PREFIX}/dist/theme/white.css": "reveal.js@5.2.1",
    f"{REVEAL_PREFIX}/plugin/notes/notes.js": "reveal.js@5.2.1",
    MATHJAX_FILE: "mathjax@3.2.2",
}
SLIDE_SIZE = (1100, 690)  # reveal.js scales this canvas to the screen

# A reference in HTML or inline CSS: src="...", href='...', url(...).
REFERENCE = re.compile(r"""(?:\b(?:src|href)\s*=\s*(?P<quote>["'])(?P<attr>.*?)(?P=quote))"""
                       r"""|(?:\burl\(\s*(?P<cq>["']?)(?P<url>[^"')]*)(?P=cq)\s*\))""", re.IGNORECASE)
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host, ftp://...
NOT_A_FILE = re.compile(r"^(?:#|data:|mailto:|javascript:|about:)", re.IGNORECASE)


class BuildError(RuntimeError):
    """A build cannot go on; the message names what is missing or wrong and how to fix it."""


@dataclass(frozen=True)
class Kit:
    """One language's kit: the folder that holds its slides' and handout's sources and builds."""

    language: str
    folder: Path

    @property
    def slides_dir(self) -> Path:
        return self.folder / "slides"

    @property
    def slides_source(self) -> Path:
        return self.slides_dir / SLIDES_SOURCE.name

    @property
    def handout_source(self) -> Path:
        return self.folder / "handout" / HANDOUT_SOURCE.name


KITS = {"en": Kit("en", TEACHING), "ko": Kit("ko", ROOT / "ko" / "teaching")}


def references(html: str) -> list[str]:
    """Every ``src``, ``href`` and CSS ``url(...)`` target in ``html``, in order of appearance.

    Args:
        html: An HTML document (inline ``<style>`` blocks included).

    Returns:
        The targets as written, e.g. ``vendor/reveal.js/dist/reveal.js`` or ``#anchor``.
    """
    return [match.group("attr") if match.group("attr") is not None else match.group("url")
            for match in REFERENCE.finditer(html)]


def remote_references(html: str) -> list[str]:
    """The references of ``html`` that point to the network (``http://``, ``https://``, ``//host``, ...)."""
    return [target for target in references(html) if REMOTE.match(target.strip())]


def missing_local_files(html: str, folder: Path) -> list[str]:
    """The local references of ``html`` (not remote, not ``#``, ``data:`` ...) with no file in ``folder``.

    Args:
        html: An HTML document.
        folder: The folder the document lies in; relative references are resolved from it.

    Returns:
        The targets, as written, whose file does not exist (a ``?query`` or ``#part`` is ignored).
    """
    missing = []
    for target in references(html):
        target = target.strip()
        if not target or REMOTE.match(target) or NOT_A_FILE.match(target):
            continue
        path = re.split(r"[?#]", target, maxsplit=1)[0]
        if not (folder / path).is_file():
            missing.append(target)
    return missing


def check_vendor(vendor_root: Path) -> None:
    """Checks that every vendored file the slides load is present.

    Args:
        vendor_root: The folder that holds ``vendor/`` (``teaching/slides``).

    Raises:
        BuildError: A file is missing; the message names it, its npm package and how to get it.
    """
    for relative, package in VENDOR_FILES.items():
        if not (vendor_root / relative).is_file():
            raise BuildError(f"vendored file missing: {vendor_root / relative} (from the npm package {package}). "
                             f"Get it with `npm pack {package}`, unpack it and copy the file there: "
                             f"{vendor_root / VENDOR / 'README.md'} lists every file and the commands")


def export_slides(source: Path) -> str:
    """Converts the slides notebook to reveal.js HTML whose scripts and styles are all local.

    Args:
        source: The notebook, with ``slideshow`` metadata on its cells.

    Returns:
        The HTML, with references relative to ``teaching/slides/`` (images still as the notebook wrote them).
    """
    import nbformat
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_url_prefix = REVEAL_PREFIX
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_width = str(SLIDE_SIZE[0])
    config.SlidesExporter.reveal_height = str(SLIDE_SIZE[1])
    # Nothing in the template uses these any more; they are set so that no default points to a CDN.
    config.SlidesExporter.mathjax_url = MATHJAX_FILE
    config.SlidesExporter.require_js_url = ""
    config.SlidesExporter.jquery_url = ""
    config.SlidesExporter.mermaid_js_url = ""
    config.SlidesExporter.font_awesome_url = ""
    config.SlidesExporter.jupyter_widgets_base_url = ""
    exporter = SlidesExporter(config=config, template_name=TEMPLATE_NAME,
                              extra_template_basedirs=[str(TEMPLATE_DIR)])
    notebook = nbformat.read(source, as_version=4)
    html, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": source.stem}})
    return html


def bring_images_along(html: str, source: Path, slides_out: Path) -> str:
    """Copies every file of the repository that ``html`` references from outside the slides' folder.

    ``../../media/gallery/x.png`` (as the notebook in ``teaching/slides/`` writes it) is copied to
    ``slides_out/media/gallery/x.png`` and the reference becomes ``media/gallery/x.png``.

    Args:
        html: The exported HTML.
        source: The slides notebook; its references are relative to its folder.
        slides_out: The folder the HTML will be written to.

    Returns:
        The HTML with those references rewritten.

    Raises:
        BuildError: A referenced file does not exist, or lies outside the repository's ``media/``.
    """
    source_dir = source.parent
    media_out = slides_out / MEDIA
    if media_out.exists():
        shutil.rmtree(media_out)  # a build output: only what the slides show now
    media_root = (ROOT / "media").resolve()

    def rewrite(match: re.Match) -> str:
        target = match.group("attr")
        if target is None or REMOTE.match(target) or NOT_A_FILE.match(target) or not target.startswith(".."):
            return match.group(0)
        original = (source_dir / target).resolve()
        if not original.is_file() or media_root not in original.parents:
            raise BuildError(f"{source} shows {target!r}: {original} is not a file under {media_root}")
        relative = original.relative_to(media_root).as_posix()
        copy = media_out / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, copy)
        return match.group(0).replace(target, f"{MEDIA}/{relative}")

    return REFERENCE.sub(rewrite, html)


def build_slides(out_dir: Path, kit: Kit = KITS["en"]) -> Path:
    """Builds the offline slides into ``out_dir/slides/``.

    Args:
        out_dir: The kit's folder (``teaching/`` for the committed deck, or any other folder:
            then ``vendor/`` is copied there too, so the deck opens from it).
        kit: The language's kit whose slides notebook is built.

    Returns:
        The path of the HTML file.

    Raises:
        BuildError: A vendored file is missing, or the HTML references the network or a file
            that does not exist.
    """
    check_vendor(SLIDES_DIR)
    if not kit.slides_source.is_file():
        raise BuildError(f"the slides' source is missing: {kit.slides_source}"
                         + ("; run `python tools/l10n/translate.py build`" if kit.language != "en" else ""))
    slides_out = out_dir / "slides"
    slides_out.mkdir(parents=True, exist_ok=True)
    html = bring_images_along(export_slides(kit.slides_source), kit.slides_source, slides_out)
    save_pipeline_image(slides_out / PIPELINE_IMAGE, kit)
    if slides_out.resolve() != SLIDES_DIR.resolve():
        shutil.copytree(SLIDES_DIR / VENDOR, slides_out / VENDOR, dirs_exist_ok=True)
    remote = remote_references(html)
    if remote:
        raise BuildError(f"the slides would load from the network: {', '.join(sorted(set(remote)))}; "
                         f"make each one local in {TEMPLATE_DIR / TEMPLATE_NAME} or {kit.slides_source}")
    missing = missing_local_files(html, slides_out)
    if missing:
        raise BuildError(f"the slides reference files that do not exist: {', '.join(sorted(set(missing)))}")
    path = slides_out / SLIDES_NAME
    path.write_text(html, encoding="utf-8")
    return path


def load_handout_module(kit: Kit = KITS["en"]) -> types.ModuleType:
    """Imports the kit's ``handout/handout.py`` by its path (``teaching`` is not a package).

    For a kit in another language, matplotlib is first given the Hangul fallback font.

    Args:
        kit: The language's kit.

    Returns:
        The module; its ``draw_handout()`` returns the page as a matplotlib figure.

    Raises:
        BuildError: The source file is missing.
    """
    if not kit.handout_source.is_file():
        raise BuildError(f"the handout's source is missing: {kit.handout_source}")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the handout reads the recipe from nst_plumbing.config
    if kit.language == "ko":
        from nst_plumbing.fonts import use_hangul_fallback

        if not use_hangul_fallback():
            raise BuildError("the Korean handout needs NanumGothic: pip install -r requirements.txt "
                             "(koreanize-matplotlib)")
    spec = importlib.util.spec_from_file_location(f"teaching_handout_{kit.language}", kit.handout_source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save_pipeline_image(path: Path, kit: Kit = KITS["en"]) -> None:
    """Draws the handout's pipeline diagram as a PNG for the slides (no metadata, so the same bytes each time).

    Args:
        path: Where to write it.
        kit: The language's kit, whose handout draws the diagram.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = load_handout_module(kit).draw_pipeline_figure()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=160, metadata={"Software": None})
    plt.close(figure)


def build_handout(out_dir: Path, png: Path | None = None, kit: Kit = KITS["en"]) -> Path:
    """Draws the one-page handout and saves it as ``out_dir/handout.pdf``.

    Args:
        out_dir: The kit's folder (``teaching/`` for the committed PDF).
        png: Also save the same page here as a PNG (150 dpi), to look at it.
        kit: The language's kit, whose handout is drawn.

    Returns:
        The path of the PDF.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = load_handout_module(kit).draw_handout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / HANDOUT_NAME
    # Type 42 keeps the text extractable; no creation date, so the same source gives the same bytes.
    with matplotlib.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}):
        figure.savefig(path, format="pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None})
    if png is not None:
        png.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(png, format="png", dpi=150)
    plt.close(figure)
    return path


def build_parser() -> argparse.ArgumentParser:
    """The command line: what to build, and where."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("slides", "handout", "all"), help="what to build")
    parser.add_argument("--language", choices=sorted(KITS), default="en",
                        help="whose kit to build: en (teaching/) or ko (ko/teaching/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the kit's folder to write into (default: the language's kit, the committed files)")
    parser.add_argument("--png", type=Path, default=None, help="also save the handout as this PNG, to look at it")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Builds what the command line asks for and prints each file's path.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 when a build fails (its message goes to stderr).
    """
    args = build_parser().parse_args(argv)
    kit = KITS[args.language]
    out = args.out or kit.folder
    try:
        if args.what in ("slides", "all"):
            print(f"slides: {build_slides(out, kit)}")
        if args.what in ("handout", "all"):
            print(f"handout: {build_handout(out, args.png, kit)}")
    except BuildError as error:
        print(f"teaching_build: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
