"""The arXiv API and OAI-PMH clients against recorded responses served over real HTTP."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime

import pytest

from dailypapers.errors import InputError, SourceError
from dailypapers.ingest.arxiv_api import ArxivApiClient
from dailypapers.ingest.arxiv_oai import OaiClient
from dailypapers.models import PaperRecord, Parsed
from recorded_http import FakeTime, RecordedServer, Reply, fixture_reply, recorded_http

__all__ = ["recorded_http"]

API_PAGE_0 = "api/q_testing_s0_m10_bc5a6c384fe9.xml"
API_PAGE_10 = "api/q_testing_s10_m10_34e56e15aaac.xml"
API_EMPTY = "api/id_0000.0000_s0_m100_8b51d9633a68.xml"
OAI_RAW = "oai/mikesaelim_ListRecordsResponse.xml"
OAI_ARXIV = "oai/paperhive_listrecords---should-list-identifiers-from-arxiv_1_200.xml"
OAI_503 = "oai/paperhive_listrecords---should-list-identifiers-from-arxiv_0_503.html"
OAI_DC = "oai/atomiklabs_ListRecords_oai_dc_cs_2024-01-27.xml"


def api_client(server: RecordedServer, fake: FakeTime, **options: int) -> ArxivApiClient:
    """The production client aimed at the recorded server, with fake time."""
    return ArxivApiClient(
        base_url=f"{server.base}/api/query",
        page_size=options.pop("page_size", 10),
        max_retries=options.pop("max_retries", 4),
        sleep=fake.sleep,
        clock=fake.clock,
    )


def oai_client(server: RecordedServer, fake: FakeTime, *, max_retries: int = 4) -> OaiClient:
    """The production harvester aimed at the recorded server, with fake time."""
    return OaiClient(
        base_url=f"{server.base}/oai2", max_retries=max_retries, sleep=fake.sleep, clock=fake.clock
    )


def records(items: list[object]) -> list[PaperRecord]:
    """The records of Parsed items, asserting there were no rejections."""
    assert all(isinstance(i, Parsed) for i in items), items
    return [i.record for i in items if isinstance(i, Parsed)]


def test_search_pages_until_an_empty_page_and_sends_the_category_query(
    recorded_http: RecordedServer,
) -> None:
    recorded_http.add("/api/query", {"start": "0"}, fixture_reply(API_PAGE_0))
    recorded_http.add("/api/query", {"start": "10"}, fixture_reply(API_PAGE_10))
    recorded_http.add("/api/query", {"start": "20"}, fixture_reply(API_EMPTY))
    fake = FakeTime()
    with api_client(recorded_http, fake) as client:
        found = records(list(client.search("cs.CL", date(2024, 1, 1), date(2024, 1, 31))))
    assert len(found) == 20
    first = found[0]
    assert first.arxiv_id == "2202.12139"
    assert first.arxiv_version == 1
    assert first.title.startswith("Testing Deep Learning Models: A First Comparative Study")
    assert first.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert first.categories == ["cs.SE", "cs.LG"]
    assert first.published_at == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert found[10].arxiv_id == "2403.16981"
    assert [r["start"] for r in recorded_http.requests] == ["0", "10", "20"]
    sent = recorded_http.requests[0]
    assert sent["search_query"] == "cat:cs.CL AND submittedDate:[202401010000 TO 202401312359]"
    assert sent["sortBy"] == "submittedDate"
    assert sent["max_results"] == "10"


def test_politeness_delay_separates_every_request(recorded_http: RecordedServer) -> None:
    recorded_http.add("/api/query", {"start": "0"}, fixture_reply(API_PAGE_0))
    recorded_http.add("/api/query", {"start": "10"}, fixture_reply(API_PAGE_10))
    recorded_http.add("/api/query", {"start": "20"}, fixture_reply(API_EMPTY))
    fake = FakeTime()
    with api_client(recorded_http, fake) as client:
        list(client.search("cs.CL", date(2024, 1, 1), date(2024, 1, 2)))
    assert fake.sleeps == [3.0, 3.0]


def test_search_stops_at_total_results_without_asking_for_more(
    recorded_http: RecordedServer,
) -> None:
    recorded_http.add(
        "/api/query", {"start": "0"}, fixture_reply("api/id_1605.08386_s0_m100_199195aa31ad.xml")
    )
    with api_client(recorded_http, FakeTime(), page_size=1) as client:
        found = records(list(client.search("math.CO", date(2016, 5, 1), date(2016, 5, 31))))
    assert [r.arxiv_id for r in found] == ["1605.08386"]
    assert len(recorded_http.requests) == 1


def test_fetch_ids_handles_title_zero_old_ids_and_missing_ids(
    recorded_http: RecordedServer,
) -> None:
    recorded_http.add(
        "/api/query",
        {"id_list": "2104.12255v1"},
        fixture_reply("api/id_2104.12255v1_s0_m100_6ae69987ffe1.xml"),
    )
    recorded_http.add(
        "/api/query",
        {"id_list": "astro-ph/0601001"},
        fixture_reply("api/id_astro-ph_0601001_s0_m100_3150dca9dc76.xml"),
    )
    recorded_http.add(
        "/api/query",
        {"id_list": "0808.05394,1707.08567"},
        fixture_reply("api/id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml"),
    )
    with api_client(recorded_http, FakeTime()) as client:
        [zero] = client.fetch_ids(["arXiv:2104.12255v1"])
        [old] = client.fetch_ids(["astro-ph/0601001"])
        found = client.fetch_ids(["0808.05394", "https://arxiv.org/abs/1707.08567"])
    assert (zero.arxiv_id, zero.arxiv_version, zero.title) == ("2104.12255", 1, "0")
    assert zero.authors == ["Quan Thoi Minh Nguyen"]
    assert old.arxiv_id == "astro-ph/0601001"
    assert old.authors[:2] == ["Andrew Gould", "Susan Dorsher"]
    assert "4--16%" in old.abstract
    assert [r.arxiv_id for r in found] == ["1707.08567"]


def test_fetch_ids_rejects_a_non_id_before_any_request(recorded_http: RecordedServer) -> None:
    with api_client(recorded_http, FakeTime()) as client, pytest.raises(InputError, match="abc"):
        client.fetch_ids(["abc"])
    assert recorded_http.requests == []


def test_arxiv_error_entry_becomes_a_source_error(recorded_http: RecordedServer) -> None:
    recorded_http.add("/api/query", {}, fixture_reply("api/id_abc_s0_m100_b79c8dcf6bc3.xml"))
    with (
        api_client(recorded_http, FakeTime()) as client,
        pytest.raises(SourceError, match="incorrect id format for abc"),
    ):
        list(client.search("cs.CL", date(2024, 1, 1), date(2024, 1, 2)))


def test_retries_500s_with_exponential_backoff_then_succeeds(
    recorded_http: RecordedServer,
) -> None:
    recorded_http.add(
        "/api/query",
        {"start": "0"},
        Reply(500, b"oops"),
        Reply(502, b"bad gateway"),
        fixture_reply(API_EMPTY),
    )
    fake = FakeTime()
    with api_client(recorded_http, fake) as client:
        assert list(client.search("cs.CL", date(2024, 1, 1), date(2024, 1, 2))) == []
    assert len(recorded_http.requests) == 3
    assert fake.sleeps == [3.0, 6.0]


def test_gives_up_after_max_retries_with_a_one_line_source_error(
    recorded_http: RecordedServer,
) -> None:
    recorded_http.add("/api/query", {}, Reply(503, b"down"))
    fake = FakeTime()
    with (
        api_client(recorded_http, fake, max_retries=2) as client,
        pytest.raises(SourceError, match=r"HTTP 503 after 3 tries"),
    ):
        list(client.search("cs.CL", date(2024, 1, 1), date(2024, 1, 2)))
    assert len(recorded_http.requests) == 3


def test_client_error_is_not_retried(recorded_http: RecordedServer) -> None:
    recorded_http.add("/api/query", {}, Reply(400, b"bad query\nmore"))
    with (
        api_client(recorded_http, FakeTime()) as client,
        pytest.raises(SourceError, match=r"HTTP 400: bad query$"),
    ):
        list(client.search("cs.CL", date(2024, 1, 1), date(2024, 1, 2)))
    assert len(recorded_http.requests) == 1


def test_unreachable_host_is_a_source_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake = FakeTime()
    client = ArxivApiClient(
        base_url=f"http://127.0.0.1:{port}/api/query",
        max_retries=1,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    with client, pytest.raises(SourceError, match=r"^127\.0\.0\.1:\d+ unreachable: "):
        client.fetch_ids(["2401.00001"])
    assert fake.sleeps == [3.0]


def test_oai_waits_as_told_by_503_retry_after_then_parses_arxiv_format(
    recorded_http: RecordedServer,
) -> None:
    recorded_http.add(
        "/oai2",
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2015-01-01"},
        fixture_reply(OAI_503, status=503, **{"Retry-After": "10"}),
        fixture_reply(OAI_ARXIV),
    )
    fake = FakeTime()
    with oai_client(recorded_http, fake) as client:
        found = records(list(client.harvest("cs", date(2015, 1, 1), date(2015, 1, 3))))
    assert fake.sleeps == [10.0]
    assert recorded_http.requests[0]["until"] == "2015-01-03"
    assert [r.arxiv_id for r in found] == ["1412.8544", "hep-th/9504118"]
    first = found[0]
    assert first.authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert first.categories == ["cs.DM"]
    assert first.published_at == datetime(2014, 12, 29, tzinfo=UTC)
    assert "'{\\it cellular\nnetwork}'" in found[1].abstract


def test_oai_follows_resumption_tokens_until_the_list_ends(recorded_http: RecordedServer) -> None:
    recorded_http.add("/oai2", {"metadataPrefix": "arXivRaw"}, fixture_reply(OAI_RAW))
    recorded_http.add(
        "/oai2",
        {"resumptionToken": "726959|1001"},
        fixture_reply("oai/mikesaelim_ErrorResponseNoRecordsMatch.xml"),
    )
    fake = FakeTime()
    with oai_client(recorded_http, fake) as client:
        found = records(
            list(client.harvest("physics", date(2014, 10, 1), metadata_prefix="arXivRaw"))
        )
    assert len(found) == 6
    assert recorded_http.requests[1] == {"verb": "ListRecords", "resumptionToken": "726959|1001"}
    assert "until" not in recorded_http.requests[0]
    assert fake.sleeps == [3.0]
    first = found[0]
    assert first.arxiv_id == "0704.0471"
    assert first.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert first.title.startswith(
        "Density dependence of the symmetry energy and the nuclear equation of state"
    )
    multi = next(r for r in found if r.arxiv_id == "0704.0716")
    assert multi.arxiv_version == 4
    assert multi.published_at == datetime(2007, 4, 5, 12, 45, 3, tzinfo=UTC)
    assert multi.updated_at == datetime(2008, 11, 14, 9, 7, 25, tzinfo=UTC)


def test_oai_dc_records(recorded_http: RecordedServer) -> None:
    recorded_http.add("/oai2", {"metadataPrefix": "oai_dc"}, fixture_reply(OAI_DC))
    recorded_http.add(
        "/oai2",
        {"resumptionToken": "6960524|1001"},
        fixture_reply("oai/mikesaelim_ErrorResponseNoRecordsMatch.xml"),
    )
    with oai_client(recorded_http, FakeTime()) as client:
        found = records(list(client.harvest("cs", date(2024, 1, 25), metadata_prefix="oai_dc")))
    assert len(found) == 5
    first = found[0]
    assert (first.arxiv_id, first.title, first.authors) == (
        "1303.2033",
        "Extended Fourier analysis of signals",
        ["Vilnis Liepins"],
    )
    assert first.abstract.startswith("This summary of the doctoral thesis")
    assert not first.abstract.startswith("Comment:")
    assert first.updated_at == datetime(2024, 1, 23, tzinfo=UTC)


def test_oai_no_records_match_is_an_empty_harvest(recorded_http: RecordedServer) -> None:
    recorded_http.add("/oai2", {}, fixture_reply("oai/mikesaelim_ErrorResponseNoRecordsMatch.xml"))
    with oai_client(recorded_http, FakeTime()) as client:
        assert list(client.harvest("moo", date(2024, 1, 1))) == []


def test_oai_other_errors_name_their_code(recorded_http: RecordedServer) -> None:
    recorded_http.add(
        "/oai2", {}, fixture_reply("oai/mikesaelim_ErrorResponseBadResumptionToken.xml")
    )
    with (
        oai_client(recorded_http, FakeTime()) as client,
        pytest.raises(SourceError, match="OAI-PMH error badResumptionToken"),
    ):
        list(client.harvest("cs", date(2024, 1, 1)))
