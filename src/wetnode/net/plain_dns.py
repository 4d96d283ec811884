"""Names resolve over plain DNS: dnspython's DNS-over-HTTPS stack stays unimported.

py-libp2p resolves ``/dns4``, ``/dns6`` and ``/dnsaddr`` addresses with
dnspython, whose query module imports httpx2, httpcore2, h2 and their
dependencies whenever they are installed, for DNS-over-HTTPS nameservers a
node never configures: 94 modules and 3.4 MiB of an idle node's RSS
(docs/performance.md).  dnspython's `force` switch, documented as the
workaround where its feature probe is wrong, turns the feature off.  It works
only before that module is imported, so the `ww` command calls it before it
imports a subcommand; a library user's process keeps its own dnspython.
"""

from __future__ import annotations


def use_plain_dns() -> None:
    """Tell dnspython that DNS over HTTPS is unavailable in this process."""
    import dns._features

    dns._features.force("doh", False)
