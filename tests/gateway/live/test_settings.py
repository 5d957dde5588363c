"""``[live]``: defaults, and each bad value refused naming its key."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.settings import SettingsError, parse_settings


def test_the_defaults_poll_every_30_seconds_under_a_90_second_lease() -> None:
    live = parse_settings({}).live
    assert live.enabled
    assert live.poll_interval_seconds == 30
    assert live.lease_seconds == 90
    assert live.stream_max_len == 10_000
    assert live.max_subscriptions_per_person == 10
    assert live.relation_recheck_seconds == 60


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"poll_interval_seconds": 0}, "live.poll_interval_seconds"),
        ({"poll_interval_seconds": 30, "lease_seconds": 30}, "live.lease_seconds"),
        ({"stream_max_len": 0}, "live.stream_max_len"),
        ({"max_subscriptions_per_person": 0}, "live.max_subscriptions_per_person"),
        ({"max_subscriptions": -1}, "live.max_subscriptions"),
        ({"max_queued_events": 0}, "live.max_queued_events"),
        ({"lookback_hours": 0}, "live.lookback_hours"),
        ({"off_hours_factor": 0.5}, "live.off_hours_factor"),
        ({"relation_recheck_seconds": -1}, "live.relation_recheck_seconds"),
        ({"stream_max_len": "many"}, "live.stream_max_len"),
        ({"polling": True}, "live.polling"),
    ],
)
def test_a_bad_value_names_its_key(table: dict[str, Any], key: str) -> None:
    with pytest.raises(SettingsError) as refused:
        parse_settings({"live": table})
    assert str(refused.value).startswith(f"{key}:")
