"""Title keys: the normalised form of a title that finds one paper under two spellings.

Pure, like arxiv_ids: the store keys papers without an arXiv id on it, and importers need
nothing from here, so it sits below both (the store depends on nothing above it).
"""

from __future__ import annotations

import re
import unicodedata

_LATEX_WORD_OR_ACCENT = re.compile(r"\\(?:[a-zA-Z]+\*?|['\"`^~=.])|[{}]")
_LATEX_ESCAPE = re.compile(r"\\.")
_NON_WORD = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """A normalised title for dedup: case, accents, LaTeX markup and punctuation removed."""
    text = _LATEX_ESCAPE.sub(" ", _LATEX_WORD_OR_ACCENT.sub("", title)).casefold()
    if not text.isascii():  # ASCII has no decompositions or accents: skip the slow part
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text).strip()
