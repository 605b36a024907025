"""Round trip: real Hugging Face records in, the same fields out, on SQLite and PostgreSQL.

The 281 records of tests/data/hf_api/conformance.jsonl.gz (every field the archive holds
occurs at least once) are imported, then every leaf field HF sent is looked up, at the same
path and with the same JSON type, in what `/api/daily_papers`, `/api/papers/search` and
`/api/papers/{id}` answer. Run with `-s` to see the field table (compared / equal /
different on purpose, per route). Nothing HF sent may be missing or changed unless listed in
DIFFERENT_ON_PURPOSE, and nothing may be added under HF's names (ours go in `dailypapers`).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

import hf_sample
from dailypapers.ingest.hf_daily import ARCHIVE_FIELDS
from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime
from dailypapers.store.community import add_comment, add_vote
from dailypapers.store.database import transaction
from dailypapers.store.papers import paper_id_for_arxiv
from dailypapers.store.users import create_user
from dailypapers.web.api_schemas import DailyItem, PaperDetail, SearchItem
from dailypapers.web.app import create_app

FIXTURE = Path(__file__).parent / "data" / "hf_api" / "conformance.jsonl.gz"

# Fields of the fixture that are not HF's: the archiver added them (feed day, provenance),
# so no route gives them back. They are neither compared nor counted.
NOT_HF = ARCHIVE_FIELDS

# Fields HF sent that a route gives back differently on purpose, with the reason. Empty:
# every field comes back as sent. (Votes and comments cast here, and code links we found in
# abstracts, are ours and go in `dailypapers`; HF's `upvotes`, `numComments` and
# `githubRepo` stay HF's, which test_local_values_stay_out_of_hf_fields checks.)
DIFFERENT_ON_PURPOSE: dict[tuple[str, str], str] = {}

# What each route adds beside HF's fields, on purpose.
OURS = {"dailypapers"}
ROUTE_EXTRAS = {
    "search": OURS | {"highlightedTitle", "highlightedSummary", "upvoted"},
    "daily": OURS,
    "detail": OURS
    | {"numComments", "linkedModels", "numTotalModels", "linkedDatasets", "numTotalDatasets"}
    | {"linkedSpaces", "numTotalSpaces"},
}
SEARCH_EVERY = 3  # search answers are compared for every third record (time)


def fixture_records() -> list[dict[str, Any]]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path with indices, path with `[]`, value) of every leaf; empty containers are leaves."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from leaves(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value:
        for i, inner in enumerate(value):
            for exact, general, leaf in leaves(inner, f"{path}[{i}]"):
                yield exact, general.replace(f"{path}[{i}]", f"{path}[]", 1), leaf
    else:
        yield path, path, value


def lookup(value: Any, path: str) -> Any:
    """The value at a leaves() path, or KeyError."""
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(value, list) or index >= len(value):
                raise KeyError(path)
            value = value[index]
        else:
            if not isinstance(value, dict) or part not in value:
                raise KeyError(path)
            value = value[part]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same JSON type (True is not 1)."""
    return type(a) is type(b) and a == b


class Table:
    """Per field path and route: how many values were compared, equal, different on purpose."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.wrong: list[str] = []

    def compare(self, route: str, hf: dict[str, Any], ours: dict[str, Any], prefix: str) -> None:
        """Every leaf of `hf` (under `prefix` in the record) against `ours`."""
        for exact, general, value in leaves(hf):
            field = f"{prefix}{general}"
            counts = self.counts[(field, route)]
            counts["compared"] += 1
            try:
                served = lookup(ours, exact)
            except KeyError:
                served = KeyError
            if same(served, value):
                counts["equal"] += 1
            elif (field, route) in DIFFERENT_ON_PURPOSE:
                counts["different on purpose"] += 1
            else:
                self.wrong.append(f"{route} {prefix}{exact}: HF {value!r}, ours {served!r}")

    def print(self) -> None:
        routes = ["daily", "search", "detail"]
        print(f"\n{'field (HF name)':<40}" + "".join(f"{r:>22}" for r in routes))
        print(f"{'':<40}" + "".join(f"{'compared/equal/purp.':>22}" for _ in routes))
        for field in sorted({f for f, _ in self.counts}):
            cells = []
            for route in routes:
                c = self.counts.get((field, route))
                cell = f"{c['compared']}/{c['equal']}/{c['different on purpose']}" if c else "-"
                cells.append(f"{cell:>22}")
            print(f"{field:<40}" + "".join(cells))
        totals = {r: Counter[str]() for r in routes}
        for (_, route), c in self.counts.items():
            totals[route].update(c)
        fields = len({f for f, _ in self.counts})
        print(f"{f'TOTAL ({fields} fields)':<40}" + "".join(
            f"{t['compared']}/{t['equal']}/{t['different on purpose']}".rjust(22)
            for t in totals.values()
        ))  # fmt: skip


@pytest.fixture
def client(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    report = import_file(rt.engine, FIXTURE, fmt="hf")
    assert report.inserted == len(fixture_records()) and not report.rejected
    hf_sample.set_secret_key(rt, monkeypatch)
    with TestClient(create_app(rt)) as test_client:
        yield test_client


def _hf_part(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in NOT_HF}


def _fits(model: type[BaseModel], answer: dict[str, Any]) -> None:
    """The answer validates against its response model, so /docs shows the real shape."""
    model.model_validate(answer)


def _no_additions(route: str, hf: dict[str, Any], ours: dict[str, Any]) -> None:
    """Our answer holds no key, at the top or in `paper`, that HF did not send (but ours)."""
    added = set(ours) - set(hf) - ROUTE_EXTRAS[route]
    assert not added, f"{route} adds {added} to {hf.get('paper', hf).get('id')}"
    if "paper" in hf:
        added = set(ours["paper"]) - set(hf["paper"]) - OURS
        assert not added, f"{route} adds paper.{added} to {hf['paper']['id']}"


def test_every_hf_field_comes_back_as_sent(client: TestClient) -> None:
    records = fixture_records()
    table = Table()
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_day[record["feed_date"]].append(record)
    for day, day_records in sorted(by_day.items()):
        served = client.get("/api/daily_papers", params={"date": day, "limit": 100}).json()
        ours = {item["paper"]["id"]: item for item in served}
        assert set(ours) == {r["paper"]["id"] for r in day_records}, day
        for record in day_records:
            hf, item = _hf_part(record), ours[record["paper"]["id"]]
            table.compare("daily", hf, item, "")
            _no_additions("daily", hf, item)
            _fits(DailyItem, item)
    for i, record in enumerate(records):
        hf, paper_id = _hf_part(record), record["paper"]["id"]
        detail = client.get(f"/api/papers/{paper_id}").json()
        table.compare("detail", hf["paper"], detail, "paper.")
        _no_additions("detail", hf["paper"], detail)
        _fits(PaperDetail, detail)
        if i % SEARCH_EVERY == 0:
            found = client.get("/api/papers/search", params={"q": paper_id, "limit": 1}).json()
            assert found[0]["paper"]["id"] == paper_id
            table.compare("search", hf, found[0], "")
            _no_additions("search", hf, found[0])
            _fits(SearchItem, found[0])
    table.print()
    assert not table.wrong, "\n".join(table.wrong[:20])
    compared = {field for field, _ in table.counts}
    assert {"paper.discussionId", "submittedBy._id", "paper.ai_summary_model"} <= compared


def test_local_values_stay_out_of_hf_fields(client: TestClient, rt: Runtime) -> None:
    """A vote and a comment cast here, and a code link found in an abstract, show under
    `dailypapers`; HF's upvotes, numComments and githubRepo stay as HF sent them."""
    records = {r["paper"]["id"]: r for r in fixture_records()}
    scraped = next(
        r for r in records.values() if "githubRepo" not in r["paper"] and "github.com/" in (
            r["paper"]["summary"]
        )
    )  # fmt: skip
    target = scraped["paper"]["id"]
    with transaction(rt.engine) as conn:
        pid = paper_id_for_arxiv(conn, target)
        assert pid is not None
        user = create_user(conn, "local-voter", email=None, password_hash="x")
        add_vote(conn, user.id, pid)
        add_comment(conn, pid, user.id, "A comment *here*.")
    item = client.get("/api/daily_papers", params={"date": scraped["feed_date"]}).json()
    item = next(i for i in item if i["paper"]["id"] == target)
    assert item["paper"]["upvotes"] == scraped["paper"]["upvotes"]
    assert item["numComments"] == scraped["numComments"]
    assert "githubRepo" not in item["paper"]
    assert item["paper"]["dailypapers"]["upvotes"] == 1
    assert item["paper"]["dailypapers"]["codeUrl"].startswith("https://github.com/")
    assert item["dailypapers"] == {"numComments": 1, "featureDate": scraped["feed_date"]}
    detail = client.get(f"/api/papers/{target}", params={"field": "comments"}).json()
    assert [c["raw"] for c in detail["comments"]] == ["A comment *here*."]
    assert detail["comments"][0]["author"]["name"] == "local-voter"
    assert "comments" not in client.get(f"/api/papers/{target}").json()
