"""arXiv id parsing: every spelling a user or source uses reduces to one canonical id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dailypapers.arxiv_ids import ArxivId, abs_url, canonical_arxiv_id, parse_arxiv_id, pdf_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234", ArxivId("2401.01234")),
        ("2401.01234v2", ArxivId("2401.01234", 2)),
        ("0704.0001", ArxivId("0704.0001")),
        ("arXiv:2401.01234v3", ArxivId("2401.01234", 3)),
        ("ARXIV: 2401.01234", ArxivId("2401.01234")),
        ("oai:arXiv.org:0704.0471", ArxivId("0704.0471")),
        ("oai:arXiv.org:hep-th/9504118", ArxivId("hep-th/9504118")),
        ("hep-th/9901001v1", ArxivId("hep-th/9901001", 1)),
        ("math.GT/0309136", ArxivId("math.GT/0309136")),
        ("math.gt/0309136", ArxivId("math.GT/0309136")),
        ("http://arxiv.org/abs/2202.12139v1", ArxivId("2202.12139", 1)),
        ("https://arxiv.org/abs/astro-ph/0601001v1", ArxivId("astro-ph/0601001", 1)),
        ("https://arxiv.org/pdf/2401.01234v2.pdf", ArxivId("2401.01234", 2)),
        ("https://export.arxiv.org/abs/2401.01234", ArxivId("2401.01234")),
        ("arxiv.org/html/2401.01234v1/", ArxivId("2401.01234", 1)),
        ("https://arxiv.org/abs/2401.01234?context=cs.CL", ArxivId("2401.01234")),
        ("https://arxiv.org/abs/2401.01234#S2", ArxivId("2401.01234")),
        ("https://huggingface.co/papers/2405.14906", ArxivId("2405.14906")),
        ("  2401.01234\n", ArxivId("2401.01234")),
    ],
)
def test_parses_every_usual_spelling(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "abc", "2401.123", "2401.123456", "https://example.com/abs/2401.01234", "hep-th/99"],
)
def test_rejects_non_ids(text: str) -> None:
    assert parse_arxiv_id(text) is None
    assert canonical_arxiv_id(text) is None


def test_str_round_trips_with_version() -> None:
    assert str(ArxivId("2401.01234", 2)) == "2401.01234v2"
    assert str(ArxivId("hep-th/9901001")) == "hep-th/9901001"


def test_urls() -> None:
    assert abs_url("2401.01234") == "https://arxiv.org/abs/2401.01234"
    assert pdf_url("hep-th/9901001") == "https://arxiv.org/pdf/hep-th/9901001"


@given(
    year=st.integers(7, 99),
    month=st.integers(1, 12),
    number=st.integers(0, 99999),
    version=st.one_of(st.none(), st.integers(1, 30)),
)
def test_canonical_id_ignores_version_and_spelling(
    year: int, month: int, number: int, version: int | None
) -> None:
    base = f"{year:02d}{month:02d}.{number:05d}"
    given_id = base + (f"v{version}" if version else "")
    for spelling in (given_id, f"arXiv:{given_id}", f"https://arxiv.org/abs/{given_id}"):
        assert canonical_arxiv_id(spelling) == base
        assert parse_arxiv_id(spelling) == ArxivId(base, version)
