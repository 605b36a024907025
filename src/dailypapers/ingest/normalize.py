"""Pure helpers that turn what sources give into the shape the store expects.

Titles are cleaned (sources wrap them at ~80 columns) and keyed for dedup across sources
that carry no arXiv id; abstracts are kept byte-for-byte apart from outer whitespace,
because their LaTeX and line breaks are rendered later (KaTeX) and must not be damaged.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from dailypapers.models import FeatureRecord, PaperRecord, Parsed, Rejection
from dailypapers.periods import latest_feature_day
from dailypapers.safety import MAX_INT, clean_text, has_invalid_text, http_url, safe_links

_WS = re.compile(r"\s+")
# URLs with a scheme, or bare `www.` / `github.com/` / `gitlab.com/` ones. The leading
# character class lets the regex engine skip ahead quickly: this runs on every abstract.
_URL = re.compile(
    r"[HhWwGg](?:(?<=[Hh])[Tt][Tt][Pp][Ss]?://|(?<=[Ww])[Ww][Ww]\.|(?<=[Gg])it(?:hub|lab)\.com/)"
    r"[^\s<>\"'{}|\\^`]+"
)
_URL_HINTS = ("http", "www.", "github.com/", "gitlab.com/")
_NOT_BEFORE_BARE_URL = frozenset("./@-_")
_TRAILING = ".,;:!?'\"*>"
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht")
# Links to papers, licences and model/dataset hubs are not a project's own page.
_NOT_PROJECT_HOSTS = ("arxiv.org", "doi.org", "creativecommons.org", "huggingface.co")
_PAREN = re.compile(r"\([^()]*\)")
_AUTHOR_SEP = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*;\s*")


def clean_title(title: str) -> str:
    """Collapse the line wraps and whitespace runs that arXiv-derived titles carry."""
    return _WS.sub(" ", title).strip()


def split_authors(authors: str) -> list[str]:
    """Split an arXiv author string ("A, B, and C (Affil)") into names, dropping affiliations."""
    text = _WS.sub(" ", authors)
    while _PAREN.search(text):
        text = _PAREN.sub("", text)
    return [name.strip() for name in _AUTHOR_SEP.split(text) if name.strip()]


def parse_timestamp(text: str) -> datetime:
    """Parse ISO 8601 (`2024-05-23T02:53:25.000Z`), a bare date, or RFC 2822; UTC-aware.

    Naive values are taken as UTC, which is what every source we read means by them.
    Raises ValueError naming the text when it is none of those.
    """
    s = text.strip()
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError:
        parsed = _parse_rfc2822(s)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError(f"timestamp out of range: {text!r}") from None


_GMT = re.compile(
    r"(?:[A-Z][a-z]{2}, )?(\d{1,2}) ([A-Z][a-z]{2}) ([1-9]\d{3}) (\d\d):(\d\d):(\d\d) GMT"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _parse_rfc2822(text: str) -> datetime:
    """RFC 2822 dates as in the arXiv dump's `versions[].created`. Their one shape there,
    `Mon, 2 Apr 2007 19:18:42 GMT`, is read directly (a fifth of the time
    email.utils takes, which was the largest cost of reading the dump); anything else,
    and any value that shape cannot hold, goes to email.utils."""
    match = _GMT.fullmatch(text)
    month = _MONTHS.get(match[2]) if match else None
    if match and month:
        day, _, year, hour, minute, second = match.groups()
        try:
            return datetime(
                int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=UTC
            )
        except ValueError:
            pass  # e.g. 31 Feb: email.utils words the error
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"not a date or timestamp: {text!r}") from None


def parse_date(text: str) -> date:
    """A calendar date from a date or a timestamp (the UTC date of the latter)."""
    return parse_timestamp(text).date()


def extract_links(abstract: str) -> tuple[str | None, str | None]:
    """The first code-repository URL and the first other project URL an abstract mentions."""
    code: str | None = None
    project: str | None = None
    for url in _urls(abstract):
        if _is_code_url(url):
            code = code or url.removesuffix(".git")
        elif project is None and _is_project_url(url):
            project = url
    return code, project


def _urls(text: str) -> list[str]:
    """URLs in running text, without the sentence punctuation that follows them."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _URL_HINTS):
        return []
    found = []
    for match in _URL.finditer(text):
        url = _strip_trailing(match.group(0))
        if not url.lower().startswith("http"):
            if _inside_word(text, match.start()):
                continue
            url = f"https://{url}"
        if "." in _host(url):
            found.append(url)
    return found


def _inside_word(text: str, start: int) -> bool:
    """A bare `www.`/`github.com/` preceded by a word or host character is not a URL start."""
    if start == 0:
        return False
    before = text[start - 1]
    return before.isalnum() or before in _NOT_BEFORE_BARE_URL


def _strip_trailing(url: str) -> str:
    """Drop trailing punctuation, and closing brackets that have no opening partner."""
    while url and (url[-1] in _TRAILING or _unbalanced_close(url)):
        url = url[:-1]
    return url


def _unbalanced_close(url: str) -> bool:
    """A final `)` or `]` with no partner in the URL closes the surrounding sentence."""
    last = url[-1]
    opener = {")": "(", "]": "["}.get(last)
    return opener is not None and url.count(last) > url.count(opener)


def _host(url: str) -> str:
    """The lower-case host of an absolute URL."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split(":", 1)[0].lower().removeprefix("www.")


def _path_parts(url: str) -> list[str]:
    """Non-empty path segments of an absolute URL."""
    rest = url.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    return [p for p in re.split(r"[/?#]", path) if p]


def _is_code_url(url: str) -> bool:
    """A repository on a code host (owner/name), or a Hugging Face Space."""
    host = _host(url)
    parts = _path_parts(url)
    if host == "huggingface.co":
        return len(parts) >= 3 and parts[0] == "spaces"
    return host in _CODE_HOSTS and len(parts) >= 2


def _is_project_url(url: str) -> bool:
    """Anything else worth linking as the project's page (e.g. `*.github.io`)."""
    host = _host(url)
    return host not in _CODE_HOSTS and not host.endswith(_NOT_PROJECT_HOSTS)


def checked(
    record: PaperRecord, *, today: date, links: tuple[str | None, str | None] | None = None
) -> PaperRecord:
    """The record as the store may keep it, or ValueError naming the first field it cannot.

    Every source's records pass here, so one rule covers them all: text loses the control
    characters feeds and PostgreSQL refuse, links must be http(s) (links in the JSON kept as
    HF sent it, which the API serves verbatim, are dropped instead: `safety.safe_links`),
    counts must fit the store, and a feature may not be dated after `today` + 1 (it would
    pin the home page for ever).
    `links`, (code_url, project_url), replace the record's own (as `finish` would), in the
    same one copy of the record.
    """
    code_url, project_url = links or (record.code_url, record.project_url)
    values = {"code_url": code_url, "project_url": project_url}
    for name in _LINK_FIELDS:
        value = values[name] if name in values else getattr(record, name)
        if value is not None and http_url(value) is None:
            raise ValueError(f"{name}: only http(s) links are accepted, got {value[:80]!r}")
    for name in _COUNT_FIELDS:
        count = getattr(record, name)
        if count is not None and not 0 <= count <= MAX_INT:
            raise ValueError(f"{name}: {_short(count)} is not a count between 0 and {MAX_INT}")
    title = clean_text(record.title).strip()
    if not title:
        raise ValueError("title is empty once control characters are removed")
    return dataclasses.replace(
        record,
        title=title,
        abstract=clean_text(record.abstract),
        authors=_clean_list(record.authors),
        categories=_clean_list(record.categories),
        ai_summary=clean_text(record.ai_summary) if record.ai_summary else None,
        ai_keywords=_clean_list(record.ai_keywords),
        feature=_checked_feature(record.feature, today),
        hf_paper=safe_links(record.hf_paper),
        code_url=code_url,
        project_url=project_url,
    )


_LINK_FIELDS = ("code_url", "project_url", "thumbnail_url")
_COUNT_FIELDS = ("upvotes", "github_stars", "arxiv_version")


def _short(number: int) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"{text[:8]}...({len(text)} digits)"


def _clean_list(items: list[str]) -> list[str]:
    """The items cleaned and stripped, empty ones dropped; one look at all of them when
    none has a character to remove (the usual case: ten authors cost one regex scan)."""
    if not has_invalid_text("\n".join(items)):
        return [c for c in (i.strip() for i in items) if c]
    return [c for c in (clean_text(i).strip() for i in items) if c]


def _checked_feature(feature: FeatureRecord | None, today: date) -> FeatureRecord | None:
    if feature is None:
        return None
    if feature.feature_date > latest_feature_day(today):
        raise ValueError(f"feature_date {feature.feature_date} is in the future")
    if not 0 <= feature.num_comments <= MAX_INT:
        raise ValueError(f"numComments: {_short(feature.num_comments)} is not a count")
    avatar = feature.submitter_avatar
    if avatar is not None and http_url(avatar) is None:
        raise ValueError(f"submitter avatar: only http(s) links are accepted, got {avatar[:80]!r}")
    return dataclasses.replace(
        feature,
        submitted_by=_clean_or_none(feature.submitted_by),
        submitter_fullname=_clean_or_none(feature.submitter_fullname),
        hf_item=safe_links(feature.hf_item),
    )


def _clean_or_none(text: str | None) -> str | None:
    return (clean_text(text).strip() or None) if text else None


def prepare(item: Parsed, today: date) -> Parsed | Rejection:
    """A parsed record with its links filled and checked for the store, or why it cannot be
    (every importer's records pass here once, on either import path)."""
    try:
        record = item.record
        return Parsed(item.location, checked(record, today=today, links=_found_links(record)))
    except ValueError as exc:
        return Rejection(item.location, str(exc))


def finish(record: PaperRecord) -> PaperRecord:
    """Fill code/project links from the abstract where the source gave none."""
    links = _found_links(record)
    if links is None:
        return record
    return dataclasses.replace(record, code_url=links[0], project_url=links[1])


def _found_links(record: PaperRecord) -> tuple[str | None, str | None] | None:
    """(code_url, project_url): the record's own, else those its abstract mentions; None
    when the record has both."""
    if record.code_url and record.project_url:
        return None
    code, project = extract_links(record.abstract)
    code_url = record.code_url or code
    return code_url, record.project_url or (project if project != code_url else None)


def text_or_none(value: object) -> str | None:
    """A JSON value as stripped text; None for missing, empty or non-string values."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def int_or_none(value: object) -> int | None:
    """A JSON count as an int (sources drift between 7 and "7"); None when not a count."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
