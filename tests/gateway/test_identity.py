"""Token verification against a real JWKS endpoint, with real signatures."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import stat
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.dev_issuer import DevIssuer
from gateway.identity import (
    AuthenticationFailed,
    Identity,
    IssuerConfig,
    TokenVerifier,
)
from tests.servers import serve_app

EC_ISSUER = "https://sso.dev.localhost"
RSA_ISSUER = "https://partner-sso.localhost"
AUDIENCE = "diary-gateway"
T0 = 1_750_000_000
#: Lets tests sign tokens with header parameters joserfc would refuse by default.
LENIENT_ES256 = JWSRegistry(algorithms=["ES256"], strict_check_header=False)


# --------------------------------------------------------------------------- JWKS server


@dataclass
class JWKSState:
    """What the JWKS server publishes, and how often it was asked (shared with its thread)."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    failing: set[str] = field(default_factory=set)
    delay: float = 0.0

    def reset(self) -> None:
        self.documents.clear()
        self.hits.clear()
        self.failing.clear()
        self.delay = 0.0


def make_jwks_app(state: JWKSState) -> Starlette:
    async def jwks(request: Request) -> Response:
        name = request.path_params["name"]
        state.hits[name] += 1
        if state.delay:
            await asyncio.sleep(state.delay)
        if name in state.failing:
            return Response("unavailable", status_code=503)
        document = state.documents.get(name)
        if document is None:
            return Response("not found", status_code=404)
        return JSONResponse(document)

    return Starlette(routes=[Route("/{name}/jwks.json", jwks)])


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[tuple[JWKSState, str]]:
    state = JWKSState()
    with serve_app(make_jwks_app(state)) as base_url:
        yield state, base_url


@pytest.fixture
def jwks(jwks_server: tuple[JWKSState, str]) -> Iterator[JWKSState]:
    state, _ = jwks_server
    state.reset()
    yield state
    state.reset()


@pytest.fixture
def base_url(jwks_server: tuple[JWKSState, str]) -> str:
    return jwks_server[1]


# --------------------------------------------------------------------------- keys and tokens


@pytest.fixture(scope="module")
def dev_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity") / ".dev-issuer" / "key.json"


@pytest.fixture(scope="module")
def dev_issuer(dev_key_path: Path) -> DevIssuer:
    return DevIssuer.load_or_create(dev_key_path, issuer=EC_ISSUER)


@pytest.fixture(scope="module")
def ec_key(dev_issuer: DevIssuer, dev_key_path: Path) -> ECKey:
    """The development issuer's private key, read back from its key file."""
    return ECKey.import_key(json.loads(dev_key_path.read_text()))


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, auto_kid=True)


def public_jwks(*keys: ECKey | RSAKey) -> dict[str, Any]:
    return {"keys": [dict(key.as_dict(private=False)) for key in keys]}


def sign(
    key: ECKey | RSAKey,
    claims: dict[str, Any],
    *,
    alg: str = "ES256",
    kid: str | None = None,
) -> str:
    header = {"alg": alg, "kid": kid if kid is not None else key.kid}
    return jwt.encode(header, claims, key, algorithms=[alg])


def standard_claims(issuer: str = EC_ISSUER, **overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "person-42",
        "aud": AUDIENCE,
        "iat": T0,
        "nbf": T0,
        "exp": T0 + 3600,
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def handmade(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWS assembled without a JOSE library (for tokens no library should make)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(signature)}"


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --------------------------------------------------------------------------- verifier


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2.0) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


MakeVerifier = Callable[..., TokenVerifier]


@pytest.fixture
def make_verifier(
    http: httpx.AsyncClient,
    clock: FakeClock,
    base_url: str,
    jwks: JWKSState,
    dev_issuer: DevIssuer,
    rsa_key: RSAKey,
) -> MakeVerifier:
    """Both issuers configured and published; keyword arguments tweak the EC issuer."""
    jwks.documents["ec"] = dev_issuer.jwks()
    jwks.documents["rsa"] = public_jwks(rsa_key)

    def make(
        *,
        leeway_seconds: int = 30,
        ec_algorithms: tuple[str, ...] = ("RS256", "ES256"),
        ec_jwks_url: str | None = None,
        refetch_interval: float = 30.0,
    ) -> TokenVerifier:
        issuers = [
            IssuerConfig(
                issuer=EC_ISSUER,
                audience=AUDIENCE,
                jwks_url=ec_jwks_url or f"{base_url}/ec/jwks.json",
                algorithms=ec_algorithms,
                leeway_seconds=leeway_seconds,
            ),
            IssuerConfig(
                issuer=RSA_ISSUER,
                audience=AUDIENCE,
                jwks_url=f"{base_url}/rsa/jwks.json",
            ),
        ]
        return TokenVerifier(issuers, http, refetch_interval=refetch_interval, clock=clock)

    return make


async def rejection(verifier: TokenVerifier, token: str) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        await verifier.verify(token)
    return caught.value


# --------------------------------------------------------------------------- accepted tokens


async def test_dev_issuer_es256_token_is_accepted(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState
) -> None:
    verifier = make_verifier()
    token = dev_issuer.mint("person-1", now=T0, ttl_seconds=600, extra_claims={"acr": "high"})

    identity = await verifier.verify(token)

    assert identity.person_id == "person-1"
    assert identity.issuer == EC_ISSUER
    assert identity.token == token
    assert identity.expires_at == T0 + 600
    assert identity.claims["acr"] == "high"
    assert identity.claims["aud"] == AUDIENCE
    assert isinstance(identity.claims["jti"], str)
    assert len(identity.claims["jti"]) >= 16
    assert token not in repr(identity)
    assert jwks.hits == Counter({"ec": 1})

    # The key set is cached: a second token does not fetch again.
    await verifier.verify(dev_issuer.mint("person-2", now=T0))
    assert jwks.hits == Counter({"ec": 1})


async def test_rs256_token_of_a_second_issuer_is_accepted(
    make_verifier: MakeVerifier, rsa_key: RSAKey, jwks: JWKSState
) -> None:
    verifier = make_verifier()
    token = sign(rsa_key, standard_claims(RSA_ISSUER, sub="rsa-person"), alg="RS256")

    identity = await verifier.verify(token)

    assert (identity.person_id, identity.issuer) == ("rsa-person", RSA_ISSUER)
    assert identity.expires_at == T0 + 3600
    assert jwks.hits == Counter({"rsa": 1})


async def test_audience_may_be_a_list(make_verifier: MakeVerifier, ec_key: ECKey) -> None:
    token = sign(ec_key, standard_claims(aud=["another-service", AUDIENCE]))
    assert (await make_verifier().verify(token)).person_id == "person-42"


# --------------------------------------------------------------------------- time claims


async def test_expired_token_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint("p", now=T0 - 3600 - 31, ttl_seconds=3600)  # expired 31 s ago
    assert (await rejection(make_verifier(), token)).reason == "expired"


async def test_recently_expired_token_is_accepted_within_leeway(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint("p", now=T0 - 3600 - 10, ttl_seconds=3600)  # expired 10 s ago
    assert (await make_verifier(leeway_seconds=30).verify(token)).person_id == "p"
    assert (await rejection(make_verifier(leeway_seconds=0), token)).reason == "expired"


async def test_token_from_the_future_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    verifier = make_verifier(leeway_seconds=30)
    assert (await verifier.verify(dev_issuer.mint("p", now=T0 + 20))).person_id == "p"
    assert (await rejection(verifier, dev_issuer.mint("p", now=T0 + 60))).reason == "not_yet_valid"


async def test_exp_is_required(make_verifier: MakeVerifier, ec_key: ECKey) -> None:
    token = sign(ec_key, standard_claims(exp=None))
    assert (await rejection(make_verifier(), token)).reason == "missing_claim"


async def test_non_numeric_exp_is_rejected(make_verifier: MakeVerifier, ec_key: ECKey) -> None:
    token = sign(ec_key, standard_claims(exp=str(T0 + 3600)))
    assert (await rejection(make_verifier(), token)).reason == "invalid_claim"


# --------------------------------------------------------------------------- audience, issuer, sub


@pytest.mark.parametrize("audience", ["someone-else", ["someone-else"], None, 42])
async def test_wrong_audience_is_rejected(
    make_verifier: MakeVerifier, ec_key: ECKey, audience: Any
) -> None:
    token = sign(ec_key, standard_claims(aud=audience))
    assert (await rejection(make_verifier(), token)).reason == "bad_audience"


async def test_minted_token_for_another_audience_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    token = dev_issuer.mint("p", audience="other-app", now=T0)
    assert (await rejection(make_verifier(), token)).reason == "bad_audience"


@pytest.mark.parametrize("issuer", ["https://evil.localhost", None])
async def test_unknown_issuer_is_rejected_without_fetching(
    make_verifier: MakeVerifier, ec_key: ECKey, jwks: JWKSState, issuer: str | None
) -> None:
    token = sign(ec_key, standard_claims(iss=issuer))
    assert (await rejection(make_verifier(), token)).reason == "unknown_issuer"
    assert sum(jwks.hits.values()) == 0


async def test_token_of_one_issuer_signed_with_the_other_issuers_key(
    make_verifier: MakeVerifier, rsa_key: RSAKey
) -> None:
    # Claims to come from the EC issuer, but is signed with the RSA issuer's key.
    token = sign(rsa_key, standard_claims(EC_ISSUER), alg="RS256")
    assert (await rejection(make_verifier(), token)).reason == "unknown_key"


async def test_missing_sub_is_rejected(make_verifier: MakeVerifier, ec_key: ECKey) -> None:
    token = sign(ec_key, standard_claims(sub=None))
    assert (await rejection(make_verifier(), token)).reason == "missing_claim"


@pytest.mark.parametrize("subject", ["", 42, ["person-42"]])
async def test_invalid_sub_is_rejected(
    make_verifier: MakeVerifier, ec_key: ECKey, subject: Any
) -> None:
    token = sign(ec_key, standard_claims(sub=subject))
    assert (await rejection(make_verifier(), token)).reason == "invalid_claim"


# --------------------------------------------------------------------------- signatures, algorithms


def _flip(segment: str, index: int) -> str:
    replacement = "A" if segment[index] != "A" else "B"
    return segment[:index] + replacement + segment[index + 1 :]


async def test_tampered_signature_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    header, payload, signature = dev_issuer.mint("p", now=T0).split(".")
    token = f"{header}.{payload}.{_flip(signature, len(signature) // 2)}"
    assert (await rejection(make_verifier(), token)).reason == "bad_signature"


async def test_tampered_payload_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    header, _, signature = dev_issuer.mint("victim", now=T0).split(".")
    forged_payload = b64url(json.dumps(standard_claims(sub="attacker")).encode())
    token = f"{header}.{forged_payload}.{signature}"
    assert (await rejection(make_verifier(), token)).reason == "bad_signature"


async def test_signature_by_an_impostor_key_with_a_known_kid_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer
) -> None:
    impostor = ECKey.generate_key("P-256")
    token = sign(impostor, standard_claims(), kid=dev_issuer.kid)
    assert (await rejection(make_verifier(), token)).reason == "bad_signature"


async def test_alg_none_is_rejected_before_any_key_lookup(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState
) -> None:
    for alg in ("none", "None", "NONE"):
        token = handmade({"alg": alg, "typ": "JWT"}, standard_claims())
        assert (await rejection(make_verifier(), token)).reason == "algorithm"
    assert sum(jwks.hits.values()) == 0


async def test_hs256_signed_with_the_public_key_is_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState
) -> None:
    # The classic key-confusion attack: HMAC keyed with the issuer's published key.
    header = {"alg": "HS256", "kid": dev_issuer.kid, "typ": "JWT"}
    unsigned = handmade(header, standard_claims()).rsplit(".", 1)[0]
    secret = json.dumps(dev_issuer.jwks()["keys"][0]).encode()
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    token = f"{unsigned}.{b64url(mac)}"
    assert (await rejection(make_verifier(), token)).reason == "algorithm"
    assert sum(jwks.hits.values()) == 0


@pytest.mark.parametrize("alg", ["HS512", "PS256", "ES384", "RS512", "EdDSA", "", None, 256])
async def test_other_algorithms_are_rejected(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState, alg: Any
) -> None:
    token = handmade({"alg": alg, "kid": dev_issuer.kid}, standard_claims(), b"x" * 64)
    assert (await rejection(make_verifier(), token)).reason == "algorithm"
    assert sum(jwks.hits.values()) == 0


async def test_issuer_can_narrow_the_algorithms(
    make_verifier: MakeVerifier, rsa_key: RSAKey, jwks: JWKSState
) -> None:
    jwks.documents["ec"] = public_jwks(rsa_key)  # the EC issuer now publishes an RSA key
    token = sign(rsa_key, standard_claims(EC_ISSUER), alg="RS256")
    assert (await make_verifier().verify(token)).issuer == EC_ISSUER
    restricted = make_verifier(ec_algorithms=("ES256",))
    assert (await rejection(restricted, token)).reason == "algorithm"


async def test_keys_named_by_the_token_itself_are_ignored(
    make_verifier: MakeVerifier, jwks: JWKSState, base_url: str
) -> None:
    attacker = ECKey.generate_key("P-256", auto_kid=True)
    jwks.documents["attacker"] = public_jwks(attacker)
    header = {
        "alg": "ES256",
        "kid": attacker.kid,
        "jku": f"{base_url}/attacker/jwks.json",
        "jwk": dict(attacker.as_dict(private=False)),
    }
    token = jwt.encode(header, standard_claims(), attacker, registry=LENIENT_ES256)
    assert (await rejection(make_verifier(), token)).reason == "unknown_key"
    assert jwks.hits["attacker"] == 0


async def test_unknown_header_parameters_are_ignored_unless_critical(
    make_verifier: MakeVerifier, ec_key: ECKey
) -> None:
    verifier = make_verifier()
    header = {"alg": "ES256", "kid": ec_key.kid, "x-trace": "abc"}
    token = jwt.encode(header, standard_claims(), ec_key, registry=LENIENT_ES256)
    assert (await verifier.verify(token)).person_id == "person-42"

    critical = {**header, "crit": ["x-trace"]}
    token = handmade(critical, standard_claims(), b"x" * 64)
    assert (await rejection(verifier, token)).reason == "malformed"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.e30.sig",
        "..",
        "e30..c2ln",  # empty payload
        f"{b64url(b'[1]')}.{b64url(b'{}')}.c2ln",  # header is not an object
        f"{b64url(b'{}')}.{b64url(b'not json')}.c2ln",
        "ey Jh.ey Jh.c2ln",
        "ЖЖЖ.ЖЖЖ.ЖЖЖ",
    ],
)
async def test_malformed_tokens_are_rejected(
    make_verifier: MakeVerifier, jwks: JWKSState, token: str
) -> None:
    assert (await rejection(make_verifier(), token)).reason == "malformed"
    assert sum(jwks.hits.values()) == 0


async def test_oversized_token_is_rejected_as_malformed(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState
) -> None:
    verifier = make_verifier()
    small = dev_issuer.mint("p", now=T0, extra_claims={"pad": "x" * 5000})
    assert len(small) < 8 * 1024
    assert (await verifier.verify(small)).person_id == "p"
    big = dev_issuer.mint("p", now=T0, extra_claims={"pad": "x" * 7000})
    assert len(big) > 8 * 1024
    assert (await rejection(verifier, big)).reason == "malformed"
    assert jwks.hits == Counter({"ec": 1})  # only for the small token


# --------------------------------------------------------------------------- key rotation


async def test_unknown_kid_refetches_once_and_accepts_rotated_key(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState, clock: FakeClock
) -> None:
    verifier = make_verifier()
    await verifier.verify(dev_issuer.mint("p", now=T0))
    assert jwks.hits["ec"] == 1

    clock.advance(60)
    rotated = ECKey.generate_key("P-256", auto_kid=True)
    jwks.documents["ec"] = public_jwks(rotated)  # the old key is withdrawn
    identity = await verifier.verify(sign(rotated, standard_claims(iat=int(clock.now))))

    assert identity.person_id == "person-42"
    assert jwks.hits["ec"] == 2
    # The withdrawn key's tokens now fail, without another fetch inside the interval.
    old = await rejection(verifier, dev_issuer.mint("p", now=int(clock.now)))
    assert old.reason == "unknown_key"
    assert jwks.hits["ec"] == 2


async def test_unknown_kids_within_the_refetch_interval_do_not_refetch(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState, clock: FakeClock
) -> None:
    verifier = make_verifier(refetch_interval=30)
    await verifier.verify(dev_issuer.mint("p", now=T0))
    assert jwks.hits["ec"] == 1

    strangers = [ECKey.generate_key("P-256", auto_kid=True) for _ in range(3)]
    for stranger in strangers:
        failure = await rejection(verifier, sign(stranger, standard_claims()))
        assert failure.reason == "unknown_key"
        clock.advance(5)
    assert jwks.hits["ec"] == 1  # 15 s after the first fetch: throttled

    clock.advance(20)  # 35 s after the first fetch
    assert (
        await rejection(verifier, sign(strangers[0], standard_claims()))
    ).reason == "unknown_key"
    assert jwks.hits["ec"] == 2
    assert (
        await rejection(verifier, sign(strangers[1], standard_claims()))
    ).reason == "unknown_key"
    assert jwks.hits["ec"] == 2


async def test_right_after_the_first_fetch_a_new_kid_waits_for_the_interval(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState, clock: FakeClock
) -> None:
    verifier = make_verifier(refetch_interval=30)
    await verifier.verify(dev_issuer.mint("p", now=T0))
    rotated = ECKey.generate_key("P-256", auto_kid=True)
    jwks.documents["ec"] = public_jwks(rotated)
    token = sign(rotated, standard_claims())

    assert (await rejection(verifier, token)).reason == "unknown_key"
    assert jwks.hits["ec"] == 1
    clock.advance(30)
    assert (await verifier.verify(token)).person_id == "person-42"
    assert jwks.hits["ec"] == 2


async def test_concurrent_verifications_with_a_cold_cache_share_one_fetch(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, rsa_key: RSAKey, jwks: JWKSState
) -> None:
    jwks.delay = 0.05  # keep the first fetch in flight while the others arrive
    verifier = make_verifier()
    ec_tokens = [dev_issuer.mint(f"person-{i}", now=T0) for i in range(20)]
    rsa_tokens = [
        sign(rsa_key, standard_claims(RSA_ISSUER, sub=f"rsa-{i}"), alg="RS256") for i in range(5)
    ]

    identities = await asyncio.gather(*(verifier.verify(t) for t in ec_tokens + rsa_tokens))

    assert [i.person_id for i in identities] == [f"person-{i}" for i in range(20)] + [
        f"rsa-{i}" for i in range(5)
    ]
    assert jwks.hits == Counter({"ec": 1, "rsa": 1})


# --------------------------------------------------------------------------- JWKS failures


async def test_jwks_server_down_means_jwks_unavailable(
    http: httpx.AsyncClient,
    dev_issuer: DevIssuer,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with serve_app(Starlette()) as gone_url:
        pass  # the server is stopped again: nothing listens on that port any more
    config = IssuerConfig(EC_ISSUER, AUDIENCE, f"{gone_url}/ec/jwks.json")
    verifier = TokenVerifier([config], http, clock=clock)
    token = dev_issuer.mint("p", now=T0)

    with caplog.at_level(logging.DEBUG, logger="gateway.identity"):
        failure = await rejection(verifier, token)

    assert failure.reason == "jwks_unavailable"
    assert isinstance(failure.__cause__, httpx.ConnectError)
    assert "JWKS fetch failed" in caplog.text
    assert token not in caplog.text


async def test_failing_jwks_is_retried_only_after_the_interval(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState, clock: FakeClock
) -> None:
    jwks.failing.add("ec")
    verifier = make_verifier(refetch_interval=30)
    token = dev_issuer.mint("p", now=T0)

    assert (await rejection(verifier, token)).reason == "jwks_unavailable"
    assert (await rejection(verifier, token)).reason == "jwks_unavailable"
    assert jwks.hits["ec"] == 1

    jwks.failing.clear()
    clock.advance(31)
    assert (await verifier.verify(token)).person_id == "p"
    assert jwks.hits["ec"] == 2


@pytest.mark.parametrize("document", [{"keys": "nope"}, ["not", "an", "object"], {"no_keys": []}])
async def test_invalid_jwks_document_means_jwks_unavailable(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState, document: Any
) -> None:
    jwks.documents["ec"] = document
    failure = await rejection(make_verifier(), dev_issuer.mint("p", now=T0))
    assert failure.reason == "jwks_unavailable"


async def test_unusable_keys_in_the_jwks_are_skipped(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, jwks: JWKSState
) -> None:
    jwks.documents["ec"] = {
        "keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": dev_issuer.kid},
            {"kty": "EC", "crv": "P-256", "x": "broken", "y": "broken", "kid": "bad"},
            {"kty": "PQC", "kid": "future"},
            "not a key",
            *dev_issuer.jwks()["keys"],
        ]
    }
    assert (await make_verifier().verify(dev_issuer.mint("p", now=T0))).person_id == "p"


# --------------------------------------------------------------------------- secrecy


async def test_error_messages_never_contain_the_token(
    make_verifier: MakeVerifier, dev_issuer: DevIssuer, ec_key: ECKey
) -> None:
    key = ec_key
    tokens = {
        "expired": dev_issuer.mint("p", now=T0 - 86_400),
        "bad_audience": dev_issuer.mint("p", audience="x", now=T0),
        "bad_signature": _tamper(dev_issuer.mint("p", now=T0)),
        "unknown_issuer": sign(key, standard_claims(iss="https://evil.localhost")),
        "missing_claim": sign(key, standard_claims(sub=None)),
        "algorithm": handmade({"alg": "none"}, standard_claims()),
        "malformed": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwIn0x.c2ln",
    }
    verifier = make_verifier()
    for reason, token in tokens.items():
        failure = await rejection(verifier, token)
        assert failure.reason == reason
        rendered = [str(failure), repr(failure), *map(str, failure.args), failure.message]
        cause = failure.__cause__ or failure.__context__
        while cause is not None:
            rendered.append(str(cause))
            cause = cause.__cause__ or cause.__context__
        for text in rendered:
            assert token not in text
            assert token.rsplit(".", 1)[0] not in text


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{_flip(signature, 10)}"


# --------------------------------------------------------------------------- DevIssuer


def test_dev_issuer_key_file_is_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "project" / ".dev-issuer" / "key.json"

    first = DevIssuer.load_or_create(path, issuer=EC_ISSUER)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["kty"] == "EC"
    assert stored["crv"] == "P-256"
    assert "d" in stored
    assert list(path.parent.iterdir()) == [path]  # no temporary files left behind

    second = DevIssuer.load_or_create(path, issuer=EC_ISSUER)
    assert second.kid == first.kid
    assert second.issuer == EC_ISSUER
    assert path.read_text() == json.dumps(stored, indent=2, sort_keys=True) + "\n"

    other = DevIssuer.load_or_create(tmp_path / "elsewhere.json", issuer=EC_ISSUER)
    assert other.kid != first.kid


def test_dev_issuer_kid_is_the_rfc7638_thumbprint(dev_issuer: DevIssuer) -> None:
    (public,) = dev_issuer.jwks()["keys"]
    canonical = json.dumps(
        {name: public[name] for name in ("crv", "kty", "x", "y")},
        separators=(",", ":"),
        sort_keys=True,
    )
    assert dev_issuer.kid == b64url(hashlib.sha256(canonical.encode()).digest())
    assert public["kid"] == dev_issuer.kid
    assert (public["alg"], public["use"]) == ("ES256", "sig")
    assert "d" not in public


def test_dev_issuer_mint_sets_the_registered_claims(dev_issuer: DevIssuer) -> None:
    token = dev_issuer.mint("p", now=T0, ttl_seconds=60, audience="aud-x")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert header["alg"] == "ES256"
    assert header["kid"] == dev_issuer.kid
    assert claims["iss"] == EC_ISSUER
    assert claims["sub"] == "p"
    assert claims["aud"] == "aud-x"
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (T0, T0, T0 + 60)
    other = json.loads(base64.urlsafe_b64decode(dev_issuer.mint("p").split(".")[1] + "=="))
    assert other["jti"] != claims["jti"]


def test_dev_issuer_refuses_to_override_registered_claims(dev_issuer: DevIssuer) -> None:
    with pytest.raises(ValueError, match="sub"):
        dev_issuer.mint("p", extra_claims={"sub": "someone-else"})


def test_dev_issuer_rejects_a_key_file_that_is_not_a_private_ec_key(
    tmp_path: Path, rsa_key: RSAKey
) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(rsa_key.as_dict(private=True)))
    with pytest.raises(ValueError, match="EC P-256"):
        DevIssuer.load_or_create(path, issuer=EC_ISSUER)
    path.write_text(json.dumps(dict(ECKey.generate_key("P-256").as_dict(private=False))))
    with pytest.raises(ValueError, match="EC P-256"):
        DevIssuer.load_or_create(path, issuer=EC_ISSUER)


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "overrides",
    [{"algorithms": ("HS256",)}, {"algorithms": ()}, {"leeway_seconds": 3600}, {"issuer": ""}],
)
def test_issuer_config_rejects_unsafe_settings(overrides: dict[str, Any]) -> None:
    settings: dict[str, Any] = {"issuer": EC_ISSUER, "audience": AUDIENCE, "jwks_url": "x"}
    with pytest.raises(ValueError, match="must be"):
        IssuerConfig(**(settings | overrides))


async def test_duplicate_issuers_are_refused(http: httpx.AsyncClient) -> None:
    config = IssuerConfig(EC_ISSUER, AUDIENCE, "http://127.0.0.1:9/jwks.json")
    with pytest.raises(ValueError, match="twice"):
        TokenVerifier([config, config], http)


def test_identity_repr_hides_the_token() -> None:
    identity = Identity("p", EC_ISSUER, "secret.token.value", T0, {"sub": "p"})
    assert "secret.token.value" not in repr(identity)
