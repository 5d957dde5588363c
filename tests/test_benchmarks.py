"""The benchmark's baselines answer the benchmark's query exactly as the gateway does.

``scripts/bench`` compares the gateway with an unmodified Strawberry schema of the same
shape; when the gateway's schema changes (a renamed field), the baseline must follow, or the
bench stops measuring like for like. This keeps them in step without running the load.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from benchmarks.baselines import plain_starlette_app, plain_strawberry_app
from benchmarks.run import QUERY, _week
from tests.gateway.conftest import make_demo
from tests.servers import serve_app


def test_the_baselines_answer_the_bench_query_like_the_gateway(tmp_path: Path) -> None:
    variables = _week()
    with make_demo(tmp_path / "key.json") as demo:
        answer = demo.query(QUERY, variables, persona="parent")
    assert "errors" not in answer, answer.get("errors")
    data = answer["data"]
    assert sum(len(c["diary"]["days"]) for c in data["me"]["children"]) == 4 * 7
    with serve_app(plain_strawberry_app(data)) as url:
        query = {"query": QUERY, "variables": variables}
        plain = httpx.post(f"{url}/graphql", json=query, timeout=30).json()
    assert plain == {"data": data}
    body = b'{"data": {}}'
    with serve_app(plain_starlette_app(body)) as url:
        assert httpx.post(f"{url}/graphql", content=b"{}", timeout=30).content == body


@pytest.mark.slow  # an external toolchain's long run (CI: pytest -m slow)
def test_the_live_bench_measures_at_a_small_scale(tmp_path: Path) -> None:
    """(f) and (g) run end to end (their own gateway process, Redis, real WebSockets)."""
    from benchmarks.live import delivery_lag, idle_memory
    from diary_gateway_demo.personas import find_persona
    from gateway.dev_issuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
    from tests.redis import require_redis

    require_redis()
    key = tmp_path / "key.json"
    token = DevIssuer.load_or_create(key, issuer=DEV_ISSUER).mint(
        find_persona("parent").subject, audience=DEV_AUDIENCE
    )
    memory = idle_memory(key, token, idle=40, warm=10)
    assert memory["subscriptions"] == 40
    assert memory["rss_mib_at_idle"] > 0
    lag = delivery_lag(key, token, subscribers=10, events=2)
    assert lag["delivered"] == lag["expected"] == 20
    assert lag["p50_ms"] <= lag["p99_ms"] <= lag["max_ms"]
