"""The kernel's `etc/policy.toml` reader: the rules it builds, and one line per bad file."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images" / "kernel"))

from kernel.export import METHOD_NAMES, AllowList
from kernel.policy import PolicyError, parse, parse_file
from kernel.policy import load as load_file

from wetnode.guest.policy import ByteBudget, Content, Rate
from wetnode.keys import NodeKey

P = str(NodeKey.generate().peer_id)
GOOD = f"""\
[[export.grant]]
name = "p"
peers = ["{P}"]
methods = ["executor.echo"]
expires = 2030-01-01T00:00:00Z
epochs = 2

[[export.rate]]
methods = ["executor.echo"]
calls = 5
burst = 5

[[export.byte_budget]]
bytes = 4096
seconds = 60

[[export.content]]
name = "card"
pattern = '\\b\\d(?:[ -]?\\d){{12,15}}\\b'
action = "redact"
on = "results"
"""


def load(text: str):
    return parse(text, METHOD_NAMES.values(), AllowList(set()).name)


def test_a_policy_file_composes_grants_and_rules() -> None:
    policy = load(GOOD)
    grants = policy.decider.grants
    assert grants is not None and len(grants) == 1
    assert grants[0].peers == {P} and grants[0].expires is not None
    assert grants[0].expires.epochs == 2 and grants[0].name == "grant p"
    kinds = [type(rule) for rule in policy.decider.rules]
    assert sorted(k.__name__ for k in kinds) == sorted(
        k.__name__ for k in (Rate, ByteBudget, Content)
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "[[export.grant]\nmethods = []\n",
            "etc/policy.toml line 1: Expected ']]' at the end of an array declaration",
        ),
        (
            "[[export.grant]]\nmethods = [\"executor.echo\"]\n\n[[export.grant]]\n"
            "methods = [\"executor.nope\"]\n",
            "etc/policy.toml line 5: 'executor.nope' is not interface.method (e.g. executor.echo)",
        ),
        (
            "[[export.rate]]\ncalls = 1\n\n[[export.throttle]]\ncalls = 1\n",
            "etc/policy.toml line 4: unknown rule [[export.throttle]] (rules: grant, rate, "
            "params_bytes, result_bytes, byte_budget, content, hook)",
        ),
        (
            "[[export.rate]]\ncalls = 1\nbrust = 2\n",
            "etc/policy.toml line 3: unknown key 'brust' in [[export.rate]]",
        ),
        (
            "[[export.content]]\nname = \"x\"\n",
            "etc/policy.toml line 1: [[export.content]] needs pattern",
        ),
        (
            "[[export.content]]\nname = \"x\"\npattern = \"(\"\n",
            "etc/policy.toml line 1: '(' is not a regular expression: "
            "missing ), unterminated subpattern at position 0",
        ),
        (
            "[[export.grant]]\nmethods = [\"host.id\"]\nexpires = 2030-01-01T00:00:00\n",
            "etc/policy.toml line 3: expires is a TOML date-time with an offset "
            "(2026-12-31T00:00:00Z)",
        ),
        (
            "[services]\nx = 1\n",
            "etc/policy.toml line 1: unknown table [services] (the policy has [export], "
            "[service.NAME] and [path])",
        ),
        (
            "[[export.grant]]\nmethods = [\"host.id\"]\npeers = [\"16Uiu2HAmTypo\"]\n",
            "etc/policy.toml line 3: '16Uiu2HAmTypo' is not a peer ID (base58, as `ww keygen` "
            "prints it)",
        ),
        (
            "# limits\n[export]\nrate = 1\n",
            "etc/policy.toml line 3: export.rate is written [[export.rate]] (one table per rule)",
        ),
        (
            "[[export.hook]]\nname = \"guard\"\nphases = [\"precall\"]\n",
            "etc/policy.toml line 1: phases is a list of 'pre_call', 'post_call', 'spawn', "
            "'dial', not ['precall']",
        ),
        (
            "[[export.hook]]\nname = \"guard\"\nbudget_ms = 0\n",
            "etc/policy.toml line 1: budget_ms is a whole number of milliseconds, 1 to 60000, "
            "not 0",
        ),
        (
            "[[export.hook]]\nname = \"../bin\"\n",
            "etc/policy.toml line 1: a hook's name is letters, digits, - and _ (its directory), "
            "not '../bin'",
        ),
        (
            "[[service.limited.grnt]]\nmethods = [\"executor.echo\"]\n",
            "etc/policy.toml line 1: unknown rule [[service.limited.grnt]] (rules: grant, rate, "
            "params_bytes, result_bytes, byte_budget, content)",
        ),
        (
            "[[path.grant]]\npeers = [\"*\"]\nmethods = [\"executor.echo\"]\n",
            "etc/policy.toml line 2: unknown key 'peers' in [[path.grant]]",
        ),
        (
            "[[path.hook]]\nname = \"guard\"\n",
            "etc/policy.toml line 1: unknown rule [[path.hook]] (rules: grant, rate, "
            "params_bytes, result_bytes, byte_budget, content)",
        ),
        (
            "[[service.limited.rate]]\ncalls = 1\n\n[[path.grant]]\nmethods = [\"executor.ech\"]\n",
            "etc/policy.toml line 5: 'executor.ech' is not interface.method (e.g. executor.echo)",
        ),
        (
            "# services\n[service]\nlimited = 1\n",
            "etc/policy.toml line 3: service.limited is written [[service.limited.RULE]] (one "
            "table per rule)",
        ),
        (
            "[[service.\"../up\".rate]]\ncalls = 1\n",
            "etc/policy.toml line 1: [[service.NAME.RULE]] names a svc/ directory, not '../up'",
        ),
        (
            "# children\npath = 1\n",
            "etc/policy.toml line 2: path is a table (the policy has [export], [service.NAME] "
            "and [path])",
        ),
    ],
    ids=[
        "toml", "method", "rule", "key", "missing", "regex", "naive-time", "table", "peer",
        "not-a-table", "hook-phase", "hook-budget", "hook-name", "service-rule", "path-peers",
        "path-hook", "path-method", "service-not-a-table", "service-name", "path-not-a-table",
    ],
)
def test_a_bad_policy_file_is_one_line_naming_file_and_line(text: str, error: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load(text)
    assert str(caught.value) == error
    assert "\n" not in str(caught.value)


def test_a_grant_with_an_empty_peer_list_grants_nobody_and_one_without_grants_everyone() -> None:
    nobody = load('[[export.grant]]\npeers = []\nmethods = ["host.id"]\n').decider.grants
    anyone = load('[[export.grant]]\nmethods = ["host.id"]\n').decider.grants
    assert nobody is not None and nobody[0].peers == frozenset()
    assert anyone is not None and anyone[0].peers == {"*"}


def _documented_policies() -> list[str]:
    """Every ```toml block of docs/policy.md, its elided peer IDs made real."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    return [re.sub(r"16Uiu2\w*\.\.\.", P, block) for block in blocks]


@pytest.mark.parametrize("text", _documented_policies())
def test_every_policy_shown_in_the_docs_is_read_by_the_kernel(text: str) -> None:
    load(text)  # raises PolicyError, naming the line, if the docs drifted


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '[[export.rate]]\ncalls = 1\n\n[[export.hook]]\nname = "guard"\n',
            "etc/policy.toml line 4: hook 'guard' is missing: no etc/hooks/guard/boot/main.wasm"
            " in the image (write etc/hooks/guard/boot/main.py, then `ww build etc/hooks/guard`)",
        ),
        (
            '[[path.grant]]\nmethods = ["executor.echo"]\n\n[[service.ghost.rate]]\ncalls = 1\n',
            "etc/policy.toml line 4: [service.ghost] names no service of the image "
            "(no svc/ghost/boot/main.wasm)",
        ),
    ],
    ids=["hook", "service"],
)
def test_what_a_policy_names_and_the_image_lacks_is_one_line_naming_file_and_line(
    tmp_path: Path, text: str, line: str
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "policy.toml").write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_file(str(tmp_path), METHOD_NAMES.values(), AllowList(set()).name)
    assert str(caught.value) == line


def test_service_and_path_sections_compose_grants_and_rules_of_their_own() -> None:
    found = parse_file(
        '[[service.limited.grant]]\nmethods = ["executor.echo"]\n'
        '[[service.limited.rate]]\ncalls = 1\n'
        '[[path.params_bytes]]\nlimit = 64\n',
        METHOD_NAMES.values(),
        AllowList(set()).name,
    )
    limited = found.services["limited"].decider
    assert limited.grants is not None and limited.grants[0].peers == {"*"}
    assert [type(rule).__name__ for rule in limited.rules] == ["Rate"]
    assert found.path is not None and found.path.decider.grants is None
    assert found.export is not None and found.export.decider.grants is None
