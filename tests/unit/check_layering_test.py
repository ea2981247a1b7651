#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/check-layering can fail: on a copy of the repository's layering table and sources it
passes as the tree is, then fails, naming the file and line, on an include against the table
(l2l3/ including session/), on an include cycle between folders (the table edited to allow
both directions) and on a folder the table does not list. Usage: check_layering_test.py [REPO]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
tool = os.path.join(repo, "tools", "check-layering")
failures = []


def copy_tree(dst):
    for part in ("docs", os.path.join("src", "common"), os.path.join("src", "dataplane"),
                 os.path.join("include", "svr")):
        shutil.copytree(os.path.join(repo, part), os.path.join(dst, part))


def run(root):
    p = subprocess.run([sys.executable, tool, root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def expect(name, root, rc_ok, *needles):
    rc, out = run(root)
    if (rc == 0) != rc_ok or not all(n in out for n in needles):
        failures.append(f"{name}: exit {rc}, wanted {'0' if rc_ok else 'non-zero'} with "
                        f"{list(needles)}; output:\n{out}")
    else:
        print(f"ok: {name}")


def append_include(root, rel, header):
    path = os.path.join(root, rel)
    with open(path, "a") as f:
        f.write(f'#include "{header}"\n')
    return f"{rel}:{sum(1 for _ in open(path))}"


def edit_table(root, folder, also):
    """Adds `also` to what folder may include, in the copy's table."""
    doc = os.path.join(root, "docs", "architecture.md")
    text = open(doc).read()
    row = re.compile(r"^(\| \d+ \| `" + folder + r"` \| )", re.M)
    text, n = row.subn(r"\1`" + also + "`, ", text)
    assert n == 1, f"no row for {folder}"
    open(doc, "w").write(text)


with tempfile.TemporaryDirectory() as tmp:
    clean = os.path.join(tmp, "clean")
    copy_tree(clean)
    expect("the tree as it is", clean, True, "includes follow the layers table")

    bad = os.path.join(tmp, "against")
    copy_tree(bad)
    at = append_include(bad, "src/dataplane/l2l3/fib.c", "session/sessions.h")
    expect("l2l3/ including session/", bad, False, at, "l2l3/ (layer 2) may not include session/")

    cyc = os.path.join(tmp, "cycle")
    copy_tree(cyc)
    edit_table(cyc, "l2l3", "session")
    at = append_include(cyc, "src/dataplane/l2l3/fib.c", "session/sessions.h")
    expect("a cycle the table allows", cyc, False, "the table allows a cycle between",
           "include cycle between", at)

    stray = os.path.join(tmp, "stray")
    copy_tree(stray)
    os.makedirs(os.path.join(stray, "src", "dataplane", "misc"))
    open(os.path.join(stray, "src", "dataplane", "misc", "x.c"), "w").write("int x;\n")
    expect("a folder not in the table", stray, False, "folder misc is not in the layers table")

if failures:
    print("\n".join(failures))
    sys.exit(1)
