"""The standard library the shared agent runtime bundles, and what WASI cannot have.

Data only, so the host (tests, `ww doctor`, docs) can read the lists without
importing a hundred modules; `wetnode.guest.runtime` imports every name in
`BUNDLED` while componentize-py builds it, which is what puts their code in
the runtime component.
"""

from __future__ import annotations

# The standard library an agent can import.  Each name here is imported now,
# so its code is in the runtime component (see the module docstring).
BUNDLED = (
    "abc", "argparse", "array", "ast", "asyncio", "base64", "binascii", "bisect", "calendar",
    "cmath", "codecs", "collections", "collections.abc", "colorsys", "contextlib",
    "contextvars", "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "email",
    "email.message", "email.parser", "email.policy", "email.utils", "enum", "errno",
    "fnmatch", "fractions", "functools", "getopt", "gettext", "glob", "graphlib", "gzip",
    "hashlib", "heapq", "hmac", "html", "html.parser", "http", "http.cookies", "importlib",
    "importlib.metadata", "importlib.resources", "inspect", "io", "ipaddress", "itertools",
    "json", "keyword", "linecache", "locale", "logging", "math", "mimetypes", "numbers",
    "operator", "os", "os.path", "pathlib", "pickle", "pkgutil", "platform", "pprint",
    "queue", "quopri", "random", "re", "reprlib", "sched", "secrets", "shlex", "shutil",
    "sqlite3", "statistics", "string", "stringprep", "struct", "sys", "tempfile", "textwrap",
    "time", "timeit", "tokenize", "tomllib", "traceback", "types", "typing", "unicodedata",
    "urllib", "urllib.parse", "uuid", "warnings", "weakref", "xml", "xml.dom.minidom",
    "xml.etree.ElementTree", "xml.sax", "zipfile", "zlib", "zoneinfo",
)

# Standard library modules an agent cannot have in the runtime, and why (measured in
# componentize-py 0.25.1's CPython under wasmtime's WASI 0.2).
UNAVAILABLE = {
    "ssl": "CPython is built for WASI without OpenSSL (no _ssl); the network is a capability",
    "ctypes": "no libffi (no _ctypes): WebAssembly cannot call native code",
    "lzma": "built without liblzma (no _lzma)",
    "bz2": "built without libbz2 (no _bz2)",
    "readline": "WASI has no terminal control",
    "termios": "WASI has no terminal control",
    "pty": "WASI has no terminal control",
    "curses": "WASI has no terminal control (no _curses)",
    "tkinter": "no GUI toolkit in WASI (no _tkinter)",
    "fcntl": "WASI has no fcntl",
    "mmap": "WASI has no mmap",
    "resource": "WASI has no resource limits",
    "grp": "WASI has no users or groups",
    "pwd": "WASI has no users or groups",
}

LIMITED = {
    "asyncio": "imports, but its event loop needs a socket pair, which the sandbox denies: "
               "an agent's coroutines run on the SDK's own loop (`wetnode.guest.run`)",
    "threading": "imports, but WASI 0.2 has no threads: starting one raises RuntimeError",
    "subprocess": "imports, but WASI has no processes: children are started with the executor",
    "multiprocessing": "imports, but WASI has no processes: children are started with the "
                       "executor",
    "socket": "imports, but the sandbox denies every socket: the network is a capability",
}
"""Modules that import in the runtime but whose main job WASI or the sandbox does not allow."""
