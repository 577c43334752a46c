# SPDX-License-Identifier: MIT
"""flowread.open(): every corpus file through the Flow objects, byte for
byte against expected/*.jsonl; outcomes; sources; errors; metadata."""
import io
import os
import subprocess
import sys
import threading

import pytest

import flowread
from conftest import corpus, manifest, expected_lines, json_line

ERRORS = {"truncated": flowread.TruncatedError}
ROWS = [r for r in manifest() if r["format"] != "nfdump"]


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_corpus_row(row):
    want = expected_lines(row)
    got = []
    outcome = row["outcome"]
    if outcome == "error":
        with pytest.raises(flowread.Error):
            with flowread.open(corpus(row["file"])) as r:
                for f in r:
                    got.append(json_line(f))
        assert got == []
        return
    with flowread.open(corpus(row["file"])) as r:
        if outcome == "ok":
            got = [json_line(f) for f in r]
        else:
            with pytest.raises(ERRORS.get(outcome, flowread.Error)) as exc:
                for f in r:
                    got.append(json_line(f))
            if outcome == "corrupt":
                assert not isinstance(exc.value, flowread.TruncatedError)
            # the error sticks: the iterator is exhausted afterwards
            assert list(r) == []
    assert len(got) == int(row["flows"])
    assert got == want


def test_trunc_v5_468_then_truncated():
    n = 0
    with pytest.raises(flowread.TruncatedError) as exc:
        for _ in flowread.open(corpus("flow-tools/trunc-v5.ft")):
            n += 1
    assert n == 468
    assert isinstance(exc.value, flowread.Error)
    assert isinstance(exc.value, OSError)
    assert "trunc-v5.ft" in str(exc.value) and "flowtools" in str(exc.value)


def test_attributes_types_and_absent():
    with flowread.open(corpus("flowd/synth-all-v6.log")) as r:
        f = next(r)
    assert f.srcaddr == "2001:db8:1::1"
    assert f.srcaddr_raw == 0x20010db8000100000000000000000001
    assert f.first_ns == 1417008896044593150
    assert f.first.tzinfo is not None and f.first.utcoffset().total_seconds() == 0
    assert f.first.microsecond == 44593          # floored, not rounded
    assert f.dPkts == 4294967301 and f.tag == 2712847316
    assert f.dFlows is None and f.mpls_1 is None and f.in_src_mac is None
    assert f.router_sc is None and f.router_sc_raw is None
    assert "dFlows" not in f.as_dict()
    with pytest.raises(TypeError):
        flowread.Flow()
    with flowread.open(corpus("flow-tools/real-v5-le.ft")) as r:
        f = next(r)
    assert f.srcaddr == "10.1.2.3" and f.srcaddr_raw == 0x0A010203


def test_fields_follow_output_order():
    names = [n for n, _, _ in flowread.fields()]
    assert names[:6] == ["first", "last", "srcaddr", "dstaddr", "srcport", "dstport"]
    with flowread.open(corpus("flowd/synth-all-v6.log")) as r:
        f = next(r)
    for n in names:
        assert hasattr(f, n)
    assert list(f.as_dict()) == [n for n in names if n in f.as_dict()]


def _nfcapd_rows():
    import csv
    with open(corpus("nfcapd/MANIFEST.tsv"), newline="") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["outcome"] == "ok"]


NFCAPD = _nfcapd_rows()


@pytest.mark.parametrize("row", NFCAPD, ids=[r["file"] for r in NFCAPD])
def test_nfcapd_rows_native(row):
    # nfcapd's MAC, MPLS, latency ... fields: only the native reader has them
    if "nfdump" not in {p["name"] for p in flowread.plugins() if p["loaded"]}:
        pytest.skip("the native nfdump reader is not built in this tree")
    with flowread.open(corpus(row["file"]), format="nfdump") as r:
        got = [json_line(f) for f in r]
    assert got == expected_lines(row)


def _count(src, **kw):
    with flowread.open(src, **kw) as r:
        return [json_line(f) for f in r]


def test_sources_fd_bytes_file_pipe():
    path = corpus("flowd/mixed-v9.flowd")
    want = _count(path)
    assert len(want) == 4000
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _count(fd) == want
        os.fstat(fd)  # not closed by flowread
    finally:
        os.close(fd)
    import pathlib
    assert _count(pathlib.Path(path)) == want
    data = open(path, "rb").read()
    assert _count(data) == want
    assert _count(bytearray(data)) == want
    assert _count(memoryview(data)) == want
    assert _count(io.BytesIO(data)) == want
    with open(path, "rb") as fh:
        assert _count(fh) == want
    # a pipe, fed by a thread: the reader must not need to seek
    rfd, wfd = os.pipe()

    def feed():
        with os.fdopen(wfd, "wb") as w:
            for i in range(0, len(data), 1000):
                w.write(data[i:i + 1000])
    t = threading.Thread(target=feed)
    t.start()
    with os.fdopen(rfd, "rb") as rf:
        assert _count(rf) == want
    t.join()


def test_stdin_buffer_pipe():
    path = corpus("gzip/mixed-v9.flowd.gz")
    code = ("import sys, flowread\n"
            "r = flowread.open(sys.stdin.buffer)\n"
            "print(r.chain, sum(1 for _ in r))\n")
    with open(path, "rb") as fh:
        out = subprocess.run([sys.executable, "-c", code], input=fh.read(),
                             capture_output=True, check=True)
    assert out.stdout.decode().split() == ["gzip", ">", "flowd", "4000"]


def test_format_chain_info():
    with flowread.open(corpus("gzip/mixed-v5-le-z0.ft.gz")) as r:
        assert r.format == "flowtools"
        assert r.chain == "gzip > flowtools"
        info = r.info()
        assert info["format"] == "flowtools" and info["export_version"] == "5"
    assert r.closed
    with pytest.raises(ValueError):
        r.format
    assert list(r) == []


def test_forced_format_and_errors():
    with pytest.raises(flowread.Error) as exc:
        flowread.open(corpus("flowd/mixed-v9.flowd"), format="flowtools")
    assert "flowtools" in str(exc.value)
    with pytest.raises(flowread.UnknownFormatError):
        flowread.open(b"\x00" * 4096)
    with pytest.raises(flowread.NotFoundError) as exc:
        flowread.open(corpus("does/not/exist.ft"))
    assert isinstance(exc.value, FileNotFoundError)
    assert isinstance(exc.value, flowread.Error)
    with pytest.raises(TypeError):
        flowread.open(3.5)


def test_file_object_errors_are_flowread_errors():
    data = open(corpus("flowd/mixed-v9.flowd"), "rb").read()

    class Bad(io.RawIOBase):
        """Gives the first 100 kB, then fails."""
        pos = 0

        def readable(self):
            return True

        def readinto(self, b):
            if self.pos >= 100000:
                raise RuntimeError("disk on fire")
            n = min(len(b), 100000 - self.pos)
            b[:n] = data[self.pos:self.pos + n]
            self.pos += n
            return n
    n = 0
    with pytest.raises(flowread.ReadError) as exc:
        for _ in flowread.open(Bad()):
            n += 1
    assert "disk on fire" in str(exc.value)
    assert 0 < n < 4000


def _filter_rows():
    import csv
    with open(corpus("filters/expected.tsv"), newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _indexes(ranges):
    out = []
    for part in filter(None, ranges.strip("-").split(",")):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


FILTER_ROWS = _filter_rows()


def test_filter_unavailable_or_invalid():
    if not flowread.HAVE_FILTER:
        with pytest.raises(NotImplementedError):
            flowread.open(corpus("flowd/mixed-v9.flowd"), filter="proto tcp")
        return
    with pytest.raises(ValueError) as exc:
        flowread.open(corpus("flowd/mixed-v9.flowd"), filter="proto tcp and")
    assert "position" in str(exc.value)


@pytest.mark.skipif(not flowread.HAVE_FILTER, reason="libflowread without flowread-filter.h")
@pytest.mark.parametrize("row", FILTER_ROWS, ids=["%s|%s" % (r["file"], r["filter"]) for r in FILTER_ROWS])
def test_filter_rows(row):
    """open(filter=) gives exactly the flows at expected.tsv's indexes of the
    file (read unfiltered); read(filter=) the same count."""
    path = row["file"]
    with flowread.open(corpus(path)) as r:
        lines = [json_line(f) for f in r]
    want = [lines[i] for i in _indexes(row["flows"])]
    assert len(want) == int(row["count"])
    with flowread.open(corpus(path), filter=row["filter"]) as r:
        assert [json_line(f) for f in r] == want
    d = flowread.read(corpus(path), columns=["dOctets"], filter=row["filter"])
    assert len(d["dOctets"]) == len(want)
