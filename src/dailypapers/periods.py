"""Dates, ISO weeks and months as inclusive (start, end) ranges; parse errors say what's wrong."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from dailypapers.errors import InputError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(text: str) -> date:
    """A YYYY-MM-DD date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"invalid date {text!r}: expected YYYY-MM-DD") from None


def week_range(text: str) -> tuple[date, date]:
    """Monday..Sunday of an ISO week written YYYY-Www."""
    m = _WEEK.match(text.strip())
    if not m:
        raise InputError(f"invalid week {text!r}: expected YYYY-Www, e.g. 2024-W07")
    try:
        start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError as exc:
        raise InputError(f"invalid week {text!r}: {exc}") from None
    return start, start + timedelta(days=6)


def month_range(text: str) -> tuple[date, date]:
    """First..last day of a month written YYYY-MM."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise InputError(f"invalid month {text!r}: expected YYYY-MM, e.g. 2024-07")
    year, month = int(m[1]), int(m[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def iso_week(day: date) -> str:
    """The YYYY-Www name of the week containing `day`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
