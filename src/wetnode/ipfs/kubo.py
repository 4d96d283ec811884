"""The Kubo backend: a Kubo-RPC daemon (`POST /api/v0/...`) as a block source and pin set.

A small httpx client rather than ipfshttpclient: ipfshttpclient 0.7.0's
`connect()` refuses any daemon outside [0.4.23, 0.8.0) (every Kubo since 2021,
and js-ipfs which reports 0.18.1), it is synchronous (the node runs on trio),
and only five endpoints are needed.  Only blocks cross the wire
(`block/get`, `block/put`); UnixFS is read and written locally by `backend`,
so every block from the daemon is verified against its CID.

Every request is bounded: the daemon gets `timeout=` (a `block/get` of content
nobody has otherwise hangs forever) and the client waits a little longer.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from wetnode.config import DEFAULT_IPFS_TIMEOUT
from wetnode.ipfs import reader
from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import BackendDown, ContentNotFound, IpfsError, PathNotFound

DEFAULT_API = "http://127.0.0.1:5001"


def _normalise(url: str) -> str:
    """Accept `http://host:port`, `host:port` or a multiaddr `/ip4/h/tcp/p[/http]`."""
    if url.startswith("/ip4/") or url.startswith("/dns4/"):
        parts = url.strip("/").split("/")
        if len(parts) >= 4 and parts[2] == "tcp":
            return f"http://{parts[1]}:{parts[3]}"
        raise BackendDown(f"IPFS API address {url!r} is not /ip4/<host>/tcp/<port>")
    if "://" not in url:
        url = "http://" + url
    return url.rstrip("/")


class KuboBlocks:
    """`Blocks` over a daemon's block API."""

    def __init__(self, client: httpx.AsyncClient, url: str, timeout: float) -> None:
        self._client = client
        self._url = url
        self._timeout = timeout

    async def call(
        self, command: str, params: dict[str, str], files: dict[str, Any] | None = None
    ) -> httpx.Response:
        """POST one RPC command; daemon errors become `IpfsError`s naming the argument."""
        params = {**params, "timeout": f"{self._timeout:g}s"}
        try:
            response = await self._client.post(
                f"{self._url}/api/v0/{command}",
                params=params,
                files=files,
                timeout=self._timeout + 5,
            )
        except httpx.TimeoutException:
            raise ContentNotFound(
                f"the IPFS API at {self._url} did not answer {command} {params.get('arg', '')} "
                f"within {self._timeout:g}s; the content may not be reachable"
            ) from None
        except httpx.TransportError as exc:
            raise BackendDown(
                f"the IPFS API at {self._url} does not answer ({exc.__class__.__name__}); "
                "start the daemon or point --ipfs-api / WW_IPFS_API at a running one"
            ) from None
        if response.status_code != 200:
            raise _daemon_error(command, params.get("arg", ""), response, self._timeout)
        return response

    async def get(self, cid: Cid) -> bytes:
        response = await self.call("block/get", {"arg": str(cid)})
        return cid.verify(response.content)

    async def put(self, cid: Cid, block: bytes) -> None:
        cid.verify(block)
        response = await self.call(
            "block/put",
            {"format": "dag-pb", "mhtype": "sha2-256"},
            files={"file": ("block", block, "application/octet-stream")},
        )
        stored = Cid.parse(json.loads(response.text)["Key"])
        if stored.multihash != cid.multihash:
            raise IpfsError(f"the IPFS API at {self._url} stored {cid} as {stored}; refusing it")


def _daemon_error(command: str, arg: str, response: httpx.Response, timeout: float) -> IpfsError:
    try:
        message = str(json.loads(response.text).get("Message", response.text))
    except (ValueError, AttributeError):
        message = response.text.strip() or f"HTTP {response.status_code}"
    lowered = message.lower()
    if "timed out" in lowered or "timeout" in lowered or "deadline" in lowered:
        return ContentNotFound(
            f"{arg} was not found within {timeout:g}s ({command}: {message}); "
            "is a peer that has it online?"
        )
    if "not pinned" in lowered or "not found" in lowered:
        return PathNotFound(f"{command} {arg}: {message}")
    if response.status_code == 404:
        return BackendDown(f"{response.url} is not a Kubo RPC API (HTTP 404); check --ipfs-api")
    return IpfsError(f"the IPFS daemon refused {command} {arg}: {message}")


class KuboBackend(IpfsBackend):
    def __init__(self, url: str = DEFAULT_API, *, timeout: float = DEFAULT_IPFS_TIMEOUT) -> None:
        self.url = _normalise(url)
        self.name = f"IPFS API at {self.url}"
        self._client = httpx.AsyncClient()
        self.blocks = self._rpc = KuboBlocks(self._client, self.url, timeout)

    async def version(self) -> str:
        """The daemon's version (also a liveness check)."""
        response = await self._rpc.call("version", {})
        return str(json.loads(response.text)["Version"])

    async def pin_add(self, path: str) -> Cid:
        cid = (await reader.resolve(self.blocks, path)).cid
        await self._rpc.call("pin/add", {"arg": str(cid), "recursive": "true"})
        return cid

    async def pin_rm(self, path: str) -> Cid:
        cid = (await reader.resolve(self.blocks, path)).cid
        await self._rpc.call("pin/rm", {"arg": str(cid), "recursive": "true"})
        return cid

    async def pin_ls(self) -> list[Cid]:
        response = await self._rpc.call("pin/ls", {"type": "recursive"})
        keys = json.loads(response.text).get("Keys", {})
        return sorted((Cid.parse(key) for key in keys), key=str)

    async def aclose(self) -> None:
        await self._client.aclose()
