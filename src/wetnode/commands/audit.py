"""`ww audit [verify]`: list a node's audit log, or check its chain and signatures.

The log is the newest in the data dir's ``audit/`` unless ``--log`` or
``--peer`` names one (each node key has its own).  ``verify`` exits 1 with
one line naming the first broken event; events after the last signed head
are reported as unsigned, not broken.  ``--follow`` polls the file (SQLite
has no change notification across processes) every `FOLLOW_POLL` seconds.
See docs/audit.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from wetnode.audit.chain import KINDS
from wetnode.audit.errors import AuditError
from wetnode.audit.query import Filter, as_json, as_text, check, find_log, parse_time
from wetnode.audit.store import AuditStore
from wetnode.commands import UsageError
from wetnode.paths import data_dir

FOLLOW_POLL = 0.5  # seconds between looks for new events


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", nargs="?", choices=("list", "verify"), default="list",
        help="list events (the default) or verify the chain and its signed heads",
    )  # fmt: skip
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--log", metavar="PATH", type=Path, help="the log file to read")
    where.add_argument("--peer", metavar="ID", help="the log of the node with this peer ID")
    parser.add_argument("--caller", metavar="NAME", help="only this caller (pid0, a peer ID)")
    parser.add_argument("--method", metavar="GLOB", help="only methods matching, e.g. 'Executor.*'")
    parser.add_argument("--outcome", choices=("returned", "failed"), help="only this outcome")
    parser.add_argument(
        "--kind", choices=KINDS,
        help="only this kind of event",
    )  # fmt: skip
    parser.add_argument("--since", metavar="TIME", help="from TIME: ISO 8601 or an age like 10m")
    parser.add_argument("--until", metavar="TIME", help="up to TIME: ISO 8601 or an age")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    parser.add_argument("--json", action="store_true", help="one JSON object per event")


def run(args: argparse.Namespace) -> int:
    path, picked = find_log(data_dir() / "audit", path=args.log, peer=args.peer)
    if picked:
        print(f"audit log: {path}", file=sys.stderr)
    store = AuditStore.read(path)
    try:
        if args.action == "verify":
            return _verify(store, args.peer)
        return _list(store, _filter(args), args)
    finally:
        store.close()


def _filter(args: argparse.Namespace) -> Filter:
    now = time.time()

    def moment(flag: str, text: str | None) -> int | None:
        try:
            return parse_time(text, now) if text else None
        except ValueError as exc:
            raise UsageError(f"{flag}: {exc}") from None

    since, until = moment("--since", args.since), moment("--until", args.until)
    return Filter(args.caller, args.method, args.outcome, args.kind, since, until)


def _list(store: AuditStore, wanted: Filter, args: argparse.Namespace) -> int:
    show = as_json if args.json else as_text
    last = 0
    while True:
        for row in store.rows(after=last):
            last = row.seq
            event = row.event()
            if wanted.matches(event):
                print(show(event), flush=args.follow)
        if not args.follow:
            return 0
        time.sleep(FOLLOW_POLL)


def _verify(store: AuditStore, peer: str | None) -> int:
    report, signer = check(store, peer)
    if report.broken is not None:
        raise AuditError(
            f"audit log {store.path}: event {report.broken.seq} is broken: {report.broken.reason}"
        )
    print(
        f"audit log {store.path}: {report.events} events, chain intact; {report.heads} signed "
        f"heads by peer {signer}, the last at event {report.last_signed}; "
        f"{report.unsigned} events after it not signed yet"
    )
    return 0
