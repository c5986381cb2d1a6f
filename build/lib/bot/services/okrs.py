"""OKR use cases: pages, key-result detail, check-ins, new objectives, closing a cycle."""

from __future__ import annotations

from bot.services.okr_base import HomeOkrs as HomeOkrs
from bot.services.okr_base import KRDetail as KRDetail
from bot.services.okr_base import OkrPage as OkrPage
from bot.services.okr_base import TeamOkrs as TeamOkrs
from bot.services.okr_edits import OkrEdits
from bot.services.okr_reads import OkrReads
from bot.services.okr_views import CheckInView as CheckInView


class OkrService(OkrReads, OkrEdits):
    """`/okr`, `/checkin`, `/okr new`, cycle close and score overrides."""
