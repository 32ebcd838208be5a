"""Time as users mean it: calendar days are Stockholm days; instants are stored in UTC."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Europe/Stockholm."""
    return datetime.now(STOCKHOLM).date()
