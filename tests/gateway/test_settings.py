"""Config files: a good one loads; a bad one names the key and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway import SettingsError, load_settings_file
from gateway.settings import check_complete, parse_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "gateway.example.toml"


def test_example_config_loads() -> None:
    settings = load_settings_file(EXAMPLE)
    assert set(settings.regions) >= {"74", "11", "77"}
    assert settings.regions["77"].adapter_config.base_url.startswith("http")
    assert settings.issuers
    assert settings.issuers[0].audience


@pytest.mark.parametrize(
    ("toml", "key", "expected"),
    [
        ("[server]\nport = 'eighty'\n", "server.port", "an integer"),
        ("[server]\nprot = 80\n", "server.prot", "known keys"),
        (
            "[regions.77]\nadapter = 'moscow'\nname = 'M'\ntimezone = 'Europe/Moscow'\n"
            "diary_url = 'https://x'\n",
            "regions.77.base_url",
            "required",
        ),
        (
            "[regions.77]\nadapter = 'nosuch'\nname = 'M'\ntimezone = 'Europe/Moscow'\n"
            "diary_url = 'https://x'\n",
            "regions.77.adapter",
            "unknown adapter",
        ),
        (
            "[regions.74]\nadapter = 'netcity'\nname = 'C'\ntimezone = 'Mars/Olympus'\n"
            "diary_url = 'https://x'\n",
            "regions.74.timezone",
            "IANA",
        ),
        ("[[issuers]]\nissuer = 'x'\naudience = 'y'\n", "issuers[0].jwks_url", "required"),
        ("[cache]\nurl = 'memcached://x'\n", "cache.url", "redis://"),
        ("[caches]\n", "caches", "one of the tables"),
        ("[cache]\nkey_prefix = 'dg prod'\n", "cache.key_prefix", "A-Z a-z 0-9 : _ -"),
        ("[cache]\nkey_prefix = 'dg*'\n", "cache.key_prefix", "A-Z a-z 0-9 : _ -"),
        ("[cache]\nkey_prefix = ''\n", "cache.key_prefix", "1 to 64"),
        ("[cache]\nkey_prefix = 7\n", "cache.key_prefix", "a string"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, key: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings_file(path)
    assert info.value.key == key
    assert expected in str(info.value)


def test_cache_key_prefix() -> None:
    settings = parse_settings({"cache": {"url": "redis://127.0.0.1:6379/0"}})
    assert settings.cache.key_prefix == "dg:"  # what the keys always began with
    settings = parse_settings({"cache": {"key_prefix": "school-42:diary_gw-"}})
    assert settings.cache.key_prefix == "school-42:diary_gw-"


# Issue 11, item 8: every key at every depth, every value, a config that can be served.

_REGION = {
    "adapter": "netcity",
    "name": "Челябинская область",
    "timezone": "Asia/Yekaterinburg",
    "diary_url": "https://sgo.edu-74.ru",
}
_ISSUER = {"issuer": "https://esia.test", "audience": "dg", "jwks_url": "https://esia.test/jwks"}


def _complete(**tables: Any) -> dict[str, Any]:
    return {"regions": {"74": dict(_REGION)}, "issuers": [dict(_ISSUER)], **tables}


@pytest.mark.parametrize(
    ("document", "key", "expected"),
    [
        (
            _complete(server={"rate_limit_person": "lots"}),
            "server.rate_limit_person",
            'a rate such as "120/minute"',
        ),
        (
            _complete(server={"rate_limit_address": "0/minute"}),
            "server.rate_limit_address",
            "a rate such as",
        ),
        (
            _complete(server={"cost_limit_person": "many"}),
            "server.cost_limit_person",
            'a rate such as "5000/minute"',
        ),
        (_complete(server={"port": 0}), "server.port", "a port from 1 to 65535"),
        (_complete(server={"max_range_days": 0}), "server.max_range_days", "positive"),
        (_complete(server={"max_body_bytes": 10}), "server.max_body_bytes", "at least 1024"),
        (
            _complete(server={"operation_budget_seconds": 0}),
            "server.operation_budget_seconds",
            "positive",
        ),
        (_complete(server={"session_ttl_seconds": 5}), "server.session_ttl_seconds", "at least 60"),
        (_complete(server={"cors_origins": ["localhost:5173"]}), "server.cors_origins[0]", "a URL"),
        (_complete(server={"dev_issuer": "yes"}), "server.dev_issuer", "true or false"),
        (
            _complete(issuers=[{**_ISSUER, "leeway_seconds": 900}]),
            "issuers[0].leeway_seconds",
            "0–300 seconds",
        ),
        (
            _complete(issuers=[{**_ISSUER, "leeway_seconds": -1}]),
            "issuers[0].leeway_seconds",
            "0–300 seconds",
        ),
        (
            _complete(issuers=[_ISSUER, {**_ISSUER, "audience": ""}]),
            "issuers[1].audience",
            "non-empty",
        ),
        (
            _complete(issuers=[{**_ISSUER, "jwks_url": "jwks.json"}]),
            "issuers[0].jwks_url",
            "a URL starting with http:// or https://",
        ),
        (_complete(issuers=[{**_ISSUER, "extra": 1}]), "issuers[0].extra", "known keys"),
        (_complete(issuers=["https://esia.test"]), "issuers[0]", "a table"),
        (
            _complete(cache={"ttl": {"diary": 60, "dairy": 5}}),
            "cache.ttl.dairy",
            "one of the resources",
        ),
        (_complete(cache={"ttl": {"diary": "1h"}}), "cache.ttl.diary", "an integer"),
        (_complete(cache={"ttl": {"diary": -1}}), "cache.ttl.diary", "0 or more"),
        (_complete(cache={"ttl": 60}), "cache.ttl", "a table"),
        (_complete(cache={"max_entries": 0}), "cache.max_entries", "positive"),
        (_complete(cache={"response_ttl": 0}), "cache.response_ttl", "positive"),
        (_complete(cache={"url": "redis://"}), "cache.url", "redis://"),
        (_complete(cache="memory://"), "cache", "a table"),
        (_complete(audit={"max_age_days": 0}), "audit.max_age_days", "positive"),
        (_complete(audit={"keep": True}), "audit.keep", "known keys"),
        (
            {"regions": {"74": {**_REGION, "diary_url": "sgo"}}, "issuers": [_ISSUER]},
            "regions.74.diary_url",
            "a URL",
        ),
        (
            {"regions": {"74": {**_REGION, "name": " "}}, "issuers": [_ISSUER]},
            "regions.74.name",
            "non-empty",
        ),
        (
            {"regions": {"74": {**_REGION, "shoe_size": 42}}, "issuers": [_ISSUER]},
            "regions.74.shoe_size",
            "known keys",
        ),
    ],
)
def test_every_bad_value_names_its_key(document: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings(document)
    assert info.value.key == key
    assert str(info.value).startswith(f"{key}: expected ")
    assert expected in str(info.value)


def test_a_served_config_needs_a_region_and_an_issuer() -> None:
    for document, key in (
        ({}, "regions"),
        ({"issuers": [_ISSUER]}, "regions"),
        ({"regions": {"74": _REGION}}, "issuers"),
    ):
        with pytest.raises(SettingsError) as info:
            check_complete(parse_settings(document))
        assert info.value.key == key
    check_complete(parse_settings(_complete()))
    # No issuer is fine only with the development issuer asked for by name.
    dev = parse_settings({"regions": {"74": _REGION}, "server": {"dev_issuer": True}})
    check_complete(dev)
    with pytest.raises(SettingsError, match="dev_issuer"):
        check_complete(parse_settings({"regions": {"74": _REGION}}))


def test_the_example_config_sets_no_unknown_ttl() -> None:
    from gateway.upstream import DEFAULT_TTLS

    settings = load_settings_file(EXAMPLE)
    assert set(settings.cache.ttl) <= set(DEFAULT_TTLS)


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[server\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="valid TOML"):
        load_settings_file(path)
