#!/usr/bin/env python3
# Python on purpose: the peer it drives, the Apache Avro reference checker, is the package `avro`.
"""Runs the Apache Avro Python reference compatibility checker over herald's Avro corpus.

Usage: avro_reference.py CORPUS_DIR   (codegen/tests/fixtures/compat/avro)

Needs the `avro` package (pip install avro). For every case directory (holding reader.avsc and
writer.avsc) prints one line, `<dirname> compatible` or `<dirname> incompatible`: the verdict of
`avro.compatibility.ReaderWriterCompatibilityChecker` on "can the reader read the writer's data?".
Exits 0 when every case was checked, 1 when a case could not be parsed, 2 without `avro`.

Two adjustments make the Python checker answer as the Java reference (`SchemaCompatibility`) does:
- A file holding a JSON array of named schemas is parsed with one set of names; its last schema is
  the top-level type.
- Aliases of named types are made full names first (an alias without a dot takes the namespace of
  its type, per the specification). Python compares the aliases as written with the writer's full
  name, so a relative alias would never match; Java resolves it.

Where the reference and the specification disagree (decimal precision and scale, which the
reference ignores), herald's expected.txt follows the specification; those cases are named
`decimal_*`, and this script reports the reference's verdict for them unchanged.
"""

import json
import os
import sys
import warnings

try:
    import avro.compatibility
    import avro.name
    import avro.schema
except ImportError:
    print("avro_reference.py needs the `avro` package: pip install avro", file=sys.stderr)
    sys.exit(2)

NAMED = ("record", "error", "enum", "fixed")


def qualify_aliases(schema, enclosing=""):
    """Rewrites aliases of named types to full names, walking nested definitions."""
    if isinstance(schema, list):
        return [qualify_aliases(s, enclosing) for s in schema]
    if not isinstance(schema, dict):
        return schema
    schema = dict(schema)
    namespace = enclosing
    if schema.get("type") in NAMED and isinstance(schema.get("name"), str):
        name = schema["name"]
        if "." in name:
            namespace = name.rsplit(".", 1)[0]
        elif isinstance(schema.get("namespace"), str):
            namespace = schema["namespace"]
        aliases = schema.get("aliases")
        if isinstance(aliases, list):
            schema["aliases"] = [
                a if not isinstance(a, str) or "." in a or not namespace else f"{namespace}.{a}" for a in aliases
            ]
    for key in ("items", "values"):
        if key in schema:
            schema[key] = qualify_aliases(schema[key], namespace)
    if isinstance(schema.get("type"), (dict, list)):
        schema["type"] = qualify_aliases(schema["type"], namespace)
    if isinstance(schema.get("fields"), list):
        schema["fields"] = [
            dict(field, type=qualify_aliases(field["type"], namespace))
            if isinstance(field, dict) and "type" in field
            else field
            for field in schema["fields"]
        ]
    return schema


def load(path):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, list):
        names = avro.name.Names()
        parsed = [avro.schema.make_avsc_object(qualify_aliases(s), names) for s in data]
        if not parsed:
            raise ValueError(f"{path}: empty schema list")
        return parsed[-1]
    return avro.schema.parse(json.dumps(qualify_aliases(data)))


def verdict(case_dir):
    reader = load(os.path.join(case_dir, "reader.avsc"))
    writer = load(os.path.join(case_dir, "writer.avsc"))
    checker = avro.compatibility.ReaderWriterCompatibilityChecker()
    result = checker.get_compatibility(reader, writer)
    if result.compatibility is avro.compatibility.SchemaCompatibilityType.incompatible:
        return "incompatible"
    return "compatible"


def main(argv):
    if len(argv) != 2:
        print("usage: avro_reference.py CORPUS_DIR", file=sys.stderr)
        return 2
    corpus = argv[1]
    failed = False
    for name in sorted(os.listdir(corpus)):
        case_dir = os.path.join(corpus, name)
        if not os.path.isfile(os.path.join(case_dir, "reader.avsc")):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                print(f"{name} {verdict(case_dir)}")
        except Exception as e:  # noqa: BLE001 - report every case, then fail
            print(f"{name}: cannot check: {e}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
