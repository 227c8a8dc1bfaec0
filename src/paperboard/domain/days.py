"""The days this site can name: one range, checked wherever a date comes in from outside (query
parameters, the query language, command options).

Python's calendar ends at 9999-12-31, a Friday: the week of that day ends in year 10000, and
``date + timedelta`` past it raises OverflowError, which reached visitors as a 500. Downstream code
adds and subtracts days freely (a week's last day, the day after a period, a trending window, a
digest's week), so the bound sits well inside the calendar rather than at its edge. arXiv began in
1991; the range leaves room for older listings and for centuries to come.
"""

from __future__ import annotations

import re
from datetime import date

from paperboard.errors import UserError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class DayOutOfRange(ValueError):
    """A real calendar day outside ``FIRST_DAY``..``LAST_DAY``."""


def within_range(day: date, written: str | None = None) -> date:
    """``day`` itself, or DayOutOfRange naming it (as ``written``, when the text was not a day)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayOutOfRange(f"{written or day.isoformat()} is outside the days this site knows ({FIRST_DAY} to {LAST_DAY})")
    return day


def parse_day(text: str) -> date:
    """A day written YYYY-MM-DD (a form field, a URL parameter, a command option), within range."""
    if not _DAY.fullmatch(text or ""):
        raise UserError(f"date must look like 2026-04-03 (YYYY-MM-DD), got {text!r}")
    try:
        return within_range(date.fromisoformat(text))
    except DayOutOfRange as error:
        raise UserError(str(error)) from None
    except ValueError:
        raise UserError(f"{text!r} is not a date in the calendar") from None
