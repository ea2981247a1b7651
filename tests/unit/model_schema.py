#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks config/model.schema.json against every example model the project ships.

The examples are config/model-*.json and every ```json block in README.md and docs/*.md that
is a whole model (has "model-version"). Each must validate; and, so this check can fail, each
must stop validating when a field the schema forbids is added. Usage: model_schema.py [REPO]
"""
import glob
import json
import os
import re
import sys

import jsonschema

repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
schema = json.load(open(os.path.join(repo, "config", "model.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def examples():
    for path in sorted(glob.glob(os.path.join(repo, "config", "model-*.json"))):
        yield os.path.relpath(path, repo), json.load(open(path))
    docs = [os.path.join(repo, "README.md")] + sorted(glob.glob(os.path.join(repo, "docs", "*.md")))
    for path in docs:
        text = open(path).read()
        for n, block in enumerate(re.findall(r"```json\n(.*?)```", text, re.S)):
            if '"model-version"' in block:
                yield "%s (json block %d)" % (os.path.relpath(path, repo), n + 1), json.loads(block)


failed = 0
seen = 0
for name, model in examples():
    seen += 1
    errors = list(validator.iter_errors(model))
    for e in errors[:10]:
        print("%s: /%s: %s" % (name, "/".join(map(str, e.path)), e.message[:200]))
    model["authority"]["not-a-field"] = True
    if validator.is_valid(model):
        print("%s: the schema accepts an unknown field in authority" % name)
        errors.append(None)
    failed += bool(errors)
    print("%s: %s" % (name, "invalid" if errors else "valid"))

if seen < 3:
    print("only %d example models found (config/ and docs/ have at least 3)" % seen)
    sys.exit(1)
sys.exit(1 if failed else 0)
