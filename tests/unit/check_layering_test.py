#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/check-layering can fail: on a copy of the repository's layering table and sources it
passes as the tree is, then fails, naming the file and line, on an include against the table
(l2l3/ including session/), on an include cycle between folders (the table edited to allow
both directions) and on a folder the table does not list.

It also fails on each way an include that compiles could slip past a check that reads only
`#include "FOLDER/..."` lines of .c and .h files: the same header named through another include
directory (`dataplane/session/...`, `<session/...>`), relative to the file (`../session/...`) or
through a symlinked folder; a directive split by a backslash-newline or preceded by a comment;
a computed include (#include MACRO); a file directly in src/dataplane/; a .inc or an upper-case
.DEF file; an include of a file outside every folder of the table (src/control/). And on a table
that lets a folder include a higher layer or names a folder that does not exist.
Usage: check_layering_test.py [REPO]
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
AGAINST = "l2l3/ (layer 2) may not include session/"


def copy_tree(dst):
    for part in ("docs", os.path.join("src", "common"), os.path.join("src", "dataplane"),
                 os.path.join("include", "svr")):
        shutil.copytree(os.path.join(repo, part), os.path.join(dst, part))
    return dst


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


def append(root, rel, text, line=0):
    """Appends text to the file rel (made if missing); "rel:N" of the text's line `line`."""
    path = os.path.join(root, rel)
    before = sum(1 for _ in open(path)) if os.path.exists(path) else 0
    with open(path, "a") as f:
        f.write(text)
    return f"{rel}:{before + 1 + line}"


def append_include(root, rel, header):
    return append(root, rel, f'#include "{header}"\n')


def edit_table(root, folder, also):
    """Adds `also` to what folder may include, in the copy's table."""
    doc = os.path.join(root, "docs", "architecture.md")
    text = open(doc).read()
    row = re.compile(r"^(\| \d+ \| `" + folder + r"` \| )", re.M)
    text, n = row.subn(r"\1`" + also + "`, ", text)
    assert n == 1, f"no row for {folder}"
    open(doc, "w").write(text)


def include_case(tmp, name, text, line=0, rel="src/dataplane/l2l3/fib.c", *needles):
    """l2l3/ reaching session/ by `text` appended to rel: the check must name rel and the line."""
    root = copy_tree(os.path.join(tmp, re.sub(r"\W+", "_", name)))
    at = append(root, rel, text, line)
    expect(name, root, False, at, *(needles or (AGAINST,)))
    return root


with tempfile.TemporaryDirectory() as tmp:
    clean = copy_tree(os.path.join(tmp, "clean"))
    expect("the tree as it is", clean, True, "includes follow the layers table")

    bad = copy_tree(os.path.join(tmp, "against"))
    at = append_include(bad, "src/dataplane/l2l3/fib.c", "session/sessions.h")
    expect("l2l3/ including session/", bad, False, at, AGAINST)

    cyc = copy_tree(os.path.join(tmp, "cycle"))
    edit_table(cyc, "l2l3", "session")
    at = append_include(cyc, "src/dataplane/l2l3/fib.c", "session/sessions.h")
    expect("a cycle the table allows", cyc, False, "the table allows a cycle between",
           "include cycle between", at)

    stray = copy_tree(os.path.join(tmp, "stray"))
    os.makedirs(os.path.join(stray, "src", "dataplane", "misc"))
    open(os.path.join(stray, "src", "dataplane", "misc", "x.c"), "w").write("int x;\n")
    expect("a folder not in the table", stray, False, "folder misc is not in the layers table")

    # The same header by every name the compiler finds it by (-Isrc, -Isrc/dataplane, the
    # file's own folder, a symlink).
    include_case(tmp, "through src/: dataplane/session/",
                 '#include "dataplane/session/sessions.h"\n')
    include_case(tmp, "angle brackets: <session/...>", "#include <session/sessions.h>\n")
    include_case(tmp, "relative: ../session/", '#include "../session/sessions.h"\n')
    link = copy_tree(os.path.join(tmp, "symlink"))
    os.symlink(os.path.join("..", "session"),
               os.path.join(link, "src", "dataplane", "l2l3", "sess"))
    at = append_include(link, "src/dataplane/l2l3/fib.c", "sess/sessions.h")
    expect("a symlinked folder: l2l3/sess -> ../session", link, False, at, AGAINST)

    # Directives as the preprocessor reads them: the line named is the one of the `#`.
    include_case(tmp, "backslash-newline after #include", '#include \\\n"session/sessions.h"\n')
    include_case(tmp, "backslash-newline inside #include", '#inc\\\nlude "session/sessions.h"\n')
    include_case(tmp, "a comment before #", '/**/ #include "session/sessions.h"\n')
    include_case(tmp, "a comment across lines before #",
                 '/* one\n two */ #include "session/sessions.h"\n', 1)
    include_case(tmp, "a comment between # and include", '# /*\n */ include "session/sessions.h"\n')
    include_case(tmp, "the digraph %:", '%:include "session/sessions.h"\n')
    include_case(tmp, "a computed include",
                 '#define SESSIONS "session/sessions.h"\n#include SESSIONS\n', 1,
                 "src/dataplane/l2l3/fib.c", "computed include")
    include_case(tmp, "a computed include in src/common/", "#include SVR_HEADER\n", 0,
                 "src/common/log.c", "computed include")
    include_case(tmp, "a computed include in include/svr/", "#include SVR_HEADER\n", 0,
                 "include/svr/counters.h", "computed include")

    # Every file is read, whatever its extension, and a source needs a layer.
    include_case(tmp, "a .inc file", '#include "session/sessions.h"\n', 0,
                 "src/dataplane/l2l3/fib.inc")
    include_case(tmp, "an upper-case .DEF file", '#include "session/sessions.h"\n', 0,
                 "src/dataplane/l2l3/TABLES.DEF")
    top = copy_tree(os.path.join(tmp, "top"))
    open(os.path.join(top, "src", "dataplane", "extra.c"), "w").write("int extra;\n")
    expect("a source directly in src/dataplane/", top, False,
           "src/dataplane/extra.c: a file directly in src/dataplane/ is in no layer")

    # An include into the repository outside the table's folders.
    out = copy_tree(os.path.join(tmp, "outside"))
    os.makedirs(os.path.join(out, "src", "control"))
    open(os.path.join(out, "src", "control", "model.h"), "w").write("int model;\n")
    at = append_include(out, "src/dataplane/l2l3/fib.c", "control/model.h")
    expect("an include of src/control/", out, False, at,
           "includes src/control/model.h, which is in no folder of the layers table")

    # The table itself.
    up = copy_tree(os.path.join(tmp, "upward"))
    edit_table(up, "io", "flow")  # io (2) -> flow (3): no cycle, but against the layers
    expect("the table lets a layer include a higher one", up, False,
           "io (layer 2) may include flow, of the higher layer 3")
    ghost = copy_tree(os.path.join(tmp, "ghost"))
    doc = os.path.join(ghost, "docs", "architecture.md")
    row = "| 8 | `ghost` | `core` | — | none |\n"
    text = open(doc).read().replace("<!-- /layers -->", row + "<!-- /layers -->")
    open(doc, "w").write(text)
    expect("a table row for a folder that does not exist", ghost, False,
           "row ghost: there is no folder src/dataplane/ghost")

if failures:
    print("\n".join(failures))
    sys.exit(1)
