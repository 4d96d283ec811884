"""The attacks run against real `ww run` nodes booting the real kernel (built once a session).

The kernel tests' fixtures (the built kernel image, one shared data dir) are
theirs; they are reused here, not copied.
"""

from __future__ import annotations

from tests.kernel.conftest import kernel_image, ww_home

__all__ = ["kernel_image", "ww_home"]
