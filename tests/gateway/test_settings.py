"""Config files: a good one loads; a bad one names the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import SettingsError, load_settings_file

EXAMPLE = Path(__file__).resolve().parents[2] / "gateway.example.toml"


def test_example_config_loads() -> None:
    settings = load_settings_file(EXAMPLE)
    assert set(settings.regions) >= {"74", "11", "77"}
    assert settings.regions["77"].adapter_config.base_url.startswith("http")
    assert settings.issuers and settings.issuers[0].audience


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


def test_cache_key_prefix(tmp_path: Path) -> None:
    path = tmp_path / "cache.toml"
    path.write_text("[cache]\nurl = 'redis://127.0.0.1:6379/0'\n", encoding="utf-8")
    assert load_settings_file(path).cache.key_prefix == "dg:"  # what the keys always began with
    path.write_text("[cache]\nkey_prefix = 'school-42:diary_gw-'\n", encoding="utf-8")
    assert load_settings_file(path).cache.key_prefix == "school-42:diary_gw-"


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[server\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="valid TOML"):
        load_settings_file(path)
