"""``scripts/bench``: the gateway against its baselines, measured in one run, as ratios.

The standing gates (:data:`TARGETS`), each the median of ``--runs`` (3) interleaved rounds:

(a) a repeated diary-week query for one persona, memory cache, against a plain Starlette
    endpoint returning the same JSON bytes (≥ 0.7×); and the same with the gateway operated
    as in production — ``/metrics`` on and traces exported over OTLP/HTTP at the default
    ``sample_ratio`` to a stand-in collector on loopback (≥ 0.7×);
(b) the same query with the response cache off but provider data cached, against an
    unmodified Strawberry schema resolving the same data (≥ 2.5×);
(c) cold-cache latency over the Moscow emulator with 100 ms of provider latency, against
    the same provider calls made directly in the same order and concurrency (the gateway
    adds ≤ 10 ms at the median);
(d) memory: 10,000 distinct cached diaries stay under the in-memory cache's bound.
(e) ``/healthz`` lag while fan-out attacks are refused;
(f), (g) live updates (``benchmarks/live.py``, a config of their own: caps raised, rate
    limits off): memory per idle subscription with 5,000 open; p50/p99 delivery lag with
    1,000 subscribers of one student.

Load comes from ``wrk`` where installed, else from a bundled asyncio client; each server
runs in its own process on loopback. Results go to stdout and ``.bench/latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TARGETS: dict[str, float] = {"a": 0.7, "b": 2.5, "c": 10.0}
"""The standing gates: (a) and (b) ratios at least, (c) milliseconds added at most."""
QUERY = """query Week($from: Date!, $to: Date!) {
  me { children {
    fullName school { name region { code } }
    diary(from: $from, to: $to) { days { date lessons {
      number subject { name }
      marks { value scale { kind } fivePoint weight comment }
      homework { text }
    } } }
  } }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(kind: str, *args: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.serve", kind, "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_started(url, process, f"{kind} server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _week(offset: int = 0) -> dict[str, str]:
    """The latest school week with a finished day (a break or a Monday morning has no marks)."""
    from diary_gateway_demo.seed import last_school_week

    monday = last_school_week(date.today() - timedelta(days=1)) - timedelta(days=7 * offset)
    return {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}


def _payload(variables: dict[str, str]) -> bytes:
    return json.dumps({"query": QUERY, "variables": variables}).encode()


def _wrk(url: str, body: bytes, token: str | None, seconds: int, connections: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        headers = 'wrk.headers["Content-Type"] = "application/json"\n'
        if token:
            headers += f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body.decode())}\n{headers}')
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, f"{url}/graphql"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses under load")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


async def _bundled(
    url: str, body: bytes, token: str | None, seconds: int, connections: int
) -> float:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    done = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < stop:
                response = await client.post(f"{url}/graphql", content=body, headers=headers)
                response.raise_for_status()
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.monotonic() - started)


def _rps(url: str, body: bytes, token: str | None, seconds: int) -> float:
    connections = 16
    if shutil.which("wrk"):
        return _wrk(url, body, token, seconds, connections)
    return asyncio.run(_bundled(url, body, token, seconds, connections))


def _post(url: str, body: bytes, token: str | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(f"{url}/graphql", content=body, headers=headers, timeout=60)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    if result.get("errors"):
        raise RuntimeError(f"benchmark query failed: {result['errors']}")
    return result


@contextmanager
def _otlp_sink() -> Iterator[tuple[str, list[int]]]:
    """A stand-in OTLP/HTTP collector on loopback: accepts every post, keeps nothing; yields
    its URL and a one-item list counting the bytes it was sent."""
    import http.server
    import threading

    received = [0]

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received[0] += len(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def throughput(seconds: int, key: Path, token: str, *, runs: int = 3) -> dict[str, Any]:
    """(a), (a) observed and (b): ``runs`` interleaved rounds, each ratio the median of the
    rounds' ratios (drift between rounds hits both sides of a ratio alike)."""
    body = _payload(_week())
    results: dict[str, Any] = {}
    with _server("gateway", "--key", str(key)) as full:
        answer = _post(full, body, token)
        raw = httpx.post(
            f"{full}/graphql",
            content=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        ).content
        fields = _count_fields(answer["data"])
        with tempfile.TemporaryDirectory() as tmp:
            bytes_file = Path(tmp) / "body.json"
            bytes_file.write_bytes(raw)
            data_file = Path(tmp) / "data.json"
            data_file.write_text(json.dumps(answer["data"]), encoding="utf-8")
            with (
                _otlp_sink() as (sink, received),
                _server(  # operated as in production: /metrics and traces at the default ratio
                    "gateway", "--key", str(key), "--metrics", "--otlp-endpoint", sink
                ) as observed,
                _server("starlette", "--file", str(bytes_file)) as starlette,
                _server("strawberry", "--file", str(data_file)) as plain,
                _server("gateway", "--key", str(key), "--no-response-cache") as entity,
            ):
                _post(entity, body, token)  # warm the entity cache
                _post(observed, body, token)
                assert _post(plain, body, None)["data"] == answer["data"]
                rps: dict[str, list[float]] = {k: [] for k in ("a", "ao", "a0", "b", "b0")}
                for _ in range(runs):
                    rps["a"].append(_rps(full, body, token, seconds))
                    rps["ao"].append(_rps(observed, body, token, seconds))
                    rps["a0"].append(_rps(starlette, body, None, seconds))
                    rps["b"].append(_rps(entity, body, token, seconds))
                    rps["b0"].append(_rps(plain, body, None, seconds))
                exported = received[0]

    def ratio(subject: str, baseline: str) -> float:
        pairs = zip(rps[subject], rps[baseline], strict=True)
        return round(statistics.median(s / b for s, b in pairs), 3)

    def median(subject: str) -> int:
        return round(statistics.median(rps[subject]))

    results["fields"] = fields
    results["runs"] = runs
    results["a"] = {
        "gateway_rps": median("a"),
        "starlette_rps": median("a0"),
        "ratio": ratio("a", "a0"),
        "ratios": [round(s / b, 3) for s, b in zip(rps["a"], rps["a0"], strict=True)],
        "target": TARGETS["a"],
    }
    results["a_observed"] = {
        "gateway_rps": median("ao"),
        "ratio": ratio("ao", "a0"),
        "ratios": [round(s / b, 3) for s, b in zip(rps["ao"], rps["a0"], strict=True)],
        "otlp_bytes_received": exported,
        "target": TARGETS["a"],
    }
    results["b"] = {
        "gateway_rps": median("b"),
        "strawberry_rps": median("b0"),
        "ratio": ratio("b", "b0"),
        "ratios": [round(s / b, 3) for s, b in zip(rps["b"], rps["b0"], strict=True)],
        "target": TARGETS["b"],
    }
    return results


def _count_fields(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + _count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_fields(v) for v in value)
    return 0


def cold_latency(samples: int, key: Path, token: str, *, runs: int = 3) -> dict[str, Any]:
    """(c): cold diary reads through the gateway vs the same provider calls made directly;
    the median of ``runs`` runs' medians."""
    measured = [_cold_latency(samples, key, token) for _ in range(runs)]
    gateway = statistics.median(m[0] for m in measured)
    direct = statistics.median(m[1] for m in measured)
    return {
        "gateway_median_ms": round(gateway, 1),
        "provider_median_ms": round(direct, 1),
        "added_ms": round(statistics.median(m[0] - m[1] for m in measured), 1),
        "added_ms_runs": [round(m[0] - m[1], 1) for m in measured],
        "target_added_ms": TARGETS["c"],
        "samples": samples,
        "runs": runs,
    }


def _cold_latency(samples: int, key: Path, token: str) -> tuple[float, float]:
    """One run of (c): the gateway's and the direct calls' medians, ms."""
    from adapters.moscow.client import Credentials, MoscowClient
    from adapters.moscow.config import MoscowConfig

    gateway_port = _free_port()
    jwks = f"http://127.0.0.1:{gateway_port}/.well-known/dev-sso/jwks.json"
    with _server("emulator", "--latency-ms", "100", "--jwks", jwks) as emulator:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.serve",
                "gateway",
                "--port",
                str(gateway_port),
                "--key",
                str(key),
                "--moscow-url",
                emulator,
                "--no-response-cache",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        gateway = f"http://127.0.0.1:{gateway_port}"
        try:
            wait_started(gateway, process, "gateway")
            children = _post(
                gateway,
                json.dumps(
                    {"query": "{ me { children { id school { region { code } } } } }"}
                ).encode(),
                token,
            )["data"]["me"]["children"]
            moscow_id = next(c["id"] for c in children if c["school"]["region"]["code"] == "77")
            query = (
                "query ($id: ID!, $from: Date!, $to: Date!) { diary(studentId: $id, from: $from,"
                " to: $to) { days { lessons { subject { name } marks { value fivePoint }"
                " homework { text } absence { reason } } } } }"
            )
            through: list[float] = []
            # One kept-alive connection with TCP_NODELAY, like the direct calls below: a
            # client whose POST body waits for Nagle's algorithm would measure the kernel's
            # 40 ms delayed ACK, not the gateway.
            nodelay = httpx.HTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            )
            with httpx.Client(transport=nodelay, timeout=60) as client:
                for i in range(samples):
                    body = json.dumps(
                        {"query": query, "variables": {"id": moscow_id, **_week(i + 5)}}
                    ).encode()
                    started = time.perf_counter()
                    response = client.post(
                        f"{gateway}/graphql",
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            "Authorization": f"Bearer {token}",
                        },
                    )
                    through.append((time.perf_counter() - started) * 1000)
                    if response.json().get("errors"):
                        raise RuntimeError(f"cold query failed: {response.text[:300]}")
            direct = asyncio.run(
                _direct(emulator, token, samples, Credentials, MoscowClient, MoscowConfig)
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    if os.environ.get("BENCH_VERBOSE"):
        print("gateway", [round(x, 1) for x in through], "direct", [round(x, 1) for x in direct])
    return statistics.median(through), statistics.median(direct)


def wait_started(
    url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 30
) -> None:
    """Wait until the server at ``url`` answers anything (or fail: it exited, or ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{url}/", timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the {what} did not start") from None
            time.sleep(0.1)


async def _direct(
    emulator: str, token: str, samples: int, credentials: Any, client_cls: Any, config_cls: Any
) -> list[float]:
    """The diary's provider calls alone: events, homework, attendance and marks, concurrently."""
    nodelay = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    async with httpx.AsyncClient(timeout=30, transport=nodelay) as http:
        client = client_cls(http, config_cls(base_url=emulator), provider="moscow")
        session = await client.exchange(token)
        creds = credentials(
            token=session["token"], profile_id=str(session["profile_id"]), role="parent"
        )
        profile = await client.family_profile(creds)
        child = profile["children"][0]
        student_id, guid = str(child["id"]), child["contingent_guid"]
        timings = []
        for i in range(samples):
            week = _week(i + 5 + samples)
            start, end = date.fromisoformat(week["from"]), date.fromisoformat(week["to"])
            started = time.perf_counter()
            await asyncio.gather(
                client.events(creds, guid, start, end),
                client.homeworks_short(creds, student_id, start, end + timedelta(days=35)),
                client.attendance(creds, student_id, start, end),
                client.marks(creds, student_id, start, end),
            )
            timings.append((time.perf_counter() - started) * 1000)
        return timings


def _fan_out(fragments: int) -> str:
    """The reported attack: each fragment spreads the next twice (2^n fields expanded)."""
    parts = ["query{...F0}"]
    parts += [f"fragment F{i} on Query{{...F{i + 1} ...F{i + 1}}}" for i in range(fragments - 1)]
    parts.append(f"fragment F{fragments - 1} on Query{{regions{{code}}}}")
    return " ".join(parts)


def hostile_lag(seconds: int, key: Path) -> dict[str, Any]:
    """(e): ``/healthz`` latency while 30-fragment fan-out documents are refused non-stop.

    The event loop's lag shows as the health probe's latency: idle first, then with four
    clients posting the attack back to back (each is refused; none may stall the loop).
    """
    import threading

    attack = json.dumps({"query": _fan_out(30)}).encode()
    with _server("gateway", "--key", str(key)) as url:
        probe = httpx.Client(timeout=30)

        def sample(duration: float) -> list[float]:
            found: list[float] = []
            end = time.monotonic() + duration
            while time.monotonic() < end:
                started = time.perf_counter()
                probe.get(f"{url}/healthz")
                found.append((time.perf_counter() - started) * 1000)
                time.sleep(0.01)
            return found

        idle = sample(min(2.0, seconds / 2))
        stop = threading.Event()
        refused: list[int] = []

        def flood() -> None:
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    answer = client.post(
                        f"{url}/graphql",
                        content=attack,
                        headers={"Content-Type": "application/json"},
                    )
                    body = answer.json()
                    # refused: an error and no data (HTTP 200 under application/json)
                    refused.append(answer.status_code if body.get("data") is None else -1)

        workers = [threading.Thread(target=flood, daemon=True) for _ in range(4)]
        for worker in workers:
            worker.start()
        loaded = sample(seconds)
        stop.set()
        for worker in workers:
            worker.join(60)
        probe.close()
    return {
        "attack_bytes": len(attack),
        "attacks_refused": len(refused),
        "statuses": sorted(set(refused)),
        "idle_median_ms": round(statistics.median(idle), 2),
        "loaded_median_ms": round(statistics.median(loaded), 2),
        "loaded_max_ms": round(max(loaded), 2),
    }


def memory_bound(diaries: int) -> dict[str, Any]:
    """(d): cache ``diaries`` distinct diaries through the real path; the cache keeps its bound.

    A school admin of region 74 reads week after week of both 9th/5th-form classes through
    the «Сетевой город»-style adapter and the upstream runner over the bounded memory cache
    (one entry per class and week holds 25 diaries).
    """
    import tracemalloc

    from adapters import AdapterDeps, Caller, DateRange, RegionInfo
    from adapters.netcity import NetCityAdapter
    from adapters.netcity.config import NetCityConfig
    from diary_gateway_demo.seed import national_id, school_year_start
    from gateway.upstream import UpstreamRunner, build_cache

    bound = 200
    cache = build_cache("memory://", max_entries=bound)
    runner = UpstreamRunner(cache)
    from zoneinfo import ZoneInfo

    import httpx

    from diary_gateway_demo.netcity import create_emulator

    class _TrustingSso:  # the bench measures the cache, not JWT checks
        async def subject(self, token: str) -> str:
            return token

    emulator_app = create_emulator()
    emulator_app.state.emulator.sso = _TrustingSso()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator_app))
    region = RegionInfo("74", "bench", ZoneInfo("Asia/Yekaterinburg"), "https://example.test")
    adapter = NetCityAdapter(
        region=region,
        config=NetCityConfig(base_url="http://netcity.bench"),
        deps=AdapterDeps(http=http, runner=runner),
    )
    admin_id = national_id("school-admin", "74")
    caller = Caller(person_id=admin_id, sso_token=admin_id)

    async def fill() -> tuple[int, int, int, int]:
        profile = await adapter.get_profile(caller)
        assert profile is not None
        world = emulator_app.state.emulator.world
        admin_school = next(g.school_id for g in profile.roles if g.school_id)
        classes = [c for c in world.classes.values() if str(c.school_id) == admin_school]
        monday = school_year_start(date.today())
        monday -= timedelta(days=monday.weekday())
        stored = weeks = 0
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        peak_entries = 0
        while stored < diaries:
            days = DateRange(monday, monday + timedelta(days=6))
            for unit in classes:
                ids = [str(s.id) for s in world.class_students(unit.id)]
                result = await adapter.get_diaries(caller, ids, days)
                stored += sum(1 for slot in result if isinstance(slot, list))
            peak_entries = max(peak_entries, len(cache))
            monday += timedelta(days=7)
            weeks += 1
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return stored, peak_entries, current - baseline, peak - baseline

    stored, peak_entries, current, peak = asyncio.run(fill())
    return {
        "inserted": stored,
        "bound": bound,
        "kept": len(cache),
        "max_kept": peak_entries,
        "cache_mib": round(current / 2**20, 1),
        "peak_mib": round(peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=8, help="load duration per measurement")
    parser.add_argument("--samples", type=int, default=30, help="cold-latency samples")
    parser.add_argument(
        "--only",
        choices=["ab", "c", "d", "e", "f", "g"],
        help="run one part (does not update .bench/latest.json)",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="rounds of (a)/(b) and runs of (c): the medians"
    )
    args = parser.parse_args()

    from diary_gateway_demo.personas import find_persona
    from gateway.dev_issuer import DEV_AUDIENCE, DevIssuer

    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key.json"
        issuer = DevIssuer.load_or_create(key, issuer="urn:diary-gateway:dev-sso")
        token = issuer.mint(find_persona("parent").subject, audience=DEV_AUDIENCE)
        report: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
            "load_tool": "wrk" if shutil.which("wrk") else "bundled asyncio client",
            "date": date.today().isoformat(),
        }
        if args.only in (None, "ab"):
            report.update(throughput(args.seconds, key, token, runs=args.runs))
        if args.only in (None, "c"):
            report["c"] = cold_latency(args.samples, key, token, runs=args.runs)
        if args.only in (None, "d"):
            report["d"] = memory_bound(10_000)
        if args.only in (None, "e"):
            report["e"] = hostile_lag(args.seconds, key)
        if args.only in (None, "f", "g"):
            from .live import delivery_lag, idle_memory  # (f), (g): live updates

            if args.only in (None, "f"):
                report["f"] = idle_memory(key, token)
            if args.only in (None, "g"):
                report["g"] = delivery_lag(key, token)
    if args.only is not None:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    out = ROOT / ".bench" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    a, b, c, d, e = report["a"], report["b"], report["c"], report["d"], report["e"]
    f, g, observed = report["f"], report["g"], report["a_observed"]
    print(
        f"machine: {report['machine']}; load: {report['load_tool']}; "
        f"query: {report['fields']} fields; medians of {report['runs']} rounds"
    )
    print(
        f"(a) response cache: gateway {a['gateway_rps']} rps vs plain Starlette "
        f"{a['starlette_rps']} rps → ratio {a['ratio']} (target ≥ {a['target']})"
    )
    print(
        f"    with /metrics and tracing: gateway {observed['gateway_rps']} rps → ratio "
        f"{observed['ratio']} (target ≥ {observed['target']}; "
        f"{observed['otlp_bytes_received']} bytes of spans exported)"
    )
    print(
        f"(b) entity cache:   gateway {b['gateway_rps']} rps vs plain Strawberry "
        f"{b['strawberry_rps']} rps → ratio {b['ratio']} (target ≥ {b['target']})"
    )
    print(
        f"(c) cold latency:   gateway {c['gateway_median_ms']} ms vs provider calls "
        f"{c['provider_median_ms']} ms at the median → adds {c['added_ms']} ms "
        f"(target ≤ {c['target_added_ms']} ms)"
    )
    print(
        f"(d) memory cache:   {d['inserted']} diaries cached through the adapter; at most "
        f"{d['max_kept']} entries kept (bound {d['bound']}); {d['cache_mib']} MiB held, "
        f"peak {d['peak_mib']} MiB"
    )
    print(
        f"(e) hostile lag:    /healthz {e['idle_median_ms']} ms idle, {e['loaded_median_ms']} ms "
        f"median and {e['loaded_max_ms']} ms max while {e['attacks_refused']} fan-out attacks "
        f"({e['attack_bytes']} bytes) were refused"
    )
    print(
        f"(f) idle subscriptions: {f['subscriptions']} open, "
        f"{f['bytes_per_subscription']} bytes each ({f['rss_mib_at_idle']} MiB resident)"
    )
    print(
        f"(g) delivery lag:   {g['subscribers']} subscribers of one student, p50 {g['p50_ms']} ms, "
        f"p99 {g['p99_ms']} ms ({g['delivered']}/{g['expected']} delivered)"
    )


if __name__ == "__main__":
    main()
