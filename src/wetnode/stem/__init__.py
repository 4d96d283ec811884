"""Stem: the on-chain head of an image (the Atom contract) and the epoch pipeline.

- ``abi``: the contract's artifact, selectors and log decoding.
- ``contract``: deploy, read the head, move the head (sync web3 over HTTP).
- ``finalizer``: sans-IO confirmation counting with reorg detection.
- ``indexer``: follows HeadUpdated logs and new blocks over a WebSocket (trio).
- ``epochs``: indexer -> finalizer -> ``on_epoch`` callback.
- ``follow``: that pipeline for a node's config, pinning the head it runs.
"""
