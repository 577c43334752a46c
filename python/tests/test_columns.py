# SPDX-License-Identifier: MIT
"""flowread.read(), read_pandas() and flowread.dask.read_flows() against
the corpus's expected/*.jsonl."""
import glob

import numpy as np
import pandas as pd
import pytest

import flowread
from conftest import corpus, expected_records, fmt_ns

FILES = ["flowd/mixed-v9.flowd", "flow-tools/mixed-v5-le-z6.ft", "gzip/mixed-v9.flowd.gz",
         "flowd/edge-zero-len.log", "flowd/synth-mixed.log", "text/mixed-ipfix.nfdump.csv"]
KINDS = {n: (k, s) for n, k, s in flowread.fields()}


def _expected(path):
    return expected_records(path.replace("/", "/expected/", 1) + ".jsonl")


def _value(kind, arr, i):
    if kind == "M":
        v = arr[i].astype("int64")
        return None if np.isnat(arr[i]) else fmt_ns(int(v))
    if kind == "u":
        return None if np.ma.is_masked(arr[i]) else int(arr[i])
    v = arr[i].decode()
    return v or None


@pytest.mark.parametrize("path", FILES)
def test_read_matches_expected(path):
    want = _expected(path)
    d = flowread.read(corpus(path))
    present = set().union(*[set(r) for r in want]) if want else set()
    assert set(d) == present                      # columns=None: every field seen
    order = [n for n, _, _ in flowread.fields()]
    assert list(d) == [n for n in order if n in d]
    for name, arr in d.items():
        kind, size = KINDS[name]
        assert len(arr) == len(want)
        if kind == "u":
            assert isinstance(arr, np.ma.MaskedArray) and arr.dtype == np.dtype("u%d" % size)
        elif kind == "M":
            assert arr.dtype == np.dtype("M8[ns]")
        for i, rec in enumerate(want):
            assert _value(kind, arr, i) == rec.get(name), (name, i)


def test_read_columns_widths_and_several_files():
    paths = [corpus("flowd/mixed-v9.flowd"), corpus("flowd/mixed-v5.flowd")]
    cols = ["first", "dOctets", "dPkts", "srcport", "dstport", "prot", "srcaddr", "dFlows"]
    d = flowread.read(paths, columns=cols)
    assert list(d) == cols
    assert [d[c].dtype.str[1:] for c in cols[1:6]] == ["u8", "u8", "u2", "u2", "u1"]
    assert d["srcaddr"].dtype == np.dtype("S39")
    want = _expected("flowd/mixed-v9.flowd") + _expected("flowd/mixed-v5.flowd")
    assert len(d["first"]) == len(want) == 6414
    assert int(d["dOctets"].sum()) == sum(r["dOctets"] for r in want)
    assert d["dFlows"].mask.all()                 # flowd has no dFlows: all absent
    assert [x.decode() for x in d["srcaddr"][:50]] == [r["srcaddr"] for r in want[:50]]


def test_read_errors():
    with pytest.raises(ValueError):
        flowread.read(corpus("flowd/mixed-v9.flowd"), columns=["nope"])
    with pytest.raises(ValueError):
        flowread.read(corpus("flowd/mixed-v9.flowd"), columns=["ft_times"])
    with pytest.raises(flowread.TruncatedError):
        flowread.read(corpus("flow-tools/trunc-v5.ft"))
    with pytest.raises(flowread.Error):
        flowread.read([corpus("flowd/mixed-v9.flowd"), corpus("nope.ft")])
    assert list(flowread.read(corpus("flowd/synth-all-v4.log"), columns="prot")) == ["prot"]
    d = flowread.read(corpus("flow-tools/empty-v5.ft"), columns=["first", "prot"])
    assert len(d["first"]) == 0 and len(d["prot"]) == 0


def test_read_pandas():
    path = "flowd/synth-mixed.log"
    want = _expected(path)
    df = flowread.read_pandas(corpus(path))
    assert len(df) == len(want)
    assert str(df["dPkts"].dtype) == "UInt64" and str(df["prot"].dtype) == "UInt8"
    assert str(df["first"].dtype) == "datetime64[ns, UTC]"
    for i, rec in enumerate(want):
        for col in df.columns:
            v = df[col].iloc[i]
            if col not in rec:
                assert pd.isna(v), (col, i)
            elif KINDS[col][0] == "M":
                assert fmt_ns(v.value) == rec[col]
            else:
                assert v == rec[col], (col, i)


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    import flowread.dask
    pattern = corpus("flowd/mixed-*.flowd")
    files = sorted(glob.glob(pattern))
    assert len(files) == 3
    cols = ["first", "srcaddr", "dOctets", "dPkts", "prot"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ddf = flowread.dask.read_flows(pattern, columns=cols)
        assert ddf.npartitions == 3
        assert list(ddf.columns) == cols
        got = ddf.compute()
        per_file = ddf.map_partitions(len).compute().tolist()
        by_prot = ddf.groupby("prot")["dOctets"].sum().compute()
        workers = client.run(lambda: __import__("os").getpid())
        assert len(workers) == 2
    want = pd.concat([flowread.read_pandas(f, columns=cols) for f in files], ignore_index=True)
    assert per_file == [4000, 2414, 4000]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert int(by_prot.sum()) == int(want["dOctets"].sum())
    ddf2 = flowread.dask.read_flows(files[:1])   # columns from the first file
    assert list(ddf2.columns) == list(flowread.read_pandas(files[0]).columns)


def test_read_releases_the_gil():
    # While read() runs in a thread, this thread keeps running Python code:
    # if the GIL were held for the whole C loop, the longest pause between two
    # of our iterations would be about the whole read time.
    import threading
    import time
    paths = [corpus("flowd/mixed-v9.flowd")] * 250
    out = {}
    t = threading.Thread(target=lambda: out.update(flowread.read(paths, columns=["dOctets"])))
    start = time.perf_counter()
    stamps = [start]
    t.start()
    while t.is_alive():
        stamps.append(time.perf_counter())
    t.join()
    stamps.append(time.perf_counter())
    total = stamps[-1] - start
    assert len(out["dOctets"]) == 250 * 4000
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert max(gaps) < 0.5 * total, (max(gaps), total)
