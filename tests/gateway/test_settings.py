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
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, key: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings_file(path)
    assert info.value.key == key
    assert expected in str(info.value)


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[server\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="valid TOML"):
        load_settings_file(path)
