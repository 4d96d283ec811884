"""The default Wetware kernel (pid0).  `ww build images/kernel` writes boot/main.wasm.

The kernel package lives at the image root (`/kernel`, beside `boot/`, where
the tests import it natively too), so the root joins the agent's path.  The
shared agent runtime runs `main` through `wetnode.guest.run`.
"""

import sys

sys.path.append("/")

from kernel.main import main

__all__ = ["main"]
