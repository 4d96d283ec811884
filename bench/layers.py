"""Merging and materialising image layers: 10,000 files in two layers.

Target: under 1 s for merge + materialise.  Baseline in the same run: a
plain `shutil.copytree` of the same files (what a naive copy would cost).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench.timing import measure, row
from wetnode import image

FILES = 10_000


def _make_layers(base: Path) -> list[str]:
    lower, upper = base / "lower", base / "upper"
    for layer, count in ((lower, FILES // 2), (upper, FILES // 2)):
        for i in range(count):
            d = layer / f"d{i % 100:02d}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"f{i}.txt").write_bytes(b"x" * 64)
    (lower / "boot").mkdir()
    (lower / "boot" / "main.wasm").write_bytes(b"\0asm")
    return [str(lower), str(upper)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        mounts = _make_layers(base)
        runs = iter(range(1_000_000))

        def merge_and_materialise() -> None:
            merged = image.merge(image.resolve_mounts(mounts))
            image.materialize(merged.files, base / f"root{next(runs)}")

        def copy_tree() -> None:
            dest = base / f"copy{next(runs)}"
            for m in mounts:
                shutil.copytree(m, dest, dirs_exist_ok=True)

        ours = measure(merge_and_materialise, 5)
        baseline = measure(copy_tree, 5)
        print(row(f"merge+materialise {FILES} files", ours, baseline, target="< 1000 ms"))


if __name__ == "__main__":
    main()
