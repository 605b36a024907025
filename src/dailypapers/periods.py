"""Dates, ISO weeks and months as inclusive (start, end) ranges; parse errors say what's wrong."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from dailypapers.errors import InputError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


FIRST_YEAR, LAST_YEAR = 2, 9998
"""Years a date may name here: the day, week or month before or after any of them exists
too, so pages and queries can step to neighbours without leaving the calendar."""


def parse_date(text: str) -> date:
    """A YYYY-MM-DD date."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"invalid date {text!r}: expected YYYY-MM-DD") from None
    return _in_range(day, text)


def _in_range(day: date, text: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError(f"{text!r} is out of range: years {FIRST_YEAR} to {LAST_YEAR} only")
    return day


def week_range(text: str) -> tuple[date, date]:
    """Monday..Sunday of an ISO week written YYYY-Www."""
    m = _WEEK.match(text.strip())
    if not m:
        raise InputError(f"invalid week {text!r}: expected YYYY-Www, e.g. 2024-W07")
    try:
        start = _in_range(date.fromisocalendar(int(m[1]), int(m[2]), 1), text)
    except ValueError as exc:
        raise InputError(f"invalid week {text!r}: {exc}") from None
    return start, _in_range(start + timedelta(days=6), text)


def month_range(text: str) -> tuple[date, date]:
    """First..last day of a month written YYYY-MM."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise InputError(f"invalid month {text!r}: expected YYYY-MM, e.g. 2024-07")
    year, month = int(m[1]), int(m[2])
    start = _in_range(date(year, month, 1), text)
    return start, date(year, month, calendar.monthrange(year, month)[1])


def latest_feature_day(today: date | None = None) -> date:
    """The last date a paper may be featured on: tomorrow (time zones ahead of UTC), never
    further, so that a mistyped or hostile date such as 9999-12-31 cannot pin the home page."""
    return (today or datetime.now(UTC).date()) + timedelta(days=1)


def iso_week(day: date) -> str:
    """The YYYY-Www name of the week containing `day`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


PeriodKind = Literal["day", "week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class Period:
    """A day, ISO week or month: the one period type of pages, the JSON API, the CLI and feeds."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def key(self) -> str:
        """Its name in URLs and parameters: YYYY-MM-DD, YYYY-Www or YYYY-MM."""
        if self.kind == "week":
            return iso_week(self.start)
        return self.start.strftime("%Y-%m") if self.kind == "month" else self.start.isoformat()

    def step(self, steps: int) -> Period:
        """The period of the same kind `steps` periods later (earlier when negative)."""
        if self.kind == "day":
            return containing("day", self.start + timedelta(days=steps))
        if self.kind == "week":
            return containing("week", self.start + timedelta(weeks=steps))
        months = self.start.year * 12 + self.start.month - 1 + steps
        return containing("month", date(months // 12, months % 12 + 1, 1))


def containing(kind: PeriodKind, day: date) -> Period:
    """The day, ISO week or month that contains `day`."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def parse_period(kind: str, text: str) -> Period:
    """A period from its kind and key (`day` 2024-07-05, `week` 2024-W27, `month` 2024-07)."""
    if kind == "day":
        day = parse_date(text)
        return Period("day", day, day)
    if kind == "week":
        return Period("week", *week_range(text))
    if kind == "month":
        return Period("month", *month_range(text))
    raise InputError(f"invalid period {kind!r}: expected day, week or month")


def period_of(
    *, day: str | None = None, week: str | None = None, month: str | None = None
) -> Period | None:
    """The period named by at most one of a day, week or month parameter; None for none."""
    given = [(k, v) for k, v in (("day", day), ("week", week), ("month", month)) if v is not None]
    if len(given) > 1:
        raise InputError("give only one of a date, a week and a month")
    return parse_period(*given[0]) if given else None
