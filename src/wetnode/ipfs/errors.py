"""The IPFS errors a user can act on: each names the input at fault."""

from __future__ import annotations

from wetnode.errors import WetnodeError


class IpfsError(WetnodeError):
    """Base of every IPFS failure: content, CIDs, paths and the daemon."""


class InvalidCid(IpfsError):
    """Text that does not parse as a CID (or an /ipfs/ path that does not start with one)."""


class PathNotFound(IpfsError):
    """A path that names no entry inside an existing directory, or the wrong kind of node."""


class ContentNotFound(IpfsError):
    """A block nobody provided within the wait bound."""


class TooLarge(IpfsError):
    """A file larger than what may be handed over in one piece."""


class CorruptBlock(IpfsError):
    """A block whose bytes do not hash to its CID (tampered or damaged)."""


class BackendDown(IpfsError):
    """The configured IPFS daemon does not answer."""
