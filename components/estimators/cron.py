"""Cron schedules as RPO inputs: the longest gap between two runs.

Harbor replication schedules use six fields with seconds first —
``second minute hour day-of-month month day-of-week`` (``"0 0 */4 * * *"`` is every four
hours). Harbor parses them with robfig/cron v3 and exactly those six fields, no descriptors
such as ``@daily`` (``CronParser()`` in goharbor/harbor ``src/common/utils/utils.go``);
the Harbor provider documents the same shape (Hourly ``"0 0 * * * *"``). A five-field
expression given where Harbor expects six is rejected with the six-field spelling, because
Harbor would reject it too.

Database backup schedules (DSM) are standard five-field cron
(``minute hour day-of-month month day-of-week``); :func:`parse_standard_cron` reads those,
with the seconds fixed at 0.

Syntax, as robfig/cron v3 reads it: ``*`` or ``?`` (any), ``5``, ``1-5``, ``*/15``, ``1-30/5``,
``10/15`` (from 10 to the maximum, every 15), comma lists, month names JAN–DEC and weekday
names SUN–SAT (case-insensitive); day-of-week is 0–6 with 0 = Sunday (the five-field form
also accepts 7 = Sunday). When both day-of-month and day-of-week are restricted, a day matches
if either does; when either is ``*``/``?`` (no step), both must match. Times are UTC; daylight
saving shifts are ignored.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Final

from paif_components.estimators.errors import EstimatorError

_MONTH_NAMES: Final = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_DOW_NAMES: Final = {
    name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}

# The window scanned for day-level gaps: 28 years is the cycle after which weekdays and leap
# years line up again (within a century), so every calendar pattern shows its longest gap.
_SCAN_START: Final = dt.date(2024, 1, 1)
_SCAN_DAYS: Final = 28 * 366
_DAY: Final = 86400


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


_SECOND = _Field("second", 0, 59)
_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_DOW = _Field("day-of-week", 0, 6, _DOW_NAMES)
_DOW_STANDARD = _Field("day-of-week", 0, 7, _DOW_NAMES)

HARBOR_CRON_FORMAT: Final = "second minute hour day-of-month month day-of-week"
STANDARD_CRON_FORMAT: Final = "minute hour day-of-month month day-of-week"


@dataclass(frozen=True)
class CronSchedule:
    """A parsed schedule: the allowed values of each field."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_any: bool
    dow_any: bool

    def runs_on(self, day: dt.date) -> bool:
        """Whether the schedule fires on this calendar day (robfig/cron day semantics)."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.isoweekday() % 7) in self.days_of_week
        if self.dom_any or self.dow_any:
            return dom and dow
        return dom or dow

    def times_of_day(self) -> list[int]:
        """Seconds after midnight at which it fires on a day it runs, ascending."""
        return sorted(
            h * 3600 + m * 60 + s for h in self.hours for m in self.minutes for s in self.seconds
        )

    def max_interval_seconds(self) -> int:
        """Longest time between two consecutive runs: the worst-case wait for the next one."""
        times = self.times_of_day()
        within_day = max((b - a for a, b in itertools.pairwise(times)), default=0)
        day_span = times[-1] - times[0]
        if len(self.months) == 12 and self.dom_any and self.dow_any:
            return max(within_day, _DAY - day_span)  # runs every day: no calendar scan needed
        run_days = [
            offset
            for offset in range(_SCAN_DAYS)
            if self.runs_on(_SCAN_START + dt.timedelta(days=offset))
        ]
        if not run_days:
            raise EstimatorError(f"cron {self.expression!r} never fires (no calendar day matches)")
        if len(run_days) == 1:
            raise EstimatorError(
                f"cron {self.expression!r} fires on one day in {_SCAN_DAYS // 366} years: "
                "it cannot bound an RPO"
            )
        between_days = max((b - a) * _DAY - day_span for a, b in itertools.pairwise(run_days))
        return max(within_day, between_days)


def _value(token: str, field: _Field, expression: str) -> int:
    text = token.strip().lower()
    if field.names and text in field.names:
        return field.names[text]
    if not text.isdigit():
        raise EstimatorError(
            f"cron {expression!r}: {field.name} value {token!r} is not a number"
            + (" or a name" if field.names else "")
        )
    value = int(text)
    if not field.low <= value <= field.high:
        raise EstimatorError(
            f"cron {expression!r}: {field.name} value {value} is out of range "
            f"{field.low}-{field.high}"
        )
    return value


def _parse_field(text: str, field: _Field, expression: str) -> tuple[frozenset[int], bool]:
    """Allowed values of one field, and whether it is an unrestricted ``*``/``?``."""
    values: set[int] = set()
    any_value = False
    for part in text.split(","):
        if not part:
            raise EstimatorError(f"cron {expression!r}: empty list item in {field.name} {text!r}")
        range_text, _, step_text = part.partition("/")
        if step_text or part.endswith("/"):
            if not step_text.isdigit() or int(step_text) < 1:
                raise EstimatorError(
                    f"cron {expression!r}: {field.name} step {step_text!r} must be a positive "
                    "integer"
                )
            step = int(step_text)
        else:
            step = 1
        if range_text in ("*", "?"):
            start, end = field.low, field.high
            any_value = any_value or step == 1
        elif "-" in range_text:
            low_text, _, high_text = range_text.partition("-")
            start = _value(low_text, field, expression)
            end = _value(high_text, field, expression)
            if start > end:
                raise EstimatorError(
                    f"cron {expression!r}: {field.name} range {range_text!r} runs backwards"
                )
        else:
            start = _value(range_text, field, expression)
            end = field.high if step_text else start
        values.update(range(start, end + 1, step))
    if field is _DOW_STANDARD and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values), any_value


def _build(expression: str, tokens: list[str], with_seconds: bool) -> CronSchedule:
    if with_seconds:
        second_t, minute_t, hour_t, dom_t, month_t, dow_t = tokens
        seconds, _ = _parse_field(second_t, _SECOND, expression)
        dow_field = _DOW
    else:
        minute_t, hour_t, dom_t, month_t, dow_t = tokens
        seconds = frozenset({0})
        dow_field = _DOW_STANDARD
    minutes, _ = _parse_field(minute_t, _MINUTE, expression)
    hours, _ = _parse_field(hour_t, _HOUR, expression)
    doms, dom_any = _parse_field(dom_t, _DOM, expression)
    months, _ = _parse_field(month_t, _MONTH, expression)
    dows, dow_any = _parse_field(dow_t, dow_field, expression)
    return CronSchedule(expression, seconds, minutes, hours, doms, months, dows, dom_any, dow_any)


def parse_harbor_cron(expression: str) -> CronSchedule:
    """Parse a Harbor replication schedule: six fields, seconds first."""
    if not isinstance(expression, str):
        raise EstimatorError(f"a cron expression is a string, got {expression!r}")
    tokens = expression.split()
    if expression.strip().startswith("@"):
        raise EstimatorError(
            f"Harbor cron {expression!r}: descriptors such as @daily are not accepted by "
            f"Harbor; write six fields ({HARBOR_CRON_FORMAT}), e.g. '0 0 0 * * *'"
        )
    if len(tokens) == 5:
        raise EstimatorError(
            f"Harbor cron {expression!r} has 5 fields; Harbor uses 6 with seconds first "
            f"({HARBOR_CRON_FORMAT}): did you mean '0 {' '.join(tokens)}'?"
        )
    if len(tokens) != 6:
        raise EstimatorError(
            f"Harbor cron {expression!r} has {len(tokens)} fields; Harbor uses 6 "
            f"({HARBOR_CRON_FORMAT}), e.g. '0 0 */4 * * *'"
        )
    return _build(expression, tokens, with_seconds=True)


def parse_standard_cron(expression: str) -> CronSchedule:
    """Parse a standard five-field cron expression (backup schedules), seconds fixed at 0."""
    if not isinstance(expression, str):
        raise EstimatorError(f"a cron expression is a string, got {expression!r}")
    tokens = expression.split()
    if len(tokens) != 5:
        raise EstimatorError(
            f"cron {expression!r} has {len(tokens)} fields; expected 5 "
            f"({STANDARD_CRON_FORMAT}), e.g. '0 2 * * *'"
        )
    return _build(expression, tokens, with_seconds=False)


def harbor_cron_interval_seconds(expression: str) -> int:
    """Longest gap between runs of a Harbor (six-field) schedule, in seconds."""
    return parse_harbor_cron(expression).max_interval_seconds()


def cron_interval_seconds(expression: str) -> int:
    """Longest gap between runs of a standard (five-field) schedule, in seconds."""
    return parse_standard_cron(expression).max_interval_seconds()
