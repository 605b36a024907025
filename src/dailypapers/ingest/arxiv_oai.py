"""Harvest arXiv over OAI-PMH (`export.arxiv.org/oai2`), following resumption tokens.

OAI-PMH is arXiv's bulk interface: `ListRecords` for a set (`cs`, `physics:hep-th`) and a
date range, about 1000 records a page, then a `resumptionToken` to continue. arXiv
answers `503 + Retry-After` while a harvest is throttled; the shared polite client waits
as told. `noRecordsMatch` is the protocol's way to say "nothing in that range", so it
ends the harvest quietly; every other OAI error is a SourceError with its code.
Metadata formats read: `arXiv` (structured authors), `arXivRaw` (versions with dates)
and `oai_dc` (Dublin Core).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date, datetime

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.errors import SourceError
from dailypapers.ingest.normalize import clean_title, parse_timestamp, split_authors
from dailypapers.ingest.polite_http import PoliteClient
from dailypapers.models import PaperRecord, Parsed, Rejection, SourceItem

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"


class OaiClient(PoliteClient):
    """A polite OAI-PMH harvester for arXiv; close() it, or use it as a context manager."""

    default_url = "https://export.arxiv.org/oai2"
    default_timeout = 60.0

    def harvest(
        self,
        set_spec: str,
        since: date,
        until: date | None = None,
        metadata_prefix: str = "arXiv",
    ) -> Iterator[SourceItem]:
        """Records of `set_spec` changed from `since` to `until`, page after page."""
        params: dict[str, str | int] = {
            "verb": "ListRecords",
            "metadataPrefix": metadata_prefix,
            "set": set_spec,
            "from": since.isoformat(),
        }
        if until is not None:
            params["until"] = until.isoformat()
        while True:
            root = self._request(params)
            if root is None:
                return
            yield from parse_records(root)
            token = _resumption_token(root)
            if not token:
                return
            params = {"verb": "ListRecords", "resumptionToken": token}

    def _request(self, params: dict[str, str | int]) -> ET.Element | None:
        """One OAI response; None for `noRecordsMatch`, SourceError for other errors."""
        response = self._http.get(self.base_url, params)
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise SourceError(f"{self.base_url}: malformed OAI-PMH XML ({exc})") from None
        error = root.find(f"{OAI}error")
        if error is None:
            return root
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return None
        raise SourceError(f"OAI-PMH error {code}: {(error.text or '').strip()}")


def _resumption_token(root: ET.Element) -> str | None:
    """The token for the next page; an empty token element marks the last page."""
    token = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
    if token is None or not (token.text or "").strip():
        return None
    return (token.text or "").strip()


def parse_records(root: ET.Element) -> Iterator[SourceItem]:
    """Every non-deleted record of a ListRecords or GetRecord response."""
    for record in root.iter(f"{OAI}record"):
        header = record.find(f"{OAI}header")
        if header is None or header.get("status") == "deleted":
            continue
        identifier = (header.findtext(f"{OAI}identifier") or "").strip()
        location = identifier or "oai record"
        try:
            yield Parsed(location, _record(record, identifier))
        except ValueError as exc:
            yield Rejection(location, str(exc))


def _record(record: ET.Element, identifier: str) -> PaperRecord:
    """Dispatch on the metadata element's namespace."""
    metadata = record.find(f"{OAI}metadata")
    if metadata is None or len(metadata) == 0:
        raise ValueError("record without metadata")
    element = metadata[0]
    parser = _PARSERS.get(element.tag)
    if parser is None:
        raise ValueError(f"unsupported metadata format {element.tag}")
    paper = parser(element)
    if paper.arxiv_id is None:
        paper.arxiv_id = _required_id(identifier)
    return paper


def _parse_arxiv(meta: ET.Element) -> PaperRecord:
    """`metadataPrefix=arXiv`: structured authors, `created`/`updated` dates."""
    authors = [_arxiv_author(a) for a in meta.iterfind(f"{ARXIV}authors/{ARXIV}author")]
    return PaperRecord(
        title=_title(meta.findtext(f"{ARXIV}title")),
        abstract=(meta.findtext(f"{ARXIV}abstract") or "").strip(),
        authors=[a for a in authors if a],
        arxiv_id=_optional_id(meta.findtext(f"{ARXIV}id")),
        categories=(meta.findtext(f"{ARXIV}categories") or "").split(),
        published_at=_timestamp(meta.findtext(f"{ARXIV}created")),
        updated_at=_timestamp(meta.findtext(f"{ARXIV}updated")),
    )


def _arxiv_author(author: ET.Element) -> str:
    """`forenames keyname suffix`, as the name is printed on the paper."""
    parts = (author.findtext(f"{ARXIV}{p}") for p in ("forenames", "keyname", "suffix"))
    return " ".join(p.strip() for p in parts if p and p.strip())


def _parse_arxiv_raw(meta: ET.Element) -> PaperRecord:
    """`metadataPrefix=arXivRaw`: an author string and every version with its date."""
    versions = [
        (v.get("version", ""), (v.findtext(f"{ARXIV_RAW}date") or "").strip())
        for v in meta.iterfind(f"{ARXIV_RAW}version")
    ]
    numbered = sorted((int(v[1:]), d) for v, d in versions if v[1:].isdigit() and d)
    return PaperRecord(
        title=_title(meta.findtext(f"{ARXIV_RAW}title")),
        abstract=(meta.findtext(f"{ARXIV_RAW}abstract") or "").strip(),
        authors=split_authors(meta.findtext(f"{ARXIV_RAW}authors") or ""),
        arxiv_id=_optional_id(meta.findtext(f"{ARXIV_RAW}id")),
        arxiv_version=numbered[-1][0] if numbered else None,
        categories=(meta.findtext(f"{ARXIV_RAW}categories") or "").split(),
        published_at=parse_timestamp(numbered[0][1]) if numbered else None,
        updated_at=parse_timestamp(numbered[-1][1]) if numbered else None,
    )


def _parse_oai_dc(meta: ET.Element) -> PaperRecord:
    """`oai_dc`: `Last, First` creators, abstract first among descriptions, dates v1..latest."""
    descriptions = [(d.text or "").strip() for d in meta.iterfind(f"{DC}description")]
    abstracts = [d for d in descriptions if d and not d.startswith("Comment:")]
    dates = [(d.text or "").strip() for d in meta.iterfind(f"{DC}date") if (d.text or "").strip()]
    identifiers = (i.text or "" for i in meta.iterfind(f"{DC}identifier"))
    ids = [p for p in (parse_arxiv_id(i) for i in identifiers) if p is not None]
    return PaperRecord(
        title=_title(meta.findtext(f"{DC}title")),
        abstract=abstracts[0] if abstracts else "",
        authors=[_dc_creator(c.text or "") for c in meta.iterfind(f"{DC}creator") if c.text],
        arxiv_id=ids[0].id if ids else None,
        published_at=parse_timestamp(dates[0]) if dates else None,
        updated_at=parse_timestamp(dates[-1]) if len(dates) > 1 else None,
    )


def _dc_creator(text: str) -> str:
    """Dublin Core writes `Last, First`; show it as `First Last`."""
    last, _, first = text.partition(",")
    return f"{first.strip()} {last.strip()}".strip()


_PARSERS: dict[str, Callable[[ET.Element], PaperRecord]] = {
    f"{ARXIV}arXiv": _parse_arxiv,
    f"{ARXIV_RAW}arXivRaw": _parse_arxiv_raw,
    f"{OAI_DC}dc": _parse_oai_dc,
}


def _title(text: str | None) -> str:
    """A required title; `0` is a valid one, only absence or blankness is not."""
    if text is None or not text.strip():
        raise ValueError("record without a title")
    return clean_title(text)


def _optional_id(text: str | None) -> str | None:
    """The canonical id from a metadata `id` element, if readable."""
    parsed = parse_arxiv_id(text) if text else None
    return parsed.id if parsed else None


def _required_id(identifier: str) -> str:
    """Fall back to the header's `oai:arXiv.org:ID`; a record without any id is rejected."""
    parsed = parse_arxiv_id(identifier)
    if parsed is None:
        raise ValueError(f"no arXiv id in {identifier!r}")
    return parsed.id


def _timestamp(text: str | None) -> datetime | None:
    """An optional date element."""
    return parse_timestamp(text) if text and text.strip() else None
