"""The kernel tests' real guests and node environment, and a kernel whose compile is cached."""

import os
from pathlib import Path

import pytest

from tests.kernel.conftest import kernel_image, node_env, ww_home
from tests.kernel.node_process import serving_node

__all__ = ["kernel_image", "node_env", "warm_kernel", "ww_home"]


@pytest.fixture(scope="session")
def warm_kernel(kernel_image: Path, ww_home: Path) -> Path:
    """`kernel_image`, booted once so its compile is in the shared cache.

    A test that starts a clock before a node boots (a grant's expiry) then
    does not spend the first compile, which on a loaded machine takes a minute.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
    env.update(WW_HOME=str(ww_home), WW_LISTEN="127.0.0.1")
    with serving_node([str(kernel_image)], env):
        pass
    return kernel_image
