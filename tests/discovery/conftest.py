"""The kernel tests' fixtures (one built kernel image, one compile cache, loopback nodes)."""

from __future__ import annotations

from tests.kernel.conftest import kernel_image, node_env, ww_home

__all__ = ["kernel_image", "node_env", "ww_home"]
