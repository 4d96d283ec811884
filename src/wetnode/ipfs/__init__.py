"""IPFS for wetnode: UnixFS trees as content-addressed blocks.

`unixfs` builds and reads the same DAGs as `ipfs add -r` (CIDv0, dag-pb,
256 KiB chunks, balanced layout); `blockstore` keeps verified blocks under the
node's data dir; `embedded` and `kubo` are the two backends the node talks to
through one `IpfsBackend` protocol (`backend`); `bitswap` shares and fills
the embedded store over libp2p; `connect` picks the backend for a node or a
command; `layer` turns `/ipfs/` paths into cached layer trees.
"""
