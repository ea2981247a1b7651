#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/check-prefixes can fail: on archives built here from tiny objects named as meson names
them (FOLDER_FILE.c.o), it passes symbols with their folder's prefix and the documented exception
(getpid), and fails, naming object and symbol, on a symbol without its folder's prefix and on an
object of a folder the layers table does not list.
Usage: check_prefixes_test.py [REPO]
"""
import os
import subprocess
import sys
import tempfile

repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
tool = os.path.join(repo, "tools", "check-prefixes")
failures = []


def archive(tmp, name, objects):
    """An archive of objects {object name: C source}."""
    paths = []
    for obj, src in objects.items():
        c = os.path.join(tmp, obj + ".c")
        with open(c, "w") as f:
            f.write(src)
        o = os.path.join(tmp, obj)
        subprocess.run(["cc", "-c", "-o", o, c], check=True)
        paths.append(o)
    a = os.path.join(tmp, name)
    subprocess.run(["ar", "rcs", a] + paths, check=True)
    return a


def expect(what, a, rc, needle):
    p = subprocess.run([sys.executable, tool, a, repo], capture_output=True, text=True)
    out = p.stdout + p.stderr
    if p.returncode != rc or needle not in out:
        failures.append(f"{what}: exit {p.returncode} (want {rc}), output lacks {needle!r}:\n{out}")
    else:
        print(f"ok: {what}")


with tempfile.TemporaryDirectory() as tmp:
    good = archive(tmp, "good.a", {
        "io_port.c.o": "int dp_port_ok(void) { return 0; }\nint dp_pool_ok;\n",
        "io_afpacket.c.o": "int getpid(void) { return 1; }\n",
        "flow_state.c.o": "int dp_sess;\n",
    })
    expect("prefixed symbols and the exception pass", good, 0, "each with its folder's prefix")
    bad = archive(tmp, "bad.a", {
        "io_port.c.o": "int dp_port_ok(void) { return 0; }\nint io_bad_name(void) { return 1; }\n",
    })
    expect("a symbol without its folder's prefix fails", bad, 1,
           "io_port.c.o: io_bad_name does not start with a prefix of io/")
    # a prefix of another folder is no better: session's dp_session_ in l2l3
    wrong = archive(tmp, "wrong.a", {"l2l3_fib.c.o": "int dp_session_x(void) { return 0; }\n"})
    expect("another folder's prefix fails", wrong, 1,
           "l2l3_fib.c.o: dp_session_x does not start with a prefix of l2l3/")
    # a whole name is no prefix: flow's dp_sess does not admit session's dp_session_*
    whole = archive(tmp, "whole.a", {"flow_state.c.o": "int dp_session_x(void) { return 0; }\n"})
    expect("a whole name is not a prefix", whole, 1,
           "flow_state.c.o: dp_session_x does not start with a prefix of flow/")
    stray = archive(tmp, "stray.a", {"zzz_x.c.o": "int dp_zzz(void) { return 0; }\n"})
    expect("an object of an unlisted folder fails", stray, 1,
           "zzz_x.c.o: folder zzz is not in the layers table")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("check-prefixes fails where it should")
