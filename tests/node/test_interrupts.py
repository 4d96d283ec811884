"""The shutdown rule: a signal asks for a clean stop; only a second Ctrl-C gives up."""

from __future__ import annotations

import signal

from wetnode.node import Interrupts


def test_first_signal_asks_for_a_clean_stop_and_a_second_ctrl_c_gives_up() -> None:
    interrupts = Interrupts()
    assert not interrupts.requested
    assert interrupts.give_up(signal.SIGINT) is False
    assert interrupts.requested
    assert interrupts.give_up(signal.SIGINT) is True


def test_repeated_sigterm_keeps_waiting_for_the_clean_stop() -> None:
    interrupts = Interrupts()
    assert interrupts.give_up(signal.SIGTERM) is False
    assert interrupts.give_up(signal.SIGTERM) is False
    assert interrupts.give_up(signal.SIGINT) is True
