"""`ww approve list|show ID|sign ID|deny ID`: read proposals, sign or deny them.

Proposals are in ``$WW_HOME/approvals.sqlite``, written by the nodes of this
data dir.  ``sign`` and ``deny`` take the approver's key file (``--key``,
the format `ww keygen` writes; its Ethereum address is the approver) or a
signature a wallet made with ``personal_sign`` over the text ``show``
prints (``--signature 0x...``).  A signature that does not count is one line
saying why, exit 1.  See docs/approvals.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from wetnode.approvals.proposal import Proposal, message, sign
from wetnode.approvals.store import ApprovalStore, approvals_path
from wetnode.commands import UsageError
from wetnode.paths import data_dir


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="approve_command", metavar="ACTION")
    sub.add_parser("list", help="every proposal, newest last, with its status")
    show = sub.add_parser("show", help="a proposal in full, and the exact text to sign")
    show.add_argument("id", metavar="ID")
    for name, decision in (("sign", "approve"), ("deny", "deny")):
        action = sub.add_parser(name, help=f"{decision} a proposal as one of its approvers")
        action.add_argument("id", metavar="ID")
        given = action.add_mutually_exclusive_group(required=True)
        given.add_argument("--key", metavar="FILE", type=Path, help="the approver's key file")
        given.add_argument(
            "--signature", metavar="HEX", help="a wallet's personal_sign signature of the text"
        )
        action.set_defaults(decision=decision)


def run(args: argparse.Namespace) -> int:
    if args.approve_command is None:
        raise UsageError("say what to do: `ww approve list|show ID|sign ID|deny ID`")
    store = ApprovalStore(approvals_path(data_dir()))
    try:
        if args.approve_command == "list":
            for proposal, status in store.proposals():
                print(f"{proposal.id}  {status:8}  {proposal.risk:8}  {proposal.action}  "
                      f"k={proposal.threshold}  expires {_when(proposal.expires)}")  # fmt: skip
            return 0
        proposal, status, signatures = store.get(args.id)
        if args.approve_command == "show":
            _show(proposal, status, [f"{s.address} ({s.decision})" for s in signatures])
            return 0
        signature = _signature(args, proposal)
        counted = store.sign(proposal.id, args.decision, signature, time.time())
        approvals = sum(s.decision == "approve" for s in signatures) + (args.decision == "approve")
        print(f"{counted.address} signed {args.decision} for proposal {proposal.id}: "
              f"{approvals} of {proposal.threshold} approvals")  # fmt: skip
        return 0
    finally:
        store.close()


def _signature(args: argparse.Namespace, proposal: Proposal) -> bytes:
    if args.key is not None:
        from wetnode.keys import NodeKey

        return sign(proposal.id, args.decision, NodeKey.load(args.key.expanduser()).secret)
    text = args.signature.removeprefix("0x")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise UsageError("--signature: not hex (0x + 130 hex digits from personal_sign)") from None


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _show(proposal: Proposal, status: str, signed: list[str]) -> None:
    out = sys.stdout
    print(f"proposal   {proposal.id}  ({status})", file=out)
    print(f"intent     {proposal.intent}", file=out)
    print(f"action     {proposal.action}", file=out)
    print(f"parameters {proposal.parameters}", file=out)
    print(f"risk       {proposal.risk}", file=out)
    print(f"created    {_when(proposal.created)}; expires {_when(proposal.expires)}", file=out)
    print(f"needs      {proposal.threshold} of {', '.join(proposal.approvers)}", file=out)
    print(f"signed     {', '.join(signed) or 'nobody yet'}", file=out)
    print(f"node       {proposal.node}", file=out)
    print(f"encoding   {proposal.encode().decode()}", file=out)
    print("to approve, personal_sign (EIP-191) exactly this text:", file=out)
    print(message(proposal.id, "approve"), file=out)
