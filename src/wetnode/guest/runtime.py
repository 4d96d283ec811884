"""The shared agent runtime's entry: run the agent an image holds, `/boot/main.py`.

`ww build` turns this module (CPython, the guest SDK and the standard library
modules in `BUNDLED`) into one component per SDK version, cached, and writes
it as every Python agent's `boot/main.wasm`.  So every agent has the same
bytes, is compiled by wasmtime once for all of them, and an agent itself is
only its `.py` files, read from the image at run time:

- `/boot/main.py`, imported as the module `main`; its top level runs first;
- then its `main()`, if it has one: an `async def main()` runs through
  `wetnode.guest.run` (the host channel, as every guest SDK agent does), a
  plain `def main()` is called; the value returned is the exit code (None: 0);
- `/boot` and `/lib/python` (the agent's modules and vendored packages) are on
  `sys.path`, ahead of the bundled modules.

A standalone build (`ww build --standalone`) makes a component of this same
module with the agent's directories on the build path: the agent is imported
while componentize-py builds, so it is inside the component and runs without
an image (a child started from bytes).  The shared runtime's bytes hold no
agent (they are the same for every agent), so a child started from them
alone (`runBytes`, `load`) has nothing to run: it says so in one line.

componentize-py snapshots the interpreter after importing this module and
embeds only the modules imported by then: the standard library has no files
in the guest, so a module an agent may import must be imported here.
`wetnode.guest.stdlib.BUNDLED` is that list (docs/guest-sdk.md).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import os
import sys
import traceback
from types import ModuleType

import wetnode.guest as ww
import wetnode.guest.policy  # noqa: F401  (embedded: agents import the policy library)
from wetnode.guest.stdlib import BUNDLED

AGENT_MODULE = "main"
AGENT_PATHS = ("/boot", "/lib/python")
NO_AGENT_EXIT = 1

for _name in BUNDLED:
    importlib.import_module(_name)


def _preloaded_agent() -> ModuleType | None:
    """The agent module, if it is on the path while this module is imported.

    That is a standalone build (its directories are on componentize-py's
    path), whose agent must be imported now to be inside the component.  The
    shared runtime is built with no `main` module anywhere, so it imports the
    agent at run time instead.
    """
    if importlib.util.find_spec(AGENT_MODULE) is None:
        return None
    return importlib.import_module(AGENT_MODULE)


_AGENT = _preloaded_agent()


def run_agent() -> int:
    """Import the image's agent and run its `main`; a traceback and exit 1 if it raises.

    The agent's code is the user's own, so its exception is shown as Python
    shows it, never as a trap of the runtime.
    """
    sys.dont_write_bytecode = True  # the image is read-only
    _write_every_byte()
    try:
        return _run_main()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # nobody reads it any more
                stream.flush()


def _run_main() -> int:
    try:
        agent = _AGENT or _import_agent()
        if agent is None:
            print(_no_agent(), file=sys.stderr)
            return NO_AGENT_EXIT
        main = getattr(agent, "main", None)
        if main is None:
            return 0
        if inspect.iscoroutinefunction(main):
            return ww.run(main)
        code = main()
    except SystemExit as exc:
        return _exit_code(exc.code)
    except BaseException as exc:
        # From the agent's own frames on: the runtime's frame is noise to its author.
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        traceback.print_exception(type(exc), exc, tb, file=sys.stderr)
        return 1
    return 0 if code is None else int(code)


def _no_agent() -> str:
    """Why there is no agent to run, and what to do: one line."""
    if not os.path.isdir("/"):  # no filesystem at all: started from bytes alone
        return ("no agent: this child was started from the shared runtime's bytes alone, "
                "which hold no agent; build it with `ww build --standalone` to start it "
                "from bytes, or start it from its image with loadPath")  # fmt: skip
    return (f"no agent: this image has no {AGENT_PATHS[0]}/{AGENT_MODULE}.py "
            "(write one, then run `ww build`)")  # fmt: skip


def _write_every_byte() -> None:
    """Give the agent a stdout and stderr that deliver all it writes.

    The guest's libc writes at most 64 KiB per call and componentize-py's
    `sys.stdout.buffer` is the raw file, which hands the short count back to
    the caller: `sys.stdout.buffer.write` or `print` of 1 MiB delivered
    64 KiB.  A `BufferedWriter` writes again until every byte is out.
    Line-buffered, so a shell's output still comes as it is printed.
    """
    for fd, name in ((1, "stdout"), (2, "stderr")):
        raw = io.FileIO(fd, "w", closefd=False)
        text = io.TextIOWrapper(
            io.BufferedWriter(raw), encoding="utf-8", errors="backslashreplace",
            line_buffering=True, write_through=fd == 2,
        )  # fmt: skip
        setattr(sys, name, text)


def _import_agent() -> ModuleType | None:
    sys.path[:0] = [path for path in AGENT_PATHS if path not in sys.path]
    importlib.invalidate_caches()
    if importlib.util.find_spec(AGENT_MODULE) is None:
        return None
    return importlib.import_module(AGENT_MODULE)


def _exit_code(code: object) -> int:
    """`sys.exit(x)` as Python maps it: None is 0, an int is itself, anything else printed, 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


try:
    import wit_world  # type: ignore[import-not-found]
except ImportError:  # not inside a componentize-py build
    pass
else:

    class WitWorld(wit_world.WitWorld):  # type: ignore[misc]
        def run(self) -> int:
            return run_agent()
