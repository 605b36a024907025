"""Normalisation helpers: title keys, link extraction, timestamps, record finishing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

import pytest

from dailypapers.ingest.normalize import (
    clean_title,
    extract_links,
    finish,
    int_or_none,
    parse_date,
    parse_timestamp,
    split_authors,
)
from dailypapers.models import PaperRecord
from dailypapers.titles import title_key


def test_title_key_matches_the_two_spellings_hf_gives_for_one_paper() -> None:
    arxiv_title = "AutoCoder: Enhancing Code Large Language Model with\n  AIEV-Instruct"
    hf_title = "AutoCoder: Enhancing Code Large Language Model with \\textsc{AIEV-Instruct}"
    assert title_key(arxiv_title) == title_key(hf_title)
    assert title_key(hf_title) == "autocoder enhancing code large language model with aiev instruct"


def test_title_key_folds_case_accents_latex_accents_and_math() -> None:
    assert title_key("Bal\\'azs Über $\\alpha$-Nets!") == title_key("balazs uber -nets")
    assert title_key("  GPT-4o:   A   Survey ") == "gpt 4o a survey"
    assert title_key("Q\\&A with Ba\\v{c}a") == title_key("Q&A with Baca")


def test_clean_title_collapses_wraps_but_keeps_latex() -> None:
    assert clean_title("A $\\beta$-VAE\n  for   Text ") == "A $\\beta$-VAE for Text"


@pytest.mark.parametrize(
    ("abstract", "code", "project"),
    [
        (
            "The code and the demo video is available in\nhttps://github.com/bin123apple/AutoCoder.",
            "https://github.com/bin123apple/AutoCoder",
            None,
        ),
        (
            "Project page: https://doby-xu.github.io/WithEveryone/. Code at"
            " https://github.com/doby-xu/WithEveryone.git)",
            "https://github.com/doby-xu/WithEveryone",
            "https://doby-xu.github.io/WithEveryone/",
        ),
        (
            "Code will be available in https://github.com/kaist-dmlab/pcb .",
            "https://github.com/kaist-dmlab/pcb",
            None,
        ),
        (
            "See (https://huggingface.co/spaces/org/demo).",
            "https://huggingface.co/spaces/org/demo",
            None,
        ),
        ("Data: https://huggingface.co/datasets/x/y; paper arXiv:2401.01234.", None, None),
        (
            "Available at github.com/foo/bar, see also www.example.org/page_(v2).",
            "https://github.com/foo/bar",
            "https://www.example.org/page_(v2)",
        ),
        ("Our code: \\url{https://gitlab.com/group/repo}.", "https://gitlab.com/group/repo", None),
        ("Just the org https://github.com/openai is not a repository.", None, None),
        ("No links here, e.g. i.e. 3.5.", None, None),
    ],
)
def test_extract_links(abstract: str, code: str | None, project: str | None) -> None:
    assert extract_links(abstract) == (code, project)


def test_parse_timestamp_accepts_the_formats_sources_use() -> None:
    utc = datetime(2024, 5, 23, 2, 53, 25, tzinfo=UTC)
    assert parse_timestamp("2024-05-23T02:53:25.000Z") == utc
    assert parse_timestamp("2024-05-23T04:53:25+02:00") == utc
    assert parse_timestamp("2024-05-23 02:53:25") == utc
    assert parse_timestamp("2024-05-23") == datetime(2024, 5, 23, tzinfo=UTC)
    assert parse_timestamp("Mon, 2 Apr 2007 19:18:42 GMT") == datetime(
        2007, 4, 2, 19, 18, 42, tzinfo=UTC
    )
    assert parse_date("2024-05-27T23:30:00-02:00") == date(2024, 5, 28)


@pytest.mark.parametrize(
    "text",
    [
        "Mon, 2 Apr 2007 19:18:42 GMT",
        "2 Apr 2007 19:18:42 GMT",
        "Wed, 29 Feb 2012 00:00:00 GMT",
        "Mon, 2 Apr 0099 19:18:42 GMT",  # a two-digit year to email.utils: 1999
        "Mon, 2 Apr 2007 19:18:42 +0200",
        "Tue, 31 Feb 2007 19:18:42 GMT",
        "Mon, 2 Apr 2007 24:00:00 GMT",
        "Mon, 2 Foo 2007 19:18:42 GMT",
    ],
)
def test_rfc_2822_dates_read_as_email_utils_reads_them(text: str) -> None:
    """The arXiv dump's dates are read by a regex when they have its one shape; the result,
    or the refusal, is email.utils' own."""
    try:
        expected: object = parsedate_to_datetime(text).astimezone(UTC)
    except ValueError:
        expected = ValueError
    try:
        got: object = parse_timestamp(text)
    except ValueError as exc:
        assert "not a date" in str(exc)
        got = ValueError
    assert got == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01", "Mon, 99 Foo"])
def test_parse_timestamp_rejects_junk_with_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_timestamp(text)


def test_split_authors_handles_and_commas_and_affiliations() -> None:
    assert split_authors("D.V. Shetty, S.J. Yennello, and G.A. Souliotis") == [
        "D.V. Shetty",
        "S.J. Yennello",
        "G.A. Souliotis",
    ]
    assert split_authors("Ileana Streinu and Louis Theran") == ["Ileana Streinu", "Louis Theran"]
    assert split_authors("A. Smith (MIT, Cambridge), B.\n  Jones (Oxford (UK))") == [
        "A. Smith",
        "B. Jones",
    ]


def test_int_or_none_accepts_numeric_strings_not_bools() -> None:
    assert (int_or_none(7), int_or_none("7"), int_or_none(True), int_or_none("x")) == (
        7,
        7,
        None,
        None,
    )


def test_finish_fills_only_missing_links_and_keeps_abstract_exactly() -> None:
    abstract = "We use $\\mathcal{O}(n)$  time.\nCode: https://github.com/a/b; page https://a.github.io/b/."
    record = PaperRecord(title="T", abstract=abstract, project_url="https://given.example")
    done = finish(record)
    assert done.code_url == "https://github.com/a/b"
    assert done.project_url == "https://given.example"
    assert done.abstract == abstract
    assert record.code_url is None


def test_finish_leaves_complete_records_alone() -> None:
    record = PaperRecord(title="T", abstract="x", code_url="c", project_url="p")
    assert finish(record) is record
