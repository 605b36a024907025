"""A reader's filters on the daily feed: categories and keywords to keep only, or to hide.

"Only" lists keep a paper that matches any of their entries (categories and keywords each,
when given); "hide" lists drop a paper that matches any entry. Categories match as search's
``cat:`` does (``cs`` covers every ``cs.*``); keywords match title, abstract and the AI
keywords, ignoring case.
"""

from __future__ import annotations

from collections.abc import Sequence

from dailypapers.models import Paper
from dailypapers.store.readers import Preferences


def active(prefs: Preferences) -> bool:
    """Whether any filter is set."""
    return bool(
        prefs.include_categories
        or prefs.exclude_categories
        or prefs.include_keywords
        or prefs.exclude_keywords
    )


def keeps(paper: Paper, prefs: Preferences) -> bool:
    """Whether the paper passes the reader's feed filters."""
    if prefs.include_categories and not _in_categories(paper, prefs.include_categories):
        return False
    if prefs.exclude_categories and _in_categories(paper, prefs.exclude_categories):
        return False
    text = _text(paper) if prefs.include_keywords or prefs.exclude_keywords else ""
    if prefs.include_keywords and not any(k.lower() in text for k in prefs.include_keywords):
        return False
    return not any(k.lower() in text for k in prefs.exclude_keywords)


def _in_categories(paper: Paper, wanted: Sequence[str]) -> bool:
    mine = [c.lower() for c in paper.categories]
    return any(c == w.lower() or c.startswith(w.lower() + ".") for c in mine for w in wanted)


def _text(paper: Paper) -> str:
    return " ".join([paper.title, paper.abstract, *paper.ai_keywords]).lower()
