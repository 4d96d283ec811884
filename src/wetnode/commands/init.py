"""`ww init [PATH] [--template agent|hook]`: scaffold a Python guest project."""

import argparse
from pathlib import Path

from wetnode.cell.python_guest import AGENT_TEMPLATE, init_project

HOOK_TEMPLATE = '''\
"""A policy hook: the kernel asks it about each event its etc/policy.toml sends here.

Put this project at etc/hooks/NAME/ in an image, `ww build` it, and name it
in etc/policy.toml (docs/policy.md, "Hooks"):

    [[export.hook]]
    name = "NAME"
    methods = ["executor.echo"]   # the calls it hears (none: every call)
    phases = ["pre_call"]         # and/or "post_call", "spawn", "dial"
    params = true                 # send the params (and results) as JSON

The hook runs with no capabilities; a check that raises, traps or takes
longer than its budget (budget_ms) refuses the call.
"""

import json

import wetnode.guest as ww
from wetnode.guest.policy import hooks
from wetnode.guest.schemas import system

BLOCKED = "forbidden"


class Hook(system.Hook.Server):
    async def check(self, event):
        """allow(), block(rationale) or transform(fields, rationale) for one event."""
        if event.phase == system.HookPhase.preCall and event.params:
            texts = [v for v in json.loads(event.params).values() if isinstance(v, str)]
            if any(BLOCKED in text for text in texts):
                return hooks.block(f"the word {BLOCKED!r} is not allowed")
        return hooks.allow()


async def main():
    ww.export(Hook())  # before the first await: the kernel asks for it at once
    await ww.serve_forever()
'''

TEMPLATES = {"agent": AGENT_TEMPLATE, "hook": HOOK_TEMPLATE}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path,
                        help="project directory (default: the current directory)")
    parser.add_argument("--template", choices=sorted(TEMPLATES), default="agent",
                        help="agent: an agent to boot or start as a child (the default); "
                             "hook: a policy hook (docs/policy.md)")


def run(args: argparse.Namespace) -> int:
    for file in init_project(args.path, TEMPLATES[args.template]):
        print(f"created {file}")
    print(f"next: ww build {args.path}")
    return 0
