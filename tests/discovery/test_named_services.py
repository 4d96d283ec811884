"""Guests find each other by name: A's pid0 announces, C's pid0 finds and calls it.

Three real nodes on loopback; C and A know only B.  The kernel shell drives
pid0 (`(announce ...)`, `(find ...)`, `(dial "name" ...)`) on pseudo-terminals.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.discovery.nodes import home, node
from tests.kernel.node_process import WW, Terminal, free_port

pytestmark = pytest.mark.slow

PROMPT = "\u276f "


def test_a_name_announced_by_one_pid0_is_found_and_dialled_by_another_until_it_stops(
    kernel_image: Path, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    with node([str(kernel_image)], home(tmp_path, "b", ww_home, node_env)) as b:
        bootstrap = ["--bootstrap", b.address]
        argv_a = [*WW, "run", "--port", str(free_port()), *bootstrap, str(kernel_image)]
        argv_c = [*WW, "run", "--port", str(free_port()), *bootstrap, str(kernel_image)]
        with (
            Terminal(argv_a, home(tmp_path, "a", ww_home, node_env)) as a,
            Terminal(argv_c, home(tmp_path, "c", ww_home, node_env)) as c,
        ):
            a.expect(PROMPT)
            c.expect(PROMPT)
            shown = re.search(r'"(16Uiu2\w+)"', a.send("(host id)"))
            assert shown is not None
            a_id = shown.group(1)
            assert "announced echo-service" in a.send('(announce "echo-service")')

            assert a_id in c.send('(find "echo-service")')
            assert "from-c" in c.send('(dial "echo-service" echo "from-c")')
            assert a_id not in c.send('(find "no-such-service")')

            os.write(a.fd, b"(exit)\n")
            assert a.wait() == 0
            # A's record is still held by B, but A no longer confirms it.
            after = c.send('(find "echo-service")')
            assert a_id not in after, after
            assert "nobody provides echo-service" in c.send('(dial "echo-service" echo "x")')
