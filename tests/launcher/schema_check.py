#!/usr/bin/env python3
"""Checks profile files against profiles/schema.json with python3-jsonschema,
plus the document rules the schema's description states and JSON Schema
cannot: at most 65536 bytes, UTF-8, no duplicate keys, no NUL or unpaired
surrogate in a string. This is the independent second opinion the agreement
test sets against the C validator.

usage: schema_check.py SCHEMA FILE...   (prints "FILE: ok|invalid: why")
"""
import json
import sys

import jsonschema

MAX_BYTES = 65536


class DocumentError(Exception):
    pass


def _no_duplicates(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise DocumentError(f"duplicate key {key!r}")
        seen.add(key)
    return dict(pairs)


def _check_strings(value):
    if isinstance(value, str):
        if "\0" in value:
            raise DocumentError("NUL in a string")
        value.encode("utf-8")  # raises on an unpaired surrogate
    elif isinstance(value, list):
        for v in value:
            _check_strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k)
            _check_strings(v)


def problems(validator, path):
    """The reasons path is not a valid profile; empty when it is."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) > MAX_BYTES:
        return [f"{len(data)} bytes; the limit is {MAX_BYTES}"]
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
        _check_strings(doc)
    except (ValueError, DocumentError, UnicodeError, RecursionError) as e:
        return [f"document: {e}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or 'profile'}: {e.message}"
            for e in validator.iter_errors(doc)]


def load_validator(schema_path):
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


if __name__ == "__main__":
    v = load_validator(sys.argv[1])
    bad = 0
    for p in sys.argv[2:]:
        why = problems(v, p)
        bad += bool(why)
        print(f"{p}: " + ("ok" if not why else "invalid: " + "; ".join(why)))
    sys.exit(1 if bad else 0)
