"""Papers as BibTeX, RIS and CSL-JSON: what Zotero, Mendeley and other reference managers
import. Pure functions over `Paper` lists; the web layer chooses what list to export.

arXiv papers follow arXiv's own BibTeX style (``@misc`` with ``eprint``/``archivePrefix``),
RIS uses ``TY - ELEC`` (preprint) and CSL-JSON ``type: "article"`` with the arXiv number.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from dailypapers.models import Paper

FORMATS = {
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}
"""Export format → (media type, file extension)."""


def render(papers: Sequence[Paper], fmt: str) -> str:
    """The papers in one of FORMATS; ValueError for another format."""
    writers: dict[str, Callable[[Sequence[Paper]], str]] = {
        "bib": bibtex,
        "ris": ris,
        "json": csl_json,
    }
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(writers)}")
    return writers[fmt](papers)


def _url(paper: Paper) -> str | None:
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    return paper.arxiv_url


def citation_key(paper: Paper, taken: set[str]) -> str:
    """``surname + year + first title word`` in ASCII, made unique among ``taken``."""
    surname = paper.authors[0].split()[-1] if paper.authors else "anon"
    year = str(paper.published_at.year) if paper.published_at else ""
    word = next((w for w in re.findall(r"[A-Za-z]+", _ascii(paper.title)) if len(w) > 3), "")
    base = re.sub(r"[^a-z0-9]", "", _ascii(f"{surname}{year}{word}").lower()) or f"paper{paper.id}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{chr(ord('a') + n - 2)}" if n <= 27 else f"{base}{n}"
    taken.add(key)
    return key


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _bib_value(text: str) -> str:
    """A braced BibTeX value: braces balanced, backslash-free text left as is (titles keep
    their LaTeX), and a lone brace escaped so the entry stays parseable."""
    depth = 0
    out = []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                out.append("\\}")
                continue
            depth -= 1
        out.append(ch)
    return "".join(out) + "}" * depth


def bibtex(papers: Sequence[Paper]) -> str:
    """BibTeX entries, one per paper, blank lines between."""
    taken: set[str] = set()
    entries = []
    for p in papers:
        fields: list[tuple[str, str]] = [
            ("title", "{" + _bib_value(p.title) + "}"),
            ("author", " and ".join(_bib_value(a) for a in p.authors) or "Anonymous"),
        ]
        if p.published_at:
            fields.append(("year", str(p.published_at.year)))
        if p.arxiv_id:
            fields += [("eprint", p.arxiv_id), ("archivePrefix", "arXiv")]
            if p.categories:
                fields.append(("primaryClass", p.categories[0]))
        if (url := _url(p)) is not None:
            fields.append(("url", url))
        if p.abstract:
            fields.append(("abstract", _bib_value(" ".join(p.abstract.split()))))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{citation_key(p, taken)},\n{body}\n}}\n")
    return "\n".join(entries)


def ris(papers: Sequence[Paper]) -> str:
    """RIS records (``TY - ELEC`` … ``ER -``), CRLF line ends as the format asks."""
    lines: list[str] = []
    for p in papers:
        lines.append("TY  - ELEC")
        lines.append(f"TI  - {_one_line(p.title)}")
        lines += [f"AU  - {_one_line(a)}" for a in p.authors]
        if p.published_at:
            lines.append(f"PY  - {p.published_at.year}")
            lines.append(f"DA  - {p.published_at:%Y/%m/%d}")
        if p.abstract:
            lines.append(f"AB  - {_one_line(p.abstract)}")
        if (url := _url(p)) is not None:
            lines.append(f"UR  - {url}")
        if p.arxiv_id:
            lines += ["PB  - arXiv", f"M1  - arXiv:{p.arxiv_id}"]
        lines += [f"KW  - {_one_line(k)}" for k in p.ai_keywords]
        lines.append("ER  - ")
        lines.append("")
    return "\r\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def csl_json(papers: Sequence[Paper]) -> str:
    """A CSL-JSON array (citeproc's input; Zotero imports it)."""
    taken: set[str] = set()
    return json.dumps([_csl(p, taken) for p in papers], ensure_ascii=False, indent=2) + "\n"


def _csl(p: Paper, taken: set[str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": citation_key(p, taken),
        "type": "article",
        "title": _one_line(p.title),
        "author": [_csl_name(a) for a in p.authors],
    }
    if p.published_at:
        d = p.published_at
        item["issued"] = {"date-parts": [[d.year, d.month, d.day]]}
    if p.abstract:
        item["abstract"] = _one_line(p.abstract)
    if (url := _url(p)) is not None:
        item["URL"] = url
    if p.arxiv_id:
        item["number"] = f"arXiv:{p.arxiv_id}"
        item["publisher"] = "arXiv"
    return item


def _csl_name(name: str) -> dict[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return {"literal": name}
    return {"family": parts[-1], "given": " ".join(parts[:-1])}
