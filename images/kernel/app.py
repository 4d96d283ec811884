"""The default Wetware kernel (pid0).  `ww build images/kernel` makes boot/main.wasm."""

import wit_world

import wetnode.guest as ww
from kernel import main as kernel_main


class WitWorld(wit_world.WitWorld):
    def run(self) -> int:
        return ww.run(kernel_main.main)
