"""Harbor six-field cron and standard cron intervals; durations in and out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_components.estimators import (
    EstimatorError,
    cron_interval_seconds,
    format_duration,
    harbor_cron_interval_seconds,
    parse_duration,
    parse_harbor_cron,
)

HOUR = 3600
DAY = 86400


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("0 0 */4 * * *", 4 * HOUR),
        ("0 0 * * * *", HOUR),  # the Harbor provider's "Hourly"
        ("0 0 0 * * *", DAY),  # "Daily"
        ("0 0 0 * * 0", 7 * DAY),  # Sundays
        ("*/30 * * * * *", 30),
        ("0 */15 * * * *", 15 * 60),
        ("0 30 2 * * MON-FRI", 3 * DAY),  # Friday 02:30 → Monday 02:30
        ("0 0 1,13 * * ?", 12 * HOUR),
        ("0 0 0 1 * *", 31 * DAY),
        ("0 0 0 29 2 *", 1461 * DAY),  # leap days, four years apart
        ("0 0 0 1,15 * SUN", 7 * DAY),  # both restricted: either matches (robfig/cron)
        ("0 0 10/6 * * *", 12 * HOUR),  # 10, 16, 22 → next day 10
        ("0 0 0 1 jan,JUL *", 184 * DAY),
    ],
)
def test_harbor_cron_longest_gap(expression: str, seconds: int) -> None:
    assert harbor_cron_interval_seconds(expression) == seconds


def test_standard_cron_for_backup_schedules() -> None:
    assert cron_interval_seconds("0 2 * * *") == DAY
    assert cron_interval_seconds("0 2 * * 7") == 7 * DAY  # 7 = Sunday in five-field cron
    assert cron_interval_seconds("*/15 * * * *") == 15 * 60


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "0 */4 * * *",
            "Harbor cron '0 */4 * * *' has 5 fields; Harbor uses 6 with seconds first (second "
            "minute hour day-of-month month day-of-week): did you mean '0 0 */4 * * *'?",
        ),
        (
            "@daily",
            "Harbor cron '@daily': descriptors such as @daily are not accepted by Harbor; write "
            "six fields (second minute hour day-of-month month day-of-week), e.g. '0 0 0 * * *'",
        ),
        ("0 0 25 * * *", "cron '0 0 25 * * *': hour value 25 is out of range 0-23"),
        ("0 0 0 * * 7", "cron '0 0 0 * * 7': day-of-week value 7 is out of range 0-6"),
        ("0 0 */0 * * *", "cron '0 0 */0 * * *': hour step '0' must be a positive integer"),
        ("0 0 5-1 * * *", "cron '0 0 5-1 * * *': hour range '5-1' runs backwards"),
        ("0 0 0 31 2 *", "cron '0 0 0 31 2 *' never fires (no calendar day matches)"),
        ("0 0 0 * FOO *", "cron '0 0 0 * FOO *': month value 'FOO' is not a number or a name"),
        (
            "0 0 0 * * * 2026",
            "Harbor cron '0 0 0 * * * 2026' has 7 fields; Harbor uses 6 (second minute hour "
            "day-of-month month day-of-week), e.g. '0 0 */4 * * *'",
        ),
    ],
)
def test_bad_harbor_cron_is_rejected(expression: str, message: str) -> None:
    with pytest.raises(EstimatorError) as err:
        harbor_cron_interval_seconds(expression)
    assert str(err.value) == message


def test_parsed_fields() -> None:
    schedule = parse_harbor_cron("0 0 */4 * * *")
    assert schedule.hours == frozenset({0, 4, 8, 12, 16, 20})
    assert schedule.seconds == frozenset({0}) and schedule.minutes == frozenset({0})
    assert schedule.dom_any and schedule.dow_any


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=23))
def test_hour_steps_wait_for_the_step_or_the_wrap_to_midnight(step: int) -> None:
    last = max(range(0, 24, step))
    assert harbor_cron_interval_seconds(f"0 0 */{step} * * *") == max(step, 24 - last) * HOUR


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=59))
def test_second_steps(step: int) -> None:
    last = max(range(0, 60, step))
    assert harbor_cron_interval_seconds(f"*/{step} * * * * *") == max(step, 60 - last)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("4h", 14400),
        ("1h30m", 5400),
        ("2d", 172800),
        ("1.5h", 5400),
        ("45", 45),
        (12, 12),
        (0.5, 0.5),
    ],
)
def test_parse_duration(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5 minutes", "m5", "-3s", True, None, float("inf")])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(EstimatorError):
        parse_duration(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.2, "< 1 s"),
        (45, "45 s"),
        (60, "1 min"),
        (128, "2 min 8 s"),
        (2667.3, "44 min 27 s"),
        (3600, "1 h"),
        (6719.3, "1 h 51 min"),
        (86400, "1 d"),
        (183600, "2 d 3 h"),
        (90061, "1 d 1 h"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(EstimatorError) as err:
        format_duration(-1)
    assert str(err.value) == "a duration must be a finite number ≥ 0 seconds, got -1"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7))
def test_format_keeps_the_two_largest_units(seconds: int) -> None:
    text = format_duration(seconds)
    parts = text.split()
    assert 2 <= len(parts) <= 4
    shown = sum(
        int(n) * {"d": 86400, "h": 3600, "min": 60, "s": 1}[u]
        for n, u in zip(parts[::2], parts[1::2], strict=True)
    )
    largest = {"d": 86400, "h": 3600, "min": 60, "s": 1}[parts[1]]
    # What is dropped is less than one unit below the largest shown.
    assert 0 <= seconds - shown < max(1, largest // (24 if largest == 86400 else 60))
