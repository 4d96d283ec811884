"""A guest that cannot get its stdio is one clear line, and the host carries on."""

from __future__ import annotations

import contextlib
import os
import resource
import socket

import pytest

from wetnode.cell import Exit, Stdio
from wetnode.cell.guest import Guest
from wetnode.errors import CellError


@pytest.mark.slow
def test_out_of_file_descriptors_names_the_cause_in_one_line(engine, probe):
    """Issue 12, item 19: the spawn said only `failed to set stdout file`.

    The process is left exactly two descriptors: the pipe gets them, and
    WASI's own open of the guest end then fails.
    """
    spec = probe("return", "7", stdio=Stdio("null", "pipe", "null"))
    component = engine.load(spec.component, spec.name)
    host_end, guest_end = socket.socketpair()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    filler: list[int] = []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 16, hard))
        with contextlib.suppress(OSError):
            while True:
                filler.append(os.open(os.devnull, os.O_RDONLY))
        os.close(filler.pop())
        os.close(filler.pop())
        with pytest.raises(CellError) as refused:
            Guest(engine, component, spec, guest_end)
    finally:
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        host_end.close()
    message = str(refused.value)
    assert "\n" not in message
    assert "cannot give guest probe a stdout pipe: Too many open files" in message
    assert "ulimit -n" in message
    host_end, guest_end = socket.socketpair()
    with contextlib.closing(host_end):  # with descriptors back, the same guest runs
        guest = Guest(engine, component, spec, guest_end)
        guest.stdio.close()
        assert guest.run() == Exit(7)
