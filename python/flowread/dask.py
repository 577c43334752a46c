# SPDX-License-Identifier: MIT
"""flowread.dask: flow archives as a dask DataFrame, one partition per file.

Each partition is read by flowread.read_pandas() in the worker that runs
it, with the C library: only the flows cross the network (design.md
section 13).
"""
import glob as _glob
import os as _os

import pandas as _pd

import flowread as _flowread

__all__ = ["read_flows"]


def _expand(paths_or_glob):
    if isinstance(paths_or_glob, (str, bytes)) or hasattr(paths_or_glob, "__fspath__"):
        items = [paths_or_glob]
    else:
        items = list(paths_or_glob)
    files = []
    for item in items:
        p = _os.fsdecode(_os.fspath(item))
        if _glob.has_magic(p):
            files.extend(sorted(_glob.glob(p)))
        else:
            files.append(p)
    return files


def _schema(columns):
    known = {name: (kind, size) for name, kind, size in _flowread.fields()}
    for c in columns:
        if c not in known:
            raise ValueError("flowread: unknown field '%s'" % c)
    return {c: _flowread.pandas_dtype(*known[c]) for c in columns}


def _empty(schema):
    return _pd.DataFrame({c: _pd.Series([], dtype=t) for c, t in schema.items()},
                         index=_pd.RangeIndex(0))


def _partition(path, columns, filter, format):
    return _flowread.read_pandas(path, columns=columns, filter=filter, format=format)


def read_flows(paths_or_glob, columns=None, filter=None, format=None):
    """A dask.dataframe.DataFrame of the flows of every file (a path, a
    glob pattern, or a sequence of them; globs are sorted), one partition
    per file, in that order.

    columns=None takes the columns of the first file (read once, here);
    every partition then has exactly those columns, with the dtypes of
    flowread.read_pandas() (a field a file lacks is <NA>/NaT/None there).
    """
    import dask.dataframe as dd

    files = _expand(paths_or_glob)
    if not files:
        raise FileNotFoundError("flowread.dask.read_flows: no file matches %r"
                                % (paths_or_glob,))
    if columns is None:
        columns = list(_flowread.read_pandas(files[0], filter=filter,
                                             format=format).columns)
    columns = list(columns)
    meta = _empty(_schema(columns))
    return dd.from_map(_partition, files, args=(columns, filter, format),
                       meta=meta, label="flowread", enforce_metadata=False)
