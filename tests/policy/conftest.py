"""A kernel whose compile is cached, for the policy tests that start a clock before a boot."""

from pathlib import Path

import pytest

from tests.kernel.node_process import serving_node
from tests.support.guests import loopback_env


@pytest.fixture(scope="session")
def warm_kernel(kernel_image: Path, ww_home: Path) -> Path:
    """`kernel_image`, booted once so its compile is in the shared cache.

    A test that starts a clock before a node boots (a grant's expiry) then
    does not spend the first compile, which on a loaded machine takes a minute.
    """
    with serving_node([str(kernel_image)], loopback_env(ww_home)):
        pass
    return kernel_image
