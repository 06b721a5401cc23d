# SPDX-License-Identifier: LGPL-2.1-or-later
"""TAP for the Python tests in tests/unit and tests/vm: one counter a program.

    import os, sys
    sys.dont_write_bytecode = True  # the guest sees the source tree read-only
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from hiodtap import check, finish, skip, skip_all

check(ok, what) prints "ok N - what" or "not ok N - what" (flushed, so the
lines interleave correctly with a child's output) and returns ok; skip(why)
prints "ok N # SKIP why"; finish() prints the plan "1..N" and exits 1 if any
check failed, else 0; skip_all(why) prints "1..0 # SKIP why" and exits 0.
"""
import sys

n = 0
failed = 0


def check(ok, what):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what), flush=True)
    return ok


def skip(why):
    global n
    n += 1
    print("ok %d # SKIP %s" % (n, why), flush=True)


def finish():
    print("1..%d" % n, flush=True)
    sys.exit(1 if failed else 0)


def skip_all(why):
    print("1..0 # SKIP %s" % why, flush=True)
    sys.exit(0)
