"""The kernel tests' real guests and node environment, shared with the audit tests."""

from tests.kernel.conftest import kernel_image, node_env, ww_home

__all__ = ["kernel_image", "node_env", "ww_home"]
