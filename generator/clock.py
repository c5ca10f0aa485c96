"""The build's notion of today: SOURCE_DATE_EPOCH when set (reproducible builds)."""

from __future__ import annotations

import datetime as dt
import os

from generator.errors import GrowthlogError

_LAST = int(dt.datetime(9999, 12, 31, tzinfo=dt.UTC).timestamp())


def source_date() -> dt.date | None:
    """SOURCE_DATE_EPOCH as a date, for reproducible 'as of' figures; None when unset.

    A value that is not whole seconds between 1970 and the year 9999 is an error rather
    than ignored: the reproducible-builds spec asks a build to stop on a malformed one."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    if not epoch.isdecimal() or not epoch.isascii() or len(epoch) > 12 or int(epoch) > _LAST:
        shown = repr(epoch if len(epoch) <= 40 else epoch[:37] + "...")
        raise GrowthlogError(f"SOURCE_DATE_EPOCH (environment): expected whole seconds since "
                             f"1970-01-01, at most {_LAST} (the year 9999); found {shown}")
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()


def today() -> dt.date:
    """The build's today, for dates relative to it (overdue actions, 'set 40 days ago'):
    SOURCE_DATE_EPOCH when set, so a build can be reproduced byte for byte; else the clock."""
    return source_date() or dt.date.today()
