"""File readers and format detection on real samples and on broken input."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dailypapers.errors import InputError
from dailypapers.ingest.detect import READERS, detect_format
from dailypapers.ingest.source import MAX_LINE_CHARS, open_text
from dailypapers.ingest.tabular import COLUMNS
from dailypapers.models import PaperRecord, Parsed, Rejection, SourceItem

FILES = Path(__file__).parent / "data" / "files"
HF_SAMPLE = FILES / "hf-daily.sample.jsonl"
SNAPSHOT_SAMPLE = FILES / "arxiv-snapshot.sample.jsonl"
LISTING_SAMPLE = FILES / "listing-page.txt"


def read(path: Path, fmt: str | None = None) -> list[SourceItem]:
    """Everything a file yields, the way the loader reads it."""
    with open_text(path) as stream:
        return list(READERS[fmt or detect_format(path)](stream, path.name))


def parsed(items: list[SourceItem]) -> list[PaperRecord]:
    return [i.record for i in items if isinstance(i, Parsed)]


def rejections(items: list[SourceItem]) -> list[Rejection]:
    return [i for i in items if isinstance(i, Rejection)]


def gzipped(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data))
    return path


def hf_lines() -> list[str]:
    return HF_SAMPLE.read_text(encoding="utf-8").splitlines()


# --- detection ----------------------------------------------------------------------


def test_detects_every_format_by_content_not_name(tmp_path: Path) -> None:
    cases = {
        "hf": gzipped(tmp_path / "a.bin", HF_SAMPLE.read_bytes()),
        "arxiv-dump": SNAPSHOT_SAMPLE,
        "listing": LISTING_SAMPLE,
        "jsonl": tmp_path / "b.data",
        "csv": tmp_path / "c.txt",
    }
    cases["jsonl"].write_text('{"title": "T", "abstract": "A"}\n')
    cases["csv"].write_text("title,abstract\nT,A\n")
    for fmt, path in cases.items():
        assert detect_format(path) == fmt, path


def test_detects_hf_in_a_raw_api_response_array_and_wrapper(tmp_path: Path) -> None:
    items = [json.loads(line) for line in hf_lines()]
    array = tmp_path / "daily.json"
    array.write_text(json.dumps(items, indent=2))
    wrapper = tmp_path / "wrapped.json"
    wrapper.write_text(json.dumps({"status": "ok", "date": "2025-01-10", "data": items}))
    assert detect_format(array) == detect_format(wrapper) == "hf"


def test_unrecognised_format_says_which_formats_exist(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"foo": 1}\n')
    with pytest.raises(InputError, match=r"x\.json: unrecognised format; use --format"):
        detect_format(path)


# --- Hugging Face daily papers --------------------------------------------------------


def test_hf_sample_maps_every_field_across_schema_eras() -> None:
    records = {r.arxiv_id: r for r in parsed(read(HF_SAMPLE))}
    assert len(records) == len(hf_lines())
    old = records["2405.14906"]
    assert old.title == "AutoCoder: Enhancing Code Large Language Model with AIEV-Instruct"
    assert old.authors == ["Bin Lei", "Yuchen Li", "Qiuwu Chen"]
    assert old.abstract.startswith("We introduce AutoCoder")
    assert "GPT-4 Turbo\n(April 2024)" in old.abstract
    assert old.published_at == datetime(2024, 5, 23, 2, 53, 25, tzinfo=UTC)
    assert old.thumbnail_url and old.thumbnail_url.endswith("2405.14906.png")
    assert old.upvotes == 7
    assert old.code_url is None
    assert old.feature is not None
    assert old.feature.feature_date == date(2024, 5, 27)
    assert old.feature.submitted_by is None
    assert old.feature.submitted_at == datetime(2024, 5, 27, 2, 6, 34, 388000, tzinfo=UTC)
    assert old.feature.num_comments == 1

    new = records["2608.20336"]
    assert new.code_url == "https://github.com/doby-xu/WithEveryone"
    assert new.project_url == "https://doby-xu.github.io/WithEveryone/"
    assert new.github_stars == 4
    assert new.ai_keywords[0] == "identity-preserving image generation"
    assert new.ai_summary and new.ai_summary.startswith("WithEveryone enables")
    assert new.feature is not None
    assert new.feature.submitted_by == "DobyXu"
    assert new.feature.submitter_fullname == "Hengyuan Xu"
    assert new.feature.submitted_at == datetime(2026, 8, 21, tzinfo=UTC)


def test_hf_python_repr_restored_records_parse_like_the_rest() -> None:
    records = {r.arxiv_id: r for r in parsed(read(HF_SAMPLE))}
    restored = records["2412.03548"]
    assert (
        restored.title == "Perception Tokens Enhance Visual Reasoning in Multimodal Language Models"
    )
    assert restored.feature is not None
    assert restored.feature.submitted_by == "shuaishuaicdp"


def test_hf_without_feed_date_falls_back_to_submission_dates() -> None:
    items = [json.loads(line) for line in hf_lines()]
    newest, oldest = items[-1], items[0]
    for item in (newest, oldest):
        del item["feed_date"]
    stream_items = list(READERS["hf"](_text("\n".join(map(json.dumps, (newest, oldest)))), "x"))
    dates = [r.feature.feature_date for r in parsed(stream_items) if r.feature]
    assert dates == [date(2026, 8, 21), date(2024, 5, 27)]


def test_hf_reads_a_raw_api_array_and_a_gzipped_wrapper(tmp_path: Path) -> None:
    items = [json.loads(line) for line in hf_lines()]
    array = tmp_path / "daily.json"
    array.write_text(json.dumps(items, indent=1))
    wrapper = gzipped(tmp_path / "w.json.gz", json.dumps({"data": items}).encode())
    pretty = tmp_path / "p.json"
    pretty.write_text(json.dumps({"status": "ok", "data": items}, indent=2))
    from_array = read(array, "hf")
    assert [i.location for i in from_array][:2] == ["daily.json[0]", "daily.json[1]"]
    expected = parsed(read(HF_SAMPLE))
    assert parsed(from_array) == parsed(read(wrapper, "hf")) == parsed(read(pretty)) == expected


def test_hf_rejects_items_without_id_or_title_and_reads_the_rest() -> None:
    good = json.loads(hf_lines()[0])
    no_id = {"paper": {"title": "x"}}
    no_title = {"paper": {"id": "2401.00001"}}
    bad_id = {"paper": {"id": "hello", "title": "x"}}
    lines = [json.dumps(good), json.dumps(no_id), json.dumps(no_title), "{oops", json.dumps(bad_id)]
    items = list(READERS["hf"](_text("\n".join(lines)), "x.jsonl"))
    assert len(parsed(items)) == 1
    assert [(r.location, r.reason.split(" (")[0]) for r in rejections(items)] == [
        ("x.jsonl:2", "no paper.id"),
        ("x.jsonl:3", "no title"),
        ("x.jsonl:4", "invalid JSON"),
        ("x.jsonl:5", "paper.id 'hello' is not an arXiv id"),
    ]


# --- arXiv dump, listing pages, tabular ------------------------------------------------


def test_arxiv_snapshot_sample() -> None:
    items = read(SNAPSHOT_SAMPLE)
    records = parsed(items)
    assert len(records) == 20 and not rejections(items)
    first = records[0]
    assert first.arxiv_id == "0704.0001"
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first.categories == ["hep-ph"]
    assert first.arxiv_version == 2
    assert first.published_at == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert first.updated_at == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert first.abstract.startswith("A fully differential calculation")
    assert "$(k,\\ell)$-pebble game" in records[1].abstract
    assert records[1].categories == ["math.CO", "cs.CG"]


def test_listing_page_pairs_titles_with_abstracts() -> None:
    items = read(LISTING_SAMPLE)
    records = parsed(items)
    assert len(records) == 66 and not rejections(items)
    assert records[0].title == (
        "Weak-to-Strong Generalization: Eliciting Strong Capabilities With Weak Supervision"
    )
    assert records[0].abstract.startswith("Widely used alignment techniques")
    assert items[0].location == "listing-page.txt:11"
    assert all(r.arxiv_id is None and r.feature is None for r in records)


def test_listing_with_a_dated_header_and_a_missing_title() -> None:
    text = (
        "Daily Papers\n\nbyAK and the research community\n\nAug 1, 2024\n\n"
        "First Paper\n\nAbstract one\nwrapped.\n\nSecond Paper\n\nAbstract two.\n\n"
        f"{'An orphan abstract paragraph. ' * 20}\n\nThird Paper\n\nAbstract three.\n\nDangling"
    )
    items = list(READERS["listing"](_text(text), "p.txt"))
    records = parsed(items)
    assert [r.title for r in records] == ["First Paper", "Second Paper", "Third Paper"]
    assert records[0].abstract == "Abstract one\nwrapped."
    assert all(r.feature and r.feature.feature_date == date(2024, 8, 1) for r in records)
    assert [(r.location, r.reason) for r in rejections(items)] == [
        ("p.txt:16", "paragraph without a title line before it"),
        ("p.txt:22", "title without an abstract at end of file"),
    ]


def test_csv_with_documented_columns(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(
        ",".join(COLUMNS) + "\r\n"
        'arXiv:2401.01234v2,"A  Title","Line one,\r\n  $x^2$ kept",Ann A; Bob B,cs.CL cs.LG,'
        "2024-01-02,2024-02-03T04:05:06Z,https://github.com/a/b,,2024-01-05,ann,12\r\n"
        ",No id,Just text,,,,,,,,,\r\n"
        "bad,T,A,,,,,,,,,\r\n"
        ",T,A,,,,,,,,,-3\r\n",
        encoding="utf-8",
    )
    items = read(path)
    first, second = parsed(items)
    assert first.arxiv_id == "2401.01234"
    assert first.title == "A Title"
    assert first.abstract == "Line one,\r\n  $x^2$ kept"
    assert first.authors == ["Ann A", "Bob B"]
    assert first.categories == ["cs.CL", "cs.LG"]
    assert first.updated_at == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert first.upvotes == 12
    assert first.feature is not None and first.feature.submitted_by == "ann"
    assert second.arxiv_id is None and second.upvotes == 0
    assert [(r.location, r.reason.split(":")[0]) for r in rejections(items)] == [
        ("papers.csv:5", "arxiv_id 'bad' is not an arXiv id"),
        ("papers.csv:6", "upvotes"),
    ]


def test_csv_unknown_column_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("title,abstract,autors\nT,A,B\n")
    with pytest.raises(InputError, match=r"p\.csv:1: unknown column 'autors'"):
        read(path, "csv")


def test_jsonl_tabular_accepts_lists_and_rejects_unknown_keys() -> None:
    lines = [
        json.dumps({"title": "T", "abstract": "A", "authors": ["X", "Y"], "categories": ["cs.AI"]}),
        json.dumps({"title": "T", "abstract": "A", "doi": "10.1/x"}),
    ]
    items = list(READERS["jsonl"](_text("\n".join(lines)), "t.jsonl"))
    [record] = parsed(items)
    assert (record.authors, record.categories) == (["X", "Y"], ["cs.AI"])
    assert rejections(items)[0].reason.startswith("unknown field 'doi'")


# --- damaged input ---------------------------------------------------------------------


def test_one_malformed_line_among_many_is_rejected_with_its_line_number(tmp_path: Path) -> None:
    lines = hf_lines() * 30
    lines[100] = lines[100][:-20]
    path = gzipped(tmp_path / "feed.jsonl.gz", "\n".join(lines).encode())
    items = read(path, "hf")
    assert len(parsed(items)) == len(lines) - 1
    [rejection] = rejections(items)
    assert rejection.location == "feed.jsonl.gz:101"
    assert rejection.reason.startswith("invalid JSON")


def test_truncated_gzip_is_reported_as_such(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(hf_lines() * 5)).encode())
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputError, match=r"^x\.jsonl\.gz: truncated gzip stream \(file ends early\)$"
    ):
        read(path, "hf")


def test_latin1_file_names_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    rows = ["title,abstract"] + [f"T{i},A{i}" for i in range(15)] + ["Café,abstract"]
    path.write_bytes("\n".join(rows).encode("latin-1"))
    with pytest.raises(InputError, match=r"^x\.csv:17: not UTF-8 text \(byte 0xe9 at offset \d+\)"):
        read(path, "csv")


def test_empty_file_missing_file_and_directory(tmp_path: Path) -> None:
    empty = tmp_path / "x"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"^x: empty file$"):
        detect_format(empty)
    with pytest.raises(InputError, match="empty file"):
        read(gzipped(tmp_path / "e.gz", b""), "hf")
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "missing.jsonl", "hf")
    with pytest.raises(InputError, match="is a directory"):
        read(tmp_path, "hf")


def test_json_array_that_is_not_closed(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[" + hf_lines()[0] + ",")
    with pytest.raises(InputError, match=r"x\.json: JSON array is not closed"):
        read(path, "hf")


@pytest.mark.parametrize("fmt", ["arxiv-dump", "jsonl"])
def test_json_array_where_lines_are_expected_gets_a_clear_message(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"title": "T", "abstract": "A"}], indent=2))
    with pytest.raises(InputError, match=r"^x\.json: a JSON array, not JSON lines; "):
        read(path, fmt)


def test_fifty_megabyte_line_is_rejected_without_stopping_the_import(tmp_path: Path) -> None:
    huge = '{"title": "' + "x" * (50 * 1024 * 1024) + '"}'
    path = tmp_path / "big.jsonl"
    path.write_text(f"{hf_lines()[0]}\n{huge}\n{hf_lines()[1]}\n")
    items = read(path, "hf")
    assert len(parsed(items)) == 2
    assert [(r.location, r.reason) for r in rejections(items)] == [
        ("big.jsonl:2", f"line longer than {MAX_LINE_CHARS} characters")
    ]


def test_progress_reports_raw_bytes_read(tmp_path: Path) -> None:
    path = gzipped(tmp_path / "f.gz", HF_SAMPLE.read_bytes())
    seen: list[int] = []
    with open_text(path, on_bytes=seen.append) as stream:
        for _ in READERS["hf"](stream, path.name):
            pass
    assert sum(seen) == path.stat().st_size


def _text(text: str) -> io.StringIO:
    """An in-memory text stream, as readers accept any TextIO."""
    return io.StringIO(text)
