"""``/healthz`` (alive) and ``/readyz`` (Redis, the issuers' keys, each region's last call)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from gateway.settings import IssuerSettings
from tests.clock import school_week
from tests.redis import own_redis_server, sub_prefix

from .conftest import make_demo
from .test_partial_answers import region_down

WEEK = """query ($from: Date!, $to: Date!) { me { children { fullName
  diary(from: $from, to: $to) { days { date } } } } }"""


def _ready(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=10)


def test_readyz_flips_when_the_redis_it_needs_stops(tmp_path: Path, redis_prefix: str) -> None:
    with own_redis_server(tmp_path) as server:
        cache = {"url": server.url, "key_prefix": sub_prefix(redis_prefix, "ready")}
        with make_demo(tmp_path / "key.json", cache=cache) as demo:
            ready = _ready(demo.url)
            assert ready.status_code == 200, ready.text
            body = ready.json()
            assert body["status"] == "ready"
            assert body["redis"] == "ok"
            assert set(body["issuers"].values()) == {"ok"}
            assert set(body["regions"]) == {"74", "11", "77"}

            server.stop()
            for _ in range(50):  # the pool notices at its next ping
                unready = _ready(demo.url)
                if unready.status_code == 503:
                    break
                time.sleep(0.1)
            assert unready.status_code == 503, unready.text
            assert unready.json()["status"] == "unready"
            assert unready.json()["redis"].startswith("unreachable")
            # the process itself is alive and says so
            alive = httpx.get(f"{demo.url}/healthz", timeout=10)
            assert alive.status_code == 200
            assert alive.json() == {"status": "ok"}


def test_readyz_without_an_issuer_s_keys_is_unready(tmp_path: Path) -> None:
    # an issuer whose JWKS nobody serves (port 9 on loopback: discard, nothing listening)
    issuers = [
        IssuerSettings(
            issuer="https://esia.example.test",
            audience="diary-gateway",
            jwks_url="http://127.0.0.1:9/jwks.json",
        )
    ]
    with make_demo(tmp_path / "key.json", issuers=issuers) as demo:
        unready = _ready(demo.url)
        assert unready.status_code == 503, unready.text
        assert unready.json()["issuers"] == {"https://esia.example.test": "keys unavailable"}
        assert unready.json()["redis"] == "not configured"


def test_a_region_down_is_reported_but_the_gateway_stays_ready(tmp_path: Path) -> None:
    with make_demo(tmp_path / "key.json", cache={"ttl": {"diary": 0}}) as demo:
        assert all(r["lastCall"] is None for r in _ready(demo.url).json()["regions"].values())
        with region_down(demo, "11"):
            partial = demo.query(WEEK, school_week(), persona="parent")
        assert partial["errors"]
        ready = _ready(demo.url)
        assert ready.status_code == 200, ready.text
        regions = ready.json()["regions"]
        assert regions["11"]["lastCall"] == "unavailable"
        assert regions["11"]["secondsAgo"] >= 0
        assert regions["74"]["lastCall"] == "ok"
        assert {r["breaker"] for r in regions.values() if "breaker" in r} <= {
            "closed",
            "open",
            "half_open",
        }
