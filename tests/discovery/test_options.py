"""The discovery rows of the options table: `--bootstrap` (repeatable) and `--mdns` (a switch)."""

from __future__ import annotations

import argparse

import pytest

from wetnode.config import NodeConfig, add_options
from wetnode.errors import ConfigError


def _config(argv: list[str], environ: dict[str, str]) -> NodeConfig:
    parser = argparse.ArgumentParser()
    add_options(parser)
    return NodeConfig.from_args(parser.parse_args(argv), environ)


def test_mdns_is_off_unless_the_flag_or_the_variable_turns_it_on() -> None:
    assert _config([], {}).mdns is False
    assert _config(["--mdns"], {}).mdns is True
    assert _config([], {"WW_MDNS": "1"}).mdns is True
    assert _config([], {"WW_MDNS": "off"}).mdns is False


def test_a_bad_mdns_variable_names_itself() -> None:
    with pytest.raises(ConfigError, match=r"\$WW_MDNS: 'maybe' is neither on nor off"):
        _config([], {"WW_MDNS": "maybe"})


def test_bootstrap_peers_come_from_each_flag_else_the_variable() -> None:
    a, b = "/ip4/127.0.0.1/tcp/1/p2p/A", "/ip4/127.0.0.1/tcp/2/p2p/B"
    assert _config(["--bootstrap", a, "--bootstrap", b], {}).bootstrap == (a, b)
    assert _config([], {"WW_BOOTSTRAP": f"{a} {b}"}).bootstrap == (a, b)
    assert _config([], {}).bootstrap == ()
