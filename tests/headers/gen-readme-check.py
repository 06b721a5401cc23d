#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the README's C snippet (the first ```c block) into a function, so
that the build proves the tour's C is true for the current API.

    gen-readme-check.py README.md OUTPUT.c
"""
import re
import sys

text = open(sys.argv[1]).read()
block = re.search(r"^```c\n(.*?)^```", text, re.M | re.S).group(1)
includes = [l for l in block.splitlines() if l.startswith("#include")]
body = [l for l in block.splitlines() if not l.startswith("#include")]
out = ["/* generated from README.md by gen-readme-check.py: do not edit */"] + includes
out += ["", "int readme_tour(gpointer buf, gsize size);", "int", "readme_tour(gpointer buf, gsize size)", "{"]
out += ["\t" + l for l in body]
out += ["\treturn c != NULL;", "}", ""]
open(sys.argv[2], "w").write("\n".join(out))
