#!/usr/bin/env python3
"""Measures code generation at scale (docs/performance.md, issue 10 item 4).

Usage: scripts/codegen-bench.py [--plugport PATH] [--functions N] [--runs R]
                                [--no-callgrind] [--cc gcc]

On the world of scripts/big-world.py (1,000 functions by default) it prints:

- for each `plugport gen --lang <lang>` (c, cpp, rust, go-host, go-guest): the
  instructions of the whole process under `valgrind --tool=callgrind` (exact and
  repeatable on a busy machine), and the median CPU time (user + system) and wall time
  of R runs;
- for the C header: the median CPU time of `<cc> -std=c99 -O2 -c` of a plugin
  translation unit that includes the header and expands the EXPORT macro, as a host
  would include it (everything), with `#define PP_PLUGIN_SIDE` (what a plugin needs),
  and two floors measured in the same run: an empty translation unit (the compiler's
  start-up) and the PP_PLUGIN_SIDE unit with the header cut to its types, tables,
  validators and descriptor (no callers, no trampolines, no byte-list macro).

Without --plugport it builds `cargo build --release -p plugport-codegen --bin plugport`
first. Needs python3, valgrind (unless --no-callgrind) and the C compiler. Scratch files
go to a temporary directory that is removed at the end.
"""
import argparse
import importlib.util
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

_spec = importlib.util.spec_from_file_location("big_world", os.path.join(HERE, "big-world.py"))
big_world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(big_world)

LANGS = ["c", "cpp", "rust", "go-host", "go-guest"]


def timed(cmd, **kw):
    """Runs cmd; returns (cpu seconds of the child, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def median_times(cmd, runs, **kw):
    cpus, walls = [], []
    for _ in range(runs):
        c, w = timed(cmd, **kw)
        cpus.append(c)
        walls.append(w)
    return statistics.median(cpus), statistics.median(walls)


def instructions(cmd, out_file):
    """Ir of the whole process under callgrind."""
    r = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"] + cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    m = re.search(r"Collected : (\d+)", r.stderr)
    if not m:
        sys.exit(f"no instruction count in callgrind's output:\n{r.stderr}")
    return int(m.group(1))


def floor_header(text):
    """The header without checked callers, trampolines and the byte-list macro."""
    # The world's callers, after its tables (the core block of callers comes first).
    start = text.index("\n/* ---- Checked callers", text.index("/* ---- World tables"))
    end = text.index("/* ---- Plugin file:")
    text = text[:start] + "\n" + text[end:]
    m = re.search(r"#define \w+_WORLD_JSON_BYTES \\\n(.*?)\n\n", text, re.S)
    if m:
        text = text[: m.start(1)] + "    0" + text[m.end(1):]
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugport", help="the plugport binary (default: build the release one)")
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=11, help="timed runs per measurement (median)")
    ap.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts")
    ap.add_argument("--cc", default="gcc")
    args = ap.parse_args()

    repo = os.path.dirname(HERE)
    plugport = args.plugport
    if plugport is None:
        subprocess.run(
            ["cargo", "build", "--release", "-p", "plugport-codegen", "--bin", "plugport"],
            cwd=repo,
            check=True,
        )
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(repo, "target"))
        plugport = os.path.join(target, "release", "plugport")
    plugport = os.path.abspath(plugport)

    with tempfile.TemporaryDirectory(prefix="plugport-codegen-bench-") as tmp:
        wit = os.path.join(tmp, "big.wit")
        with open(wit, "w", encoding="utf-8") as f:
            f.write(big_world.world(args.functions))
        print(f"world: {args.functions} functions ({wit}); plugport: {plugport}")
        print()
        print("| `plugport gen --lang` | instructions | CPU time (median) | wall (median) |")
        print("|---|---|---|---|")
        for lang in LANGS:
            out = os.path.join(tmp, "out-" + lang)
            cmd = [plugport, "gen", wit, "--out", out, "--lang", lang]
            ir = "" if args.no_callgrind else f"{instructions(cmd, os.path.join(tmp, 'cg.out')) / 1e6:.0f} M"
            cpu, wall = median_times(cmd, args.runs)
            print(f"| {lang} | {ir} | {cpu * 1e3:.1f} ms | {wall * 1e3:.1f} ms |")

        # The C plugin translation unit.
        cdir = os.path.join(tmp, "out-c")
        header = [n for n in os.listdir(cdir) if n.endswith(".h")][0]
        text = open(os.path.join(cdir, header), encoding="utf-8").read()
        upper = re.search(r"#define (\w+)_EXPORT\(NAME, VERSION, INIT\)", text).group(1)
        lower = re.search(r"\} (\w+)_imports;", text).group(1)
        fdir = os.path.join(tmp, "floor")
        os.makedirs(fdir)
        with open(os.path.join(fdir, header), "w", encoding="utf-8") as f:
            f.write(floor_header(text))
        tu = (
            f'#include "{header}"\n'
            f"static pp_status init(const {lower}_imports *imports,\n"
            f"                      const {lower}_exports **exports, pp_string *err) {{\n"
            "    (void)imports;\n    (void)exports;\n    (void)err;\n"
            "    return PP_ERR_INIT;\n}\n"
            f'{upper}_EXPORT("big", "1.0.0", init)\n'
        )
        sources = {
            "empty.c": "int pp_bench_unused;\n",
            "host_style.c": tu,
            "plugin_side.c": "#define PP_PLUGIN_SIDE\n" + tu,
        }
        for name, src in sources.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(src)
        flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-fPIC", "-c"]
        rows = [
            ("empty translation unit (compiler start-up)", "empty.c", cdir),
            ("header + EXPORT, everything (as a host includes it)", "host_style.c", cdir),
            ("header + EXPORT with `PP_PLUGIN_SIDE`", "plugin_side.c", cdir),
            ("floor: types, tables, validators, descriptor only", "plugin_side.c", fdir),
        ]
        print()
        print(f"| `{args.cc} -O2 -c`, {header} ({len(text) / 1e6:.1f} MB) | CPU time (median) |")
        print("|---|---|")
        for label, src, inc in rows:
            cmd = [args.cc] + flags + ["-I", inc, os.path.join(tmp, src), "-o", os.path.join(tmp, "x.o")]
            cpu, _ = median_times(cmd, args.runs)
            print(f"| {label} | {cpu * 1e3:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
