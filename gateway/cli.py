"""The ``diary-gateway`` command (also ``python -m gateway``)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path

__all__ = ["DEMO_DISTRIBUTION", "main"]

DEMO_DISTRIBUTION = "diary-gateway-demo"
"""The simulators' distribution (``emulators/``: import package ``diary_gateway_demo``): the
emulators, the seed world and the demo personas. Only ``demo``, ``emulate``, ``personas`` and
``token --persona`` import it, when they run."""


def _without_demo(exc: ModuleNotFoundError, command: str) -> int:
    """Exit 2 with how to install the simulators when ``exc`` says they are absent."""
    if exc.name is None or exc.name.split(".")[0] != "diary_gateway_demo":
        raise exc
    print(
        f"diary-gateway {command}: the simulators are not installed: install the "
        f"{DEMO_DISTRIBUTION} distribution (`pip install ./emulators` in a checkout, "
        "or scripts/bootstrap)",
        file=sys.stderr,
    )
    return 2


def _demo(args: argparse.Namespace) -> int:
    import uvicorn

    from adapters import SYSTEM_CLOCK, Clock

    from .dev_issuer import load_dev_issuer
    from .logs import AccessLogMiddleware, configure_json_logging
    from .proxies import uvicorn_proxy_options

    try:
        from diary_gateway_demo.demo import EXAMPLE_QUERY, build_demo_app, example_week
        from diary_gateway_demo.personas import PERSONAS, find_persona
    except ModuleNotFoundError as exc:
        return _without_demo(exc, "demo")

    clock = Clock.shifted(args.now) if args.now is not None else SYSTEM_CLOCK
    app = build_demo_app(
        host=args.host,
        port=args.port,
        cache_url=args.cache_url,
        clock=clock,
        cors_origins=args.cors_origin,
        otlp_endpoint=args.otlp_endpoint,
    )
    issuer = load_dev_issuer()
    url = f"http://{args.host}:{args.port}/graphql"
    monday, sunday, note = example_week(clock)
    home = url.removesuffix("graphql")
    print(f"diary-gateway demo: {home} (GraphiQL at {url}, a parent's week at {home}example/)\n")
    if args.now is not None:
        print(f"The demo's clock starts at {clock.now().isoformat(timespec='seconds')}.\n")
    print("Personas (send as  Authorization: Bearer <token>):")
    for persona in PERSONAS:
        print(f"  {persona.name:28} {persona.description}")
        print(f"    {issuer.mint(persona.subject)}")
    if note is not None:
        print(f"\nNo lessons this week ({note}).")
    print(f'\nExample query (variables: {{"from": "{monday}", "to": "{sunday}"}}):')
    print(EXAMPLE_QUERY)
    parent = issuer.mint(find_persona("parent").subject)
    # the token inline: the line works pasted anywhere (no PATH, no working directory)
    print(
        f"\nOr: curl -s {url} -H 'Content-Type: application/json' "
        f"-H 'Authorization: Bearer {parent}' "
        '-d \'{"query": "{ me { children { fullName } } }"}\'\n',
        flush=True,
    )
    configure_json_logging(logging.WARNING)  # JSON lines; the demo's access log stays quiet
    # The demo trusts no proxy: uvicorn must not believe X-Forwarded-For from loopback.
    uvicorn.run(
        AccessLogMiddleware(app),
        host=args.host,
        port=args.port,
        log_level="warning",
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        **uvicorn_proxy_options(()),
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Exit 2 for a bad config (``key: expected …``), 1 when a required service is down."""
    import uvicorn

    from .app import create_app, with_dev_issuer
    from .infrastructure import StartupError, check_redis
    from .logs import AccessLogMiddleware, configure_json_logging
    from .proxies import uvicorn_proxy_options
    from .settings import SettingsError, load_settings_file

    try:
        settings = load_settings_file(Path(args.config))
        settings, issuer = with_dev_issuer(settings)
    except SettingsError as exc:
        print(f"diary-gateway: bad config: {exc}", file=sys.stderr)
        return 2
    try:
        check_redis(settings.cache.url)
        app = create_app(settings, dev_issuer=issuer)
    except SettingsError as exc:
        print(f"diary-gateway: bad config: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"diary-gateway: cannot start: {exc}", file=sys.stderr)
        return 1
    configure_json_logging(logging.INFO)  # JSON lines with request and trace ids
    if issuer is not None:
        logging.getLogger("gateway").warning(
            "the development SSO issuer is on ([server] dev_issuer): never in production"
        )
    uvicorn.run(
        AccessLogMiddleware(app),  # one gateway.access line per request, no query strings
        host=settings.server.host,
        port=settings.server.port,
        log_level="info",
        log_config=None,
        access_log=False,
        ws="websockets-sansio",  # subscriptions (graphql-transport-ws) on /graphql
        ws_per_message_deflate=False,  # zlib state: ~50 KB a connection, for small events
        **uvicorn_proxy_options(settings.server.trusted_proxies),
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    """A development-issuer token: for a demo persona, or (``--subject``) any national id;
    with ``--config``, signed by that config's ``[server] dev_issuer`` key for its gateway."""
    from .dev_issuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer, load_dev_issuer

    if args.subject is not None:
        subject = args.subject
    else:
        try:
            from diary_gateway_demo.personas import find_persona
        except ModuleNotFoundError as exc:
            return _without_demo(exc, "token --persona")
        try:
            subject = find_persona(args.persona).subject
        except KeyError as exc:
            print(f"diary-gateway: {exc.args[0]}", file=sys.stderr)
            return 2
    if args.config is None:
        issuer = load_dev_issuer(Path(args.key_file) if args.key_file else None)
        print(issuer.mint(subject, audience=DEV_AUDIENCE, ttl_seconds=args.ttl))
        return 0
    from .settings import SettingsError, load_settings_file

    try:
        settings = load_settings_file(Path(args.config))
    except SettingsError as exc:
        print(f"diary-gateway: bad config: {exc}", file=sys.stderr)
        return 2
    if not settings.server.dev_issuer:
        print(
            f"diary-gateway: {args.config} has no development issuer "
            "(set [server] dev_issuer = true; never in production)",
            file=sys.stderr,
        )
        return 2
    key = Path(args.key_file or settings.server.dev_issuer_key_file)
    if not key.is_file():
        print(
            f"diary-gateway: no dev issuer key at {key} yet: start `serve --config "
            f"{args.config}` once (it creates the key), or pass --key-file",
            file=sys.stderr,
        )
        return 2
    issuer = DevIssuer.load_or_create(key, issuer=DEV_ISSUER)
    print(issuer.mint(subject, audience=DEV_AUDIENCE, ttl_seconds=args.ttl))
    return 0


def _personas(args: argparse.Namespace) -> int:
    try:
        from diary_gateway_demo.personas import PERSONAS
    except ModuleNotFoundError as exc:
        return _without_demo(exc, "personas")

    for persona in PERSONAS:
        print(f"{persona.name}\t{persona.description}")
    return 0


def _emulate(args: argparse.Namespace) -> int:
    """Serve one provider's emulator (the same options for every emulator)."""
    import importlib

    import uvicorn

    try:
        from diary_gateway_demo.emulation import EmulatorFaults

        module = importlib.import_module(f"diary_gateway_demo.{args.provider}")
    except ModuleNotFoundError as exc:
        return _without_demo(exc, f"emulate {args.provider}")
    options: dict[str, object] = {
        "sso_jwks_url": args.sso_jwks,
        "faults": EmulatorFaults(
            latency_ms=args.latency_ms, error_rate=args.error_rate, messy=args.messy
        ),
    }
    if args.token_ttl_calls is not None:
        if args.provider == "eljur":
            print("diary-gateway: --token-ttl-calls: not for eljur", file=sys.stderr)
            return 2
        options["token_ttl_calls"] = args.token_ttl_calls
    uvicorn.run(module.create_emulator(**options), host=args.host, port=args.port)
    return 0


def _schema(args: argparse.Namespace) -> int:
    """Print the SDL; ``--check``: the schema-change check; ``--release``: cut a release."""
    if args.check or args.release:
        from .schema_check import ChangelogError, check_files, cut_release

        try:
            if args.release:
                result = cut_release(args.release)
            else:
                result = check_files()
        except ChangelogError as exc:
            print(f"diary-gateway: {exc}", file=sys.stderr)
            return 2
        print(result.report())
        if result.ok and args.release:
            print(
                f"released {args.release}: schema/released.graphql is the current SDL, "
                "CHANGELOG.md has a new empty '## Unreleased' section"
            )
        return 0 if result.ok else 1

    from schema import build_schema

    print(build_schema().as_str())
    return 0


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 instant such as 2026-11-29T23:55+05:00, got {text!r}"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (e.g. +05:00 or Z)")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="diary-gateway", description="One GraphQL API over regional school diaries."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="serve the demo (mock regions, Moscow emulator, dev SSO)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument(
        "--cache-url",
        default="memory://",
        help="memory:// (default) or redis://host:port/db to share caches between instances",
    )
    demo.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to call the demo, e.g. http://localhost:5173 (repeatable)",
    )
    demo.add_argument(
        "--otlp-endpoint",
        default="",
        metavar="URL",
        help="send traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 "
        "([telemetry] otlp_endpoint; default: no tracing)",
    )
    demo.add_argument(
        "--now",
        type=_instant,
        default=None,
        help="start the demo's clock at this instant (ISO 8601 with offset, e.g. "
        "2026-11-29T23:55+05:00); it runs on from there",
    )
    demo.set_defaults(func=_demo)

    serve = sub.add_parser("serve", help="serve from a TOML config")
    serve.add_argument("--config", required=True, help="path to the TOML config")
    serve.set_defaults(func=_serve)

    token = sub.add_parser(
        "token", help="print a development-issuer token (a demo persona, or any subject)"
    )
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--persona", help="a demo persona (see `diary-gateway personas`)")
    who.add_argument("--subject", help="any national id (SSO subject) a region knows")
    token.add_argument(
        "--config", help="a `serve` config with [server] dev_issuer: sign with its key"
    )
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    token.add_argument("--key-file", help="the dev issuer's key file")
    token.set_defaults(func=_token)

    personas = sub.add_parser("personas", help="list the demo personas")
    personas.set_defaults(func=_personas)

    emulate = sub.add_parser("emulate", help="run a provider emulator")
    emulate.add_argument("provider", choices=["moscow", "eljur", "netcity"])
    emulate.add_argument("--host", default="127.0.0.1")
    emulate.add_argument("--port", type=int, default=8081)
    emulate.add_argument("--latency-ms", type=int, default=0)
    emulate.add_argument("--error-rate", type=float, default=0.0)
    emulate.add_argument("--token-ttl-calls", type=int, default=None)
    emulate.add_argument("--sso-jwks", default=None, help="JWKS URL of the trusted SSO issuer")
    emulate.add_argument(
        "--messy",
        action="store_true",
        help="start in messy mode (unknown fields, duplicates, unmatched ids, a feed that "
        'ignores its filter); switch at run time with POST /__admin/faults {"messy": ...}',
    )
    emulate.set_defaults(func=_emulate)

    schema = sub.add_parser("schema", help="print the GraphQL SDL (or check/release it)")
    action = schema.add_mutually_exclusive_group()
    action.add_argument(
        "--check",
        action="store_true",
        help="compare schema/released.graphql with the current schema; exit 1 on a breaking "
        "change the '## Unreleased' section of CHANGELOG.md does not announce",
    )
    action.add_argument(
        "--release",
        metavar="VERSION",
        help="cut a release (run from a checkout): after a passing check, rename "
        "'## Unreleased' to '## VERSION — date' and make the current SDL the released one",
    )
    schema.set_defaults(func=_schema)

    from .conformance import add_parser as add_conformance

    add_conformance(sub)
    from .capability_matrix import add_parser as add_capabilities
    from .scaffold import add_parser as add_new_adapter

    add_new_adapter(sub)
    add_capabilities(sub)
    from .database.command import add_parser as add_migrate

    add_migrate(sub)
    from .receipts import add_parser as add_rotate

    add_rotate(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
