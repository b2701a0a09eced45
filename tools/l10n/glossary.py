"""The glossary's rules as checks: the words it forbids, and sentences out of the polite ㅂ니다 register."""

from __future__ import annotations

import re
from pathlib import Path

from l10n.documents import GLOSSARY

# A sentence that ends in the plain register (…한다. …이다.) rather than the polite one (…합니다.,
# or …합시다. when it invites).
_PLAIN_ENDING = re.compile(r"(?<![니시])다[.!?](?=\s|$|\))")
_CODE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|<[^>]+>", re.S)


def avoided_terms(path: Path = GLOSSARY) -> dict[str, str]:
    """Each word the glossary forbids, with the term to write instead (its table's third column)."""
    avoided = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and line.startswith("|") and not set(cells[0]) <= set("-") and cells[0] != "English":
            for word in filter(None, (w.strip() for w in cells[2].split(","))):
                avoided[word] = cells[1]
    return avoided


def prose(text: str) -> str:
    """The prose of a markdown text: code, formulas and HTML tags removed."""
    return _CODE.sub(" ", text)


def term_problems(text: str, avoided: dict[str, str]) -> list[str]:
    """A sentence for each forbidden word in ``text``, naming the word to use."""
    return [f"'{word}' (the glossary's term: {instead})" for word, instead in avoided.items() if word in text]


def register_problems(text: str) -> list[str]:
    """The sentences of ``text``'s prose that end in the plain register."""
    found = []
    for sentence_end in _PLAIN_ENDING.finditer(prose(text)):
        start = max(0, sentence_end.start() - 30)
        found.append(f"'…{prose(text)[start:sentence_end.end()].strip()}' is not in the ㅂ니다 register")
    return found
