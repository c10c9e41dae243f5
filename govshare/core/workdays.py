"""Working days for legal deadlines (工作日): weekends and public holidays do not count.

China moves working days around holidays (调休): some Saturdays and Sundays are working days.
Both lists are configured (`GOVSHARE_HOLIDAYS`, `GOVSHARE_EXTRA_WORKDAYS`, ISO dates separated by
commas) because the State Council publishes them each year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone

from govshare.core.config import get_settings

CHINA_TZ = timezone(timedelta(hours=8))


class WorkCalendar:
    def __init__(self, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()):
        self.holidays = frozenset(holidays)
        self.extra_workdays = frozenset(extra_workdays)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (the start day itself does not count)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def deadline(self, filed_at: datetime, days: int) -> datetime:
        """End of the last working day (24:00 China time) `days` working days after filing."""
        local = filed_at.astimezone(CHINA_TZ).date()
        last = self.add_working_days(local, days)
        return datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ).astimezone(timezone.utc)


def _dates(value: str) -> list[date]:
    return [date.fromisoformat(part.strip()) for part in value.split(",") if part.strip()]


def calendar() -> WorkCalendar:
    settings = get_settings()
    return WorkCalendar(_dates(settings.holidays), _dates(settings.extra_workdays))
