"""The build's notion of today: SOURCE_DATE_EPOCH when set (reproducible builds)."""

from __future__ import annotations

import datetime as dt
import os


def source_date() -> dt.date | None:
    """SOURCE_DATE_EPOCH as a date, for reproducible 'as of' figures; None when unset."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch.isdigit() else None


def today() -> dt.date:
    """The build's today, for dates relative to it (overdue actions, 'set 40 days ago'):
    SOURCE_DATE_EPOCH when set, so a build can be reproduced byte for byte; else the clock."""
    return source_date() or dt.date.today()
