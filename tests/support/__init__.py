"""Code the tests and the benchmarks share, kept out of the installed library.

- ``cli_outcome``: what a finished `ww` subprocess shows (its one-line error, files left).
- ``dags``: hostile UnixFS DAGs, built block by block into a `ww` data dir's store.
- ``devchain``: a local anvil chain on a kernel-chosen port.
- ``echo``: a pycapnp ``Executor.echo`` server to call through the layers under test.
- ``guests``: `ww build` of a test guest, a node's loopback env, data dirs sharing one
  compile cache or starting with one of its compiled entries.
- ``stem_node``: the kernel as an Atom's heads and a `ww run --stem` node following them.

Imported as ``tests.support``: pytest puts the checkout's root on ``sys.path``
(``pythonpath`` in pyproject.toml) and ``python -m bench`` runs from it.
"""
