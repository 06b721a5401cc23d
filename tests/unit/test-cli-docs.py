#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man page and the bash completion stay in step with hiodctl's command
table, its options, its backends and its exit statuses (read from
`hiodctl --help`, which renders them from hiodctl.c's tables), and
docs/json-schema.md with the exit statuses. Prints TAP."""
import json
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


def section(title):
    """the lines of one section of --help (after "Title:", up to a blank line)"""
    m = re.search(r"^%s:\n((?:  .*\n)+)" % re.escape(title), help_text, re.M)
    return m.group(1).splitlines() if m else []


# every option: in the man page and in the completion
options = [re.match(r"  --([a-z-]+)", l).group(1) for l in section("Options") + section("Command options")]
comp_opts = re.search(r'opts="([^"]*)"', comp).group(1).split()
man_opts = set(re.findall(r"\\-\\-([a-z][a-z\\-]*)", man))
man_opts = {o.replace("\\-", "-") for o in man_opts}
check(len(options) >= 10, "hiodctl --help lists the options: %s" % " ".join(options))
check(sorted("--" + o for o in options) == sorted(comp_opts),
      "bash completion options %s == %s" % (comp_opts, options))
check(not set(options) - man_opts, "the man page names every option (missing: %s)" % sorted(set(options) - man_opts))

# every backend (the HiodBackendKind nicks) in --backend's help, the man page, the completion
backend_line = [l for l in section("Command options") if l.startswith("  --backend ")]
m = re.search(r": ([a-z, ]+) \(this build: ([a-z, ]*)\)", backend_line[0] if backend_line else "")
backends = m.group(1).split(", ") if m else []
built = [b for b in m.group(2).split(", ") if b != "none"] if m else []
schema = json.load(open(os.path.join(top, "docs", "hiodctl.schema.json")))
check(backends == schema["$defs"]["backend"]["enum"],
      "--backend's help lists every backend, as the schema %s (%s)" % (schema["$defs"]["backend"]["enum"], backends))
check(m is not None and set(built) <= set(backends), "--backend's help says which are built (%s)" % built)
comp_backends = re.search(r'--backend\)\n\s*COMPREPLY=\(\$\(compgen -W "([^"]*)"', comp)
check(comp_backends is not None and comp_backends.group(1).split() == backends,
      "bash completion of --backend %s == %s" % (comp_backends and comp_backends.group(1).split(), backends))
para = re.search(r'^\.BI \\-\\-backend " KIND"\n(.*?)^\.(?:TP|SH)', man, re.M | re.S)
man_backends = re.findall(r"\\fB([a-z0-9]+)\\fR", para.group(1)) if para else []
check(man_backends == backends, "the man page's --backend lists %s (%s)" % (backends, man_backends))

# the exit statuses: hiodctl.c's table (--help) == hiodctl(1) EXIT STATUS == docs/json-schema.md
table = [(int(s), name) for s, name in (re.match(r"  (\d+)\s+(\S+)", l).groups() for l in section("Exit status"))]
man_exit = man[man.index(".SH EXIT STATUS"):]
man_exit = man_exit[:man_exit.index("\n.SH", 1)] if "\n.SH" in man_exit[1:] else man_exit
man_table = [(int(s), name.replace("\\-", "-")) for s, name in re.findall(r"^\.TP\n\.B (\d+) (\S+)$", man_exit, re.M)]
check(len(table) > 0 and [s for s, _ in table] == sorted(s for s, _ in table) and
      len({s for s, _ in table}) == len(table), "hiodctl --help prints the exit statuses, each once: %s" % table)
check(table == man_table, "hiodctl(1) EXIT STATUS %s == hiodctl's table %s" % (man_table, table))
errors = schema["$defs"]["error_code"]["enum"]
missing = [e for e in errors if e not in dict((name, s) for s, name in table)]
check(not missing, "every error code has an exit status (missing: %s)" % missing)
page = open(os.path.join(top, "docs", "json-schema.md")).read()
m = re.search(r"^The exit status .*?(?=^$)", page, re.M | re.S)
md_table = [(int(s), name) for s, name in re.findall(r"\b(\d+) `?([a-z][a-z-]*)`?", m.group(0))] if m else []
check(md_table == table, "docs/json-schema.md's exit statuses %s == hiodctl's table" % md_table)
finish()
