"""Writing a policy hook: a guest that serves `Hook.check(event) -> verdict`.

A hook is policy code the kernel runs as a child with no capabilities
(docs/policy.md, "Hooks").  It exports a `system.Hook` server before its
first `await` and serves until the kernel stops it::

    import json
    import wetnode.guest as ww
    from wetnode.guest.policy import hooks
    from wetnode.guest.schemas import system

    class Guard(system.Hook.Server):
        async def check(self, event):
            if "forbidden" in json.loads(event.params or "{}").get("message", ""):
                return hooks.block("no forbidden words")
            return hooks.allow()

    async def main():
        ww.export(Guard())
        await ww.serve_forever()

`event.phase` is one of `system.HookPhase` (`preCall`, `postCall`, `spawn`,
`dial`); `PHASES` names them as the policy file does.  A verdict is
`allow()`, `block(rationale)` or `transform(replacement, rationale)`, where
``replacement`` holds the params' (pre-call) or results' (post-call) fields
to change, as JSON values (`Data` as ``"0x"`` + hex).
"""

from __future__ import annotations

import json
from typing import Any

from wetnode.guest.schemas import system

PHASES = {
    system.HookPhase.preCall: "pre_call",
    system.HookPhase.postCall: "post_call",
    system.HookPhase.spawn: "spawn",
    system.HookPhase.dial: "dial",
}
"""`HookPhase` values by the names `[[export.hook]] phases` uses."""


def _verdict(action: int, rationale: str, replacement: str = "") -> dict[str, Any]:
    # The results of `check`: one field, `verdict`.
    return {"verdict": {"action": action, "rationale": rationale, "replacement": replacement}}


def allow(rationale: str = "") -> dict[str, Any]:
    """Let the event go on unchanged."""
    return _verdict(system.HookAction.allow, rationale)


def block(rationale: str) -> dict[str, Any]:
    """Refuse it: the caller reads ``policyDenied: hook NAME ...: <rationale>``."""
    return _verdict(system.HookAction.block, rationale)


def transform(replacement: dict[str, Any], rationale: str) -> dict[str, Any]:
    """Go on with these fields of the params (pre-call) or results (post-call) changed."""
    return _verdict(system.HookAction.transform, rationale, json.dumps(replacement))
