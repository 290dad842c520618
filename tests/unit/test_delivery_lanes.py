"""How a round of deliveries is split into lanes sent side by side."""

import pytest
from notify.handlers.delivery import _lanes

pytestmark = pytest.mark.unit


def row(n: int, channel: str) -> dict:
    return {"id": f"n-{n}", "channel": channel}


def test_mail_is_dealt_over_the_sessions_and_sms_and_webhooks_keep_their_order_in_one_lane():
    claimed = [row(1, "email"), row(2, "webhook"), row(3, "email"), row(4, "sms"), row(5, "email"),
               row(6, "webhook"), row(7, "email"), row(8, "email")]
    lanes = _lanes(claimed, 3)
    assert [[r["id"] for r in lane] for lane in lanes] == [
        ["n-1", "n-7"], ["n-3", "n-8"], ["n-5"], ["n-2", "n-4", "n-6"]]


def test_no_lane_is_empty_and_every_delivery_is_in_exactly_one():
    for mail, others, sessions in [(0, 3, 4), (2, 0, 4), (9, 1, 1), (1, 1, 8)]:
        claimed = [row(n, "email") for n in range(mail)] + [row(100 + n, "sms") for n in range(others)]
        lanes = _lanes(claimed, sessions)
        assert all(lanes)
        assert sorted(r["id"] for lane in lanes for r in lane) == sorted(r["id"] for r in claimed)
        assert len(lanes) == min(sessions, mail) + (1 if others else 0)
