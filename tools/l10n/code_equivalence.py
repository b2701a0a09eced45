"""What must stay the same between an English code cell and its Korean translation: the code, not its words."""

from __future__ import annotations

import ast
import io
import re
import tokenize

# Comments that are instructions to a tool, not words for the learner: kept exactly.
_TOOL_COMMENT = re.compile(r"#\s*(NBVAL_\w+|@param\b.*|@markdown\b.*)")
_MAGIC = re.compile(r"^\s*[%!]")


def _split_magics(source: str) -> tuple[str, list[str]]:
    """The cell with IPython magics (``%...``, ``!...``) blanked, and the magics themselves."""
    magics, lines = [], []
    for line in source.splitlines():
        if _MAGIC.match(line):
            magics.append(line.strip())
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines), magics


def comments(source: str) -> list[str]:
    """The cell's comments, in order."""
    python, _ = _split_magics(source)
    try:
        return [token.string for token in tokenize.generate_tokens(io.StringIO(python).readline)
                if token.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return re.findall(r"#.*", python)


def prose_strings(source: str) -> list[str]:
    """String literals with words in them (a letter and a space), which a learner reads."""
    python, _ = _split_magics(source)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return []
    found = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return [text for text in found if re.search(r"[^\W\d_]", text) and " " in text.strip()]


def has_words(source: str) -> bool:
    """Whether a code cell has anything to translate: a comment for people, or a prose string."""
    for_people = [text for text in comments(source) if not _TOOL_COMMENT.fullmatch(text.strip())]
    return bool(for_people or prose_strings(source))


class _Normaliser(ast.NodeTransformer):
    """Every string literal becomes ``''``; an f-string keeps its expressions, in order."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant(value="") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        kept = [self.visit(value) for value in node.values if isinstance(value, ast.FormattedValue)]
        return ast.JoinedStr(values=kept)


def normalised(source: str) -> str:
    """The cell's code with comments removed and string literals normalised, as text to compare.

    Tool comments (``# NBVAL_CHECK_OUTPUT``, ``#@param``) and IPython magics are kept verbatim, and
    a Colab ``#@title`` keeps its place but not its words.

    Raises:
        ValueError: The cell is not valid Python.
    """
    python, magics = _split_magics(source)
    try:
        tree = ast.parse(python)
    except SyntaxError as exc:
        raise ValueError(f"not valid Python (line {exc.lineno}): {exc.msg}") from exc
    kept = [text.strip() for text in comments(source) if _TOOL_COMMENT.fullmatch(text.strip())]
    titles = ["#@title" for text in comments(source) if text.startswith("#@title")]
    code = ast.dump(_Normaliser().visit(tree), annotate_fields=False)
    return "\n".join([*titles, *kept, *magics, code])
