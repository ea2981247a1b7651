#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Embeds a file in C as a string (build step for svr-control's OpenAPI document and the
conductor store's schema.sql).

Usage: embed_json.py INPUT OUTPUT.c SYMBOL
An INPUT named *.json must be valid JSON or the build fails, so a broken document never ships.
"""
import json
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: embed_json.py INPUT.json OUTPUT.c SYMBOL")
    src, dst, sym = sys.argv[1:]
    with open(src, "rb") as f:
        data = f.read()
    if src.endswith(".json"):
        try:
            json.loads(data)
        except ValueError as e:
            sys.exit(f"{src}: not valid JSON: {e}")
    # A string literal (not an array of ints) so bytes >= 0x80 need no casts; every byte
    # that is not plain printable ASCII, and '?' (trigraphs in C11), is an octal escape.
    lines, cur = [], ""
    for b in data:
        c = chr(b)
        if 0x20 <= b < 0x7f and c not in '"\\?':
            cur += c
        else:
            cur += "\\%03o" % b
        if b == 0x0a or len(cur) > 90:
            lines.append('\t"' + cur + '"')
            cur = ""
    if cur or not lines:
        lines.append('\t"' + cur + '"')
    with open(dst, "w") as f:
        f.write("/* Generated from %s by embed_json.py: do not edit. */\n" % src.split("/")[-1])
        f.write("#include <stddef.h>\n\n")
        f.write("extern const char %s[];\nextern const size_t %s_len;\n" % (sym, sym))
        f.write("const char %s[] =\n%s;\n" % (sym, "\n".join(lines)))
        f.write("const size_t %s_len = %d;\n" % (sym, len(data)))


if __name__ == "__main__":
    main()
