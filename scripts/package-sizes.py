#!/usr/bin/env python3
"""Print the Markdown table of files and lines per part of cinema/ (docs/ARCHITECTURE.md).

Usage: scripts/package-sizes.py   (from the repository root; stdlib only)
A package counts its .py files at any depth; the top-level modules are one row.
"""
from pathlib import Path

CINEMA = Path(__file__).resolve().parent.parent / "cinema"


def lines(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in handle)


rows = []
for package in sorted(p for p in CINEMA.iterdir() if (p / "__init__.py").exists()):
    files = sorted(package.rglob("*.py"))
    rows.append((f"cinema/{package.name}/", len(files), sum(map(lines, files))))
top = sorted(CINEMA.glob("*.py"))
rows.append(("cinema/*.py (top-level modules)", len(top), sum(map(lines, top))))
print("| part | .py files | lines |")
print("|---|---:|---:|")
for name, count, total in rows:
    print(f"| `{name}` | {count} | {total} |")
print(f"| **total** | **{sum(r[1] for r in rows)}** | **{sum(r[2] for r in rows)}** |")
