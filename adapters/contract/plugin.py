"""The contract suite as a pytest plugin: entry point ``diary_gateway_contract`` (``pytest11``).

Installed with the gateway, loaded by every pytest run in that environment, and inert until a
project opts in: without the opt-in it only declares its options and markers — it collects
nothing, adds no fixture and imports nothing of the gateway.

Opting in (an adapter's own repository)::

    # pyproject.toml
    [tool.pytest.ini_options]
    diary_gateway_contract = true                      # or: pytest --contract
    contract_harnesses = ["my_region_tests.harness:Harness"]
    asyncio_default_fixture_loop_scope = "function"

Then ``pytest`` runs the contract checks (:class:`adapters.contract.checks.ContractChecks`)
for every harness: those named in ``contract_harnesses`` (``module:Class``; a line with
``{slug}`` is tried for every installed adapter) and those registered in the
``diary_gateway.contract_harnesses`` entry-point group — an adapter installed through the
``diary_gateway.adapters`` group without a harness fails, never passes untested. With
``--replay DIR`` it also replays every cassette in DIR (recorded by ``diary-gateway
conformance --record DIR``) through the read-only live checks. ``-m contract_structure``
runs the structural checks only.

A project that wants the checks in a module of its own sets nothing of the above and
writes ``class TestContract(ContractChecks)`` with the fixtures imported from
:mod:`adapters.contract.fixtures` into its ``conftest.py`` (this repository does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["enabled"]

_CHECKS_MODULE = "adapters.contract.collected"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("diary_gateway_contract", "diary-gateway adapter contract")
    group.addoption(
        "--contract",
        action="store_true",
        dest="contract",
        default=False,
        help="run the diary-gateway adapter contract checks for the configured harnesses",
    )
    group.addoption(
        "--replay",
        dest="contract_replay",
        default=None,
        metavar="DIR",
        help="replay the conformance cassettes in DIR through the contract's live checks",
    )
    parser.addini(
        "diary_gateway_contract",
        type="bool",
        default=False,
        help="run the diary-gateway adapter contract checks (as --contract does)",
    )
    parser.addini(
        "contract_harnesses",
        type="linelist",
        default=[],
        help="contract harness classes, module:Class (a {slug} line: one per installed adapter)",
    )


def enabled(config: pytest.Config) -> bool:
    """Whether this run opted in (``--contract`` or the ini option; ``--replay`` alone is
    only read by whoever parametrizes ``contract_cassette``)."""
    return bool(config.getoption("contract", False) or config.getini("diary_gateway_contract"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contract_structure: the adapter contract's structural checks (declarations)"
    )
    if enabled(config):
        from . import fixtures

        config.pluginmanager.register(fixtures, "diary_gateway_contract_fixtures")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    if isinstance(collector, pytest.Session) and enabled(collector.config):
        import importlib

        module = importlib.import_module(_CHECKS_MODULE)
        assert module.__file__ is not None
        report.result.append(pytest.Module.from_parent(collector, path=Path(module.__file__)))
    return report
