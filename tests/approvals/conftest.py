"""The kernel tests' real guests and node environment, shared with the approval tests."""

from tests.kernel.conftest import kernel_image, node_env, ww_home

__all__ = ["kernel_image", "node_env", "ww_home"]
