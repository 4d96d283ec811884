"""The built kernel the runnable docs boot: the kernel tests' fixture (`ww build` once here)."""

from tests.kernel.conftest import kernel_image  # noqa: F401  (a fixture, used by name)
