"""Pure parts of the Hugging Face API service: timestamps, periods, highlighting."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from dailypapers.errors import InputError
from dailypapers.services.hf_api import Span, hf_timestamp, highlight, period, search_terms


def test_timestamps_are_utc_milliseconds_with_z() -> None:
    paris = timezone(timedelta(hours=2))
    moment = datetime(2024, 1, 2, 7, 0, 0, 123456, tzinfo=paris)
    assert hf_timestamp(moment) == "2024-01-02T05:00:00.123Z"


def test_periods() -> None:
    assert period() is None
    assert period(day="2025-06-02") == (date(2025, 6, 2), date(2025, 6, 2))
    assert period(week="2025-W23") == (date(2025, 6, 2), date(2025, 6, 8))
    assert period(month="2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(InputError, match="only one"):
        period(day="2025-06-02", week="2025-W23")


def test_highlight_cuts_text_into_spans() -> None:
    text = 'A <b>"Diffusion"</b> & diffusion-based model'
    assert highlight(text, search_terms('"diffusion" <b>')) == [
        Span("text", "A "),
        Span("highlight", "<b>"),
        Span("text", '"'),
        Span("highlight", "Diffusion"),
        Span("text", '"</b> & '),
        Span("highlight", "diffusion"),
        Span("text", "-based model"),
    ]
    assert highlight("x < y", []) == [Span("text", "x < y")]
    assert highlight("", ["x"]) == []
