# SPDX-License-Identifier: MIT
"""py3flowtools' API (design.md section 12) on the corpus."""
import datetime
import glob

import pytest

import py3flowtools
from conftest import corpus, expected_records

ATTRS = {"first", "last", "srcaddr", "dstaddr", "srcaddr_raw", "dstaddr_raw", "srcport",
         "dstport", "prot", "tcp_flags", "dOctets", "dPkts"}
EPOCH = datetime.datetime(1970, 1, 1)


def _naive(text):
    # "2014-12-05T19:28:43.999867403Z" floored to the microsecond, naive UTC
    return datetime.datetime.strptime(text[:26], "%Y-%m-%dT%H:%M:%S.%f")


def _check(flows, want, sum_out=False):
    assert len(flows) == len(want)
    for f, w in zip(flows, want):
        assert set(f.__slots__) == ATTRS
        assert f.first.tzinfo is None and f.first == _naive(w["first"])
        assert f.last == _naive(w["last"])
        assert f.srcaddr == w["srcaddr"] and f.dstaddr == w["dstaddr"]
        assert isinstance(f.srcaddr_raw, int) and isinstance(f.dstaddr_raw, int)
        for k in ("srcport", "dstport", "prot", "tcp_flags"):
            assert getattr(f, k) == w.get(k, 0)
        extra_p = w.get("out_packets", 0) if sum_out else 0
        extra_b = w.get("out_bytes", 0) if sum_out else 0
        assert f.dPkts == w["dPkts"] + extra_p and f.dOctets == w["dOctets"] + extra_b


def test_flowtools_log():
    want = expected_records("flow-tools/expected/mixed-v5-le-z6.ft.jsonl")
    log = py3flowtools.FlowToolsLog(corpus("flow-tools/mixed-v5-le-z6.ft"))
    flows = list(log)
    _check(flows, want)
    assert flows[0].srcaddr_raw == int.from_bytes(
        bytes(int(x) for x in flows[0].srcaddr.split(".")), "big")
    assert len(list(log)) == len(want)            # iter() starts again
    assert py3flowtools.FlowSet is py3flowtools.FlowToolsLog


def test_flowd_log_and_read_flow():
    want = expected_records("flowd/expected/mixed-v5.flowd.jsonl")
    log = py3flowtools.FlowdLog(corpus("flowd/mixed-v5.flowd"))
    first = log.read_flow()
    second = log.read_flow()
    assert first.first == _naive(want[0]["first"]) and second.srcaddr == want[1]["srcaddr"]
    _check(list(py3flowtools.FlowLog(corpus("flowd/mixed-v5.flowd"))), want)
    one = py3flowtools.FlowdLog(corpus("flowd/synth-all-v4.log"))
    one.read_flow()
    with pytest.raises(StopIteration):
        one.read_flow()


def test_constructor_never_raises_errors_on_first_next():
    missing = py3flowtools.FlowToolsLog(corpus("no/such/file.ft"))
    with pytest.raises(FileNotFoundError):
        next(iter(missing))
    for cls in (py3flowtools.FlowdLog, py3flowtools.NfdumpLog):
        with pytest.raises(FileNotFoundError):
            next(iter(cls(corpus("no/such/file"))))
    wrong = py3flowtools.FlowToolsLog(corpus("flowd/mixed-v9.flowd"))   # forced format
    with pytest.raises(IOError):
        next(iter(wrong))
    wrong2 = py3flowtools.FlowdLog(corpus("flow-tools/mixed-v5-le-z6.ft"))
    with pytest.raises(OSError):
        wrong2.read_flow()
    gen = py3flowtools.NetFlowLog(corpus("nfcapd/random-4096.nfcapd"))
    with pytest.raises(IOError):
        next(gen)
    trunc = py3flowtools.FlowToolsLog(corpus("flow-tools/trunc-v5.ft"))
    n = 0
    with pytest.raises(OSError):
        for _ in trunc:
            n += 1
    assert n == 468


def test_netflow_log_guesses():
    for path in ("flow-tools/mixed-v5-le-z6.ft", "flowd/mixed-v9.flowd", "gzip/mixed-v9.flowd.gz"):
        exp = path.replace("/", "/expected/", 1) + ".jsonl"
        flows = list(py3flowtools.NetFlowLog(corpus(path)))
        want = expected_records(exp)
        assert [f.first for f in flows] == [_naive(w["first"]) for w in want]
        assert [f.dOctets for f in flows] == [w["dOctets"] for w in want]


def test_nfdump_log_sums_in_and_out():
    files = sorted(glob.glob(corpus("nfdump/*.nfcapd")))
    assert files
    for path in files:
        want = expected_records(path.replace("nfdump/", "nfdump/expected/") + ".jsonl")
        flows = list(py3flowtools.NfdumpLog(path))
        assert len(flows) == len(want)
        for f, w in zip(flows, want):
            assert f.dPkts == w["dPkts"] + w.get("out_packets", 0)
            assert f.dOctets == w["dOctets"] + w.get("out_bytes", 0)
            assert f.srcaddr == w["srcaddr"] and f.dstport == w.get("dstport", 0)
            assert f.first == _naive(w["first"])
