from datetime import date, datetime, timezone

import pytest

from govshare.core.workdays import WorkCalendar

# 2026-10-01..07 National Day holiday; Sunday 2026-09-27 and Saturday 2026-10-10 worked instead (调休).
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
MAKE_UP = [date(2026, 9, 27), date(2026, 10, 10)]


def test_weekends_do_not_count():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday -> Monday
    assert cal.add_working_days(date(2026, 11, 23), 10) == date(2026, 12, 7)
    assert cal.add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 21)


def test_holidays_skip_and_make_up_days_count():
    cal = WorkCalendar(NATIONAL_DAY, MAKE_UP)
    # Filed Friday 2026-09-25: Sun 27 (make-up) is day 1, Mon 28, Tue 29, Wed 30, then holidays,
    # Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13, Wed 14 -> day 10.
    assert cal.add_working_days(date(2026, 9, 25), 10) == date(2026, 10, 14)
    assert not cal.is_working_day(date(2026, 10, 5)) and cal.is_working_day(date(2026, 10, 10))
    assert cal.working_days_between(date(2026, 9, 25), date(2026, 10, 14)) == 10


def test_deadline_is_the_end_of_the_last_working_day_in_china_time():
    cal = WorkCalendar()
    filed = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)  # Saturday 01:00 in China
    deadline = cal.deadline(filed, 1)  # the first working day after Saturday is Monday 23rd
    assert deadline == datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)  # Tuesday 00:00 China time


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        WorkCalendar().add_working_days(date(2026, 1, 1), -1)
