"""What pid0 hands the children it starts: its `svc/` services and PATH tools.

Without a policy section for it, a child is started with `Binary.spawn` and
the host's usual child grants (`executor`, `ipfs`).  With one
(`[service.NAME]` or `[path]` in `etc/policy.toml`, `kernel.policy`), pid0
starts it with `Binary.spawnWith` and hands it pid0's own `executor` and
`ipfs` behind that policy: the child's graft holds those and its identity,
nothing of the host's, so every call it makes meets pid0's rules first (a
grant names what it may call; rates and byte budgets hold for it alone).
The calls come from the child, so the policy's peer is the child's name
(`svc/NAME`, or the tool's path).
"""

from __future__ import annotations

from typing import Any

from wetnode.guest.policy import Policy

HANDED = ("executor", "ipfs")  # a child's usual grants, now pid0's and attenuated


def spawn(
    binary: Any, args: list[str], env: list[str], caps: Any, policy: Policy | None, peer: str
) -> Any:
    """Start a child of `binary`; with `policy`, holding only pid0's caps behind it.

    Returns the call's promise (its `process` pipelines).
    """
    if policy is None:
        return binary.spawn(args, env)
    handed = [
        {"name": name, "cap": policy.wrap(cap, peer)}
        for name in HANDED
        if (cap := getattr(caps, name)) is not None
    ]
    return binary.spawnWith(args, env, handed)
