#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man page and the bash completion stay in step with hiodctl's command
table (read from `hiodctl --help`). Prints TAP."""
import os
import re
import subprocess
import sys

src = os.environ["G_TEST_SRCDIR"]
top = os.path.abspath(os.path.join(src, "..", ".."))
help_text = subprocess.run([os.environ["HIODCTL"], "--help"], capture_output=True, text=True).stdout
commands = re.findall(r"^  ([a-z][a-z-]*)\b", help_text.split("Options:")[0], re.M)
man = open(os.path.join(top, "docs", "hiodctl.1")).read()
man_cmds = re.findall(r"^\.SS ([a-z][a-z-]*)", man, re.M)
comp = open(os.path.join(top, "docs", "hiodctl.bash-completion")).read()
comp_cmds = re.search(r'cmds="([^"]*)"', comp).group(1).split()
n = 0
bad = 0
def check(ok, what):
    global n, bad
    n += 1
    bad += 0 if ok else 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
check(len(commands) > 0, "hiodctl --help lists commands: %s" % " ".join(commands))
check(sorted(commands) == sorted(man_cmds), "man page commands %s == %s" % (man_cmds, commands))
check(sorted(commands) == sorted(comp_cmds), "bash completion commands %s == %s" % (comp_cmds, commands))
print("1..%d" % n)
sys.exit(1 if bad else 0)
