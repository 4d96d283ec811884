"""The library's errors: what went wrong outside the code, in one line.

Modelled on httpx's ``HTTPError`` tree: catch `WetnodeError` for "anything
the caller can act on", or a subclass for one kind of cause.  Each message
names the thing at fault and what to do about it, so a program can show it
as is.  The library decides no exit codes: the `ww` command maps classes to
them (`wetnode.cli`).

    WetnodeError
    ├── ConfigError    a value given (flag, WW_* variable, mount, address) does not parse
    ├── ImageError     a layer, the union of layers or the materialised root
    ├── KeyFileError   a node key file is missing, unreadable or not a key
    ├── CellError      a guest cannot run here (not a component, wrong world, build)
    ├── NetError       a peer cannot be reached or dropped the call
    │   └── PortInUse  the port the node should listen on is taken
    ├── IpfsError      (wetnode.ipfs.errors) content, CIDs and the IPFS daemon
    ├── AuditError     (wetnode.audit.errors) the audit log file
    └── StemError      (wetnode.stem.errors) the chain and the Atom contract
"""


class WetnodeError(Exception):
    """A failure the caller can act on (bad input, a missing file, a peer gone), not a bug."""


class ConfigError(WetnodeError):
    """A value the user gave does not parse; the message says where it came from."""


class ImageError(WetnodeError):
    """An image layer cannot be read, merged or materialised."""


class KeyFileError(WetnodeError):
    """A node key file cannot be read, is not a key, or cannot be written."""


class CellError(WetnodeError):
    """A guest cannot be built or started here."""


class NetError(WetnodeError):
    """A peer cannot be reached, refused the protocol, or went away mid-call."""


class PortInUse(NetError):
    """Another process already listens on the port this node was asked to listen on."""


def sole_exception(group: BaseExceptionGroup) -> BaseException:
    """The one exception inside nested single-member groups, else the group itself.

    Each trio nursery wraps what escapes it, so an error raised deep in a
    node or a client comes out several groups deep; callers want it as raised.
    """
    inner: BaseException = group
    while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
        inner = inner.exceptions[0]
    return group if isinstance(inner, BaseExceptionGroup) else inner
