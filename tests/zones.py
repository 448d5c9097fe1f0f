"""The council's time zone as the tests' stage has it (the default: no COUNCIL_TIMEZONE is set)."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

from chalicelib.settings import council_timezone

COUNCIL_ZONE = ZoneInfo(council_timezone(os.environ))
