# SPDX-License-Identifier: MIT
"""Shared fixtures: the corpus (FLOWREAD_CORPUS, set by meson test) and its
manifest; a helper that formats a flow the way `flowread -o json` does."""
import csv
import json
import os

import pytest

CORPUS = os.environ.get("FLOWREAD_CORPUS", "")


def corpus(path):
    return os.path.join(CORPUS, path)


def manifest():
    with open(corpus("MANIFEST.tsv"), newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def expected_lines(row):
    with open(corpus(row["expected"]), "rb") as fh:
        return [line.rstrip(b"\n").decode() for line in fh]


def expected_records(path):
    with open(corpus(path)) as fh:
        return [json.loads(line) for line in fh]


def fmt_ns(ns):
    """RFC 3339 UTC with 9 fraction digits, from integer nanoseconds."""
    import datetime
    secs, frac = divmod(ns, 1_000_000_000)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % frac


def json_line(flow):
    """The flow as `flowread -o json` prints it, from as_dict() and the
    *_ns attributes (times) only."""
    d = flow.as_dict()
    for key, value in d.items():
        if hasattr(value, "tzinfo"):
            d[key] = fmt_ns(getattr(flow, key + "_ns"))
    return json.dumps(d, separators=(",", ":"))


@pytest.fixture(scope="session", autouse=True)
def _need_corpus():
    if not CORPUS or not os.path.isfile(corpus("MANIFEST.tsv")):
        pytest.exit("FLOWREAD_CORPUS is not set or has no MANIFEST.tsv", returncode=1)
