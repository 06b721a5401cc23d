#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Diffs the dynamic symbols libhiod.so defines (nm -D --defined-only) against
the checked-in ABI list (src/libhiod.symbols), keeping the list's lines whose
build option is on. Exits 1 and names each symbol that was added or removed.
--pretend-added/--pretend-removed change the expected list in memory, so the
suite can prove that the check fails on either difference."""
import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish  # noqa: E402


def exported(nm, lib):
    out = subprocess.run([nm, "-D", "--defined-only", lib], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        name = fields[2].split("@")[0]
        if re.fullmatch(r"HIOD_[0-9.]+", name):  # the version node itself
            continue
        names.add(name)
    return names


def expected(path, features):
    names = set()
    for n, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) > 2:
            sys.exit(f"{path}:{n}: expected 'symbol [option]', got '{line}'")
        if len(fields) == 1 or fields[1] in features:
            names.add(fields[0])
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--symbols", required=True)
    ap.add_argument("--features", default="", help="comma-separated build options that are on")
    ap.add_argument("--pretend-added", action="append", default=[],
                    help="drop this name from the expected list (as if the library added it)")
    ap.add_argument("--pretend-removed", action="append", default=[],
                    help="add this name to the expected list (as if the library dropped it)")
    args = ap.parse_args()
    features = set(f for f in args.features.split(",") if f)
    want = expected(args.symbols, features)
    want -= set(args.pretend_added)
    want |= set(args.pretend_removed)
    have = exported(args.nm, args.lib)
    added = sorted(have - want)
    removed = sorted(want - have)
    for s in added:
        print(f"# exported but not in {args.symbols}: {s} (new public API? add its line; "
              f"else keep it out of the public headers or without HIOD_AVAILABLE_IN_*)")
    for s in removed:
        print(f"# in {args.symbols} but not exported: {s} (an ABI break: removed or hidden)")
    check(not added and not removed,
          f"{len(have)} exported symbols match {args.symbols}" if not added and not removed
          else f"{len(added)} added, {len(removed)} removed")
    finish()


if __name__ == "__main__":
    main()
