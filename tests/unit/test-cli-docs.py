#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man page and the bash completion stay in step with hiodctl's command
table (read from `hiodctl --help`). Prints TAP."""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish  # noqa: E402

src = os.environ["G_TEST_SRCDIR"]
top = os.path.abspath(os.path.join(src, "..", ".."))
help_text = subprocess.run([os.environ["HIODCTL"], "--help"], capture_output=True, text=True).stdout
commands = re.findall(r"^  ([a-z][a-z-]*)\b", help_text.split("Options:")[0], re.M)
man = open(os.path.join(top, "docs", "hiodctl.1")).read()
man_cmds = re.findall(r"^\.SS ([a-z][a-z-]*)", man, re.M)
comp = open(os.path.join(top, "docs", "hiodctl.bash-completion")).read()
comp_cmds = re.search(r'cmds="([^"]*)"', comp).group(1).split()
check(len(commands) > 0, "hiodctl --help lists commands: %s" % " ".join(commands))
check(sorted(commands) == sorted(man_cmds), "man page commands %s == %s" % (man_cmds, commands))
check(sorted(commands) == sorted(comp_cmds), "bash completion commands %s == %s" % (comp_cmds, commands))
finish()
