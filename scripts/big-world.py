#!/usr/bin/env python3
"""Writes the 1,000-function WIT world of docs/performance.md "Code generation at scale".

Usage: scripts/big-world.py [OUT.wit] [--functions N]   (default: big.wit, 1000)

One interface `ops` with N functions, a quarter each of the shapes
  op<i>: func(a: u32, b: string) -> u32
  op<i>: func(p: point) -> list<point>
  op<i>: func(xs: list<string>) -> option<string>
  op<i>: func() -> result<u64, string>
exported by the world `big` of package `bench:big@1.0.0`. The output depends only on N,
so every run (and every machine) measures the same world.
"""
import argparse
import sys

SHAPES = [
    "func(a: u32, b: string) -> u32",
    "func(p: point) -> list<point>",
    "func(xs: list<string>) -> option<string>",
    "func() -> result<u64, string>",
]


def world(functions: int) -> str:
    lines = [
        "package bench:big@1.0.0;",
        "",
        "interface ops {",
        "  record point { x: s32, y: s32 }",
    ]
    for i in range(functions):
        lines.append(f"  op{i}: {SHAPES[i % len(SHAPES)]};")
    lines += ["}", "", "world big {", "  export ops;", "}", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="big.wit", help="WIT file to write (- for stdout)")
    ap.add_argument("--functions", type=int, default=1000, help="number of functions (default 1000)")
    args = ap.parse_args()
    if args.functions < 1:
        ap.error("--functions must be at least 1")
    text = world(args.functions)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
