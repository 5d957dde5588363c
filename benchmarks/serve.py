"""Serve one benchmark subject in its own process: ``python -m benchmarks.serve KIND …``.

Kinds: ``gateway`` (the demo gateway; ``--no-response-cache``, ``--moscow-url``),
``starlette`` (fixed bytes), ``strawberry`` (the unmodified schema), ``emulator`` (the
Moscow emulator with added latency).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["gateway", "starlette", "strawberry", "emulator"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", help="dev issuer key file")
    parser.add_argument("--no-response-cache", action="store_true")
    parser.add_argument("--moscow-url")
    parser.add_argument("--file", help="body (starlette) or data (strawberry) file")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--jwks")
    parser.add_argument("--otlp-endpoint", default="", help="trace to this OTLP/HTTP collector")
    parser.add_argument("--metrics", action="store_true", help="serve /metrics (open)")
    args = parser.parse_args()

    app: object
    if args.kind == "gateway":
        os.environ["DIARY_GATEWAY_DEV_KEY"] = args.key
        from diary_gateway_demo.demo import build_demo_app

        app = build_demo_app(
            port=args.port,
            moscow_url=args.moscow_url,
            response_cache=not args.no_response_cache,
            otlp_endpoint=args.otlp_endpoint,
            metrics="open" if args.metrics else "off",
        )
    elif args.kind == "starlette":
        from .baselines import plain_starlette_app

        app = plain_starlette_app(Path(args.file).read_bytes())
    elif args.kind == "strawberry":
        from .baselines import plain_strawberry_app

        app = plain_strawberry_app(json.loads(Path(args.file).read_text(encoding="utf-8")))
    else:
        from diary_gateway_demo.moscow import EmulatorFaults, create_emulator

        app = create_emulator(
            sso_jwks_url=args.jwks, faults=EmulatorFaults(latency_ms=args.latency_ms)
        )
    uvicorn.run(  # every subject on the same stack: uvicorn[standard]'s httptools and uvloop
        app,
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        loop="uvloop",
        log_level="error",
        access_log=False,
        lifespan="auto",
    )


if __name__ == "__main__":
    main()
