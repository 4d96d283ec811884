"""The one table of node options: flags, environment, defaults, and the doc that shows them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wetnode import cli
from wetnode.config import OPTIONS, NodeConfig, add_options, markdown_table, option
from wetnode.errors import ConfigError

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _args(*argv: str, names: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_options(parser, names)
    return parser.parse_args(argv)


def test_docs_cli_md_holds_exactly_the_generated_options_table() -> None:
    # Blank lines on both sides: no stale row can sit above or below the table.
    assert f"\n\n{markdown_table()}\n" in DOC.read_text(encoding="utf-8"), (
        "docs/cli.md is out of date: run scripts/gen_cli_options.py"
    )


def test_a_flag_wins_over_its_variable_which_wins_over_the_default() -> None:
    environ = {"WW_PORT": "4001", "WW_PEERS": "/ip4/a /ip4/b", "WW_GUEST_MEMORY": "512M"}
    flags = NodeConfig.from_args(_args("--port", "7", "--peer", "/ip4/c"), environ)
    assert (flags.port, flags.peers) == (7, ("/ip4/c",))
    assert flags.limits.memory_bytes == 512 << 20
    env = NodeConfig.from_args(_args(), environ)
    assert (env.port, env.peers) == (4001, ("/ip4/a", "/ip4/b"))
    defaults = NodeConfig.from_args(_args(), {})
    assert (defaults.port, defaults.peers, defaults.ipfs_timeout) == (2025, (), 30.0)
    assert defaults.limits.memory_bytes == 1 << 30 and defaults.identity is None


def test_a_bad_value_names_the_flag_or_variable_it_came_from() -> None:
    with pytest.raises(ConfigError, match=r"^--port: '99999' is not a TCP port"):
        NodeConfig.from_args(_args("--port", "99999"), {})
    with pytest.raises(ConfigError, match=r"^\$WW_IPFS_TIMEOUT: '0' must be more than zero"):
        NodeConfig.from_args(_args(), {"WW_IPFS_TIMEOUT": "0"})


def test_a_command_that_picks_options_gets_only_those_with_the_same_meaning() -> None:
    args = _args("--ipfs-timeout", "5", names=["ipfs-api", "ipfs-timeout"])
    assert not hasattr(args, "port")
    assert option("ipfs-timeout").value(args, {}) == 5.0
    assert option("ipfs-api").value(args, {"WW_IPFS_API": "http://kubo:5001"}) == "http://kubo:5001"


def test_every_option_has_its_own_flag_and_variable() -> None:
    assert len({opt.flag for opt in OPTIONS}) == len({opt.env for opt in OPTIONS}) == len(OPTIONS)


@pytest.mark.parametrize(
    ("environ", "argv", "code", "message"),
    [
        ({"WW_PORT": "nope"}, ["run", "--dry-run", "x"], 2, "ww run: $WW_PORT: invalid literal"),
        ({}, ["image", "ls", "/no/such/layer"], 1, "ww image: layer /no/such/layer does not"),
        ({}, ["image"], 2, "ww image: say what to do"),
    ],
)
def test_the_cli_maps_each_error_class_to_one_line_and_an_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environ: dict[str, str],
    argv: list[str],
    code: int,
    message: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
