"""A kernel whose compile is cached, for the policy tests that start a clock before a boot."""

from pathlib import Path

import pytest

from tests.kernel.node_process import ServingNode


@pytest.fixture(scope="session")
def warm_kernel(kernel_image: Path, kernel_node: ServingNode) -> Path:
    """`kernel_image`, booted once (the session's `kernel_node`) so its compile is in the
    shared cache.

    A test that starts a clock before a node boots (a grant's expiry) then
    does not spend the first compile, which on a loaded machine takes a minute.
    """
    return kernel_image
