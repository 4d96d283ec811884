"""A PATH tool for the kernel shell: prints its arguments; `--exit N` sets the exit code."""

import sys


def main() -> int:
    args = sys.argv[1:]
    code = 0
    if "--exit" in args:
        i = args.index("--exit")
        code = int(args[i + 1])
        del args[i : i + 2]
    print(" ".join(args))
    return code
