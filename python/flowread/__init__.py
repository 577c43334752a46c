# SPDX-License-Identifier: MIT
"""flowread: read NetFlow files (flow-tools, flowd, nfdump, text, gzip).

A CPython extension over libflowread (design.md section 11):

    with flowread.open("x.ft.gz") as r:          # path, fd, bytes, file object
        for f in r:
            f.first, f.srcaddr, f.dOctets, f.as_dict()

    flowread.read(paths, columns=None)            # dict of numpy arrays
    flowread.read_pandas(paths, columns=None)     # pandas.DataFrame
    flowread.dask.read_flows("archive/*.nfcapd")  # dask DataFrame

See docs/python.md for the column types and the absent-value rules.
"""
import os as _os

from . import _flowread
from ._flowread import (  # noqa: F401
    Flow, Reader, Error, ReadError, NotFoundError, UnknownFormatError,
    AmbiguousFormatError, UnsupportedVersionError, TruncatedError,
    CorruptError, TooManyWrappersError, ExecError, PluginError, InvalidError,
    LimitError, plugins, fields, LIBRARY_VERSION, HAVE_FILTER,
)

__all__ = [
    "open", "read", "read_pandas", "fields", "plugins", "Flow", "Reader",
    "Error", "ReadError", "NotFoundError", "UnknownFormatError",
    "AmbiguousFormatError", "UnsupportedVersionError", "TruncatedError",
    "CorruptError", "TooManyWrappersError", "ExecError", "PluginError",
    "InvalidError", "LimitError",
]
__version__ = LIBRARY_VERSION

# A wheel (pip install .) carries its plugins inside the package; an install
# by `meson install` finds them in the folder compiled into libflowread, and
# the build tree through FLOWREAD_PLUGIN_PATH.
# (meson-python puts what meson installs into $libdir in .flowread.mesonpy.libs
# beside the package.)
_here = _os.path.dirname(_os.path.abspath(__file__))
for _d in (_os.path.join(_here, "plugins"),
           _os.path.join(_os.path.dirname(_here), ".flowread.mesonpy.libs",
                         "flowread-1", "plugins")):
    if _os.path.isdir(_d):
        _flowread._add_plugin_dir(_d)


def open(src, format=None, filter=None):
    """Opens a flow input and returns a Reader (an iterator of Flow).

    src: a path (str or os.PathLike; "-" is standard input), a file
    descriptor (int, not closed), bytes-like data, or a binary file object
    with read()/readinto() (pipes work: probing never seeks). format forces
    a format reader ("flowd"); filter is an nfdump-style expression.
    Errors are flowread.Error subclasses, raised when the input cannot be
    opened, or by next() after every flow before the damage was given.
    """
    return _flowread.open(src, format, filter)


def _paths(paths):
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        return [paths]
    return list(paths)


def _columns(columns):
    return [columns] if isinstance(columns, str) else columns


def _dtype(kind, size):
    import numpy as np
    if kind == "u":
        return np.dtype("=u%d" % size)
    if kind == "M":
        return np.dtype("M8[ns]")
    return np.dtype("S%d" % size)


def _array(n, kind, size, data):
    import numpy as np
    dt = _dtype(kind, size)
    if n == 0:
        return np.empty(0, dt)
    return np.frombuffer(data, dtype=dt, count=n)


def _mask(n, mask):
    import numpy as np
    if mask is None:
        return None
    return np.frombuffer(mask, dtype=np.bool_, count=n) if n else np.zeros(0, bool)


def read(paths, columns=None, filter=None, format=None):
    """Reads every flow of paths (one path or a sequence, read in order)
    into a dict of numpy arrays, one per column, filled in C with the GIL
    released.

    columns: field names (flowread.fields()); None = every field that at
    least one flow carries, in output order. Column types:
      unsigned fields: numpy.ma.MaskedArray of uint8/16/32/64 (the field's
        width), mask True where the flow does not carry the field;
      times (first, last, recv_time): datetime64[ns] (UTC), NaT if absent;
      addresses: bytes 'S39' (RFC 5952 text), b'' if absent;
      MACs: 'S17' ("02:81:3e:ce:30:cc"), b'' if absent;
      mpls_N: uint32 label stack entries (label<<4 | exp<<1 | bos).
    An error (flowread.Error) discards the partial result.
    """
    import numpy as np
    n, cols = _flowread._read_columns(_paths(paths), _columns(columns), format, filter)
    out = {}
    for name, kind, size, data, mask in cols:
        arr = _array(n, kind, size, data)
        if kind == "u":
            m = _mask(n, mask)
            arr = np.ma.MaskedArray(arr, mask=np.ma.nomask if m is None else m)
        out[name] = arr
    return out


def _pandas_column(n, kind, size, data, mask):
    import numpy as np
    import pandas as pd
    arr = _array(n, kind, size, data)
    m = _mask(n, mask)
    if kind == "u":
        return pd.arrays.IntegerArray(arr, np.zeros(n, bool) if m is None else m.copy())
    if kind == "M":
        return pd.arrays.DatetimeArray(arr, dtype=pd.DatetimeTZDtype("ns", "UTC"))
    obj = np.char.decode(arr, "ascii").astype(object) if n else np.empty(0, object)
    if m is not None:
        obj[m] = None
    return obj


def pandas_dtype(kind, size):
    """The pandas dtype of a column of read_pandas() (kind and size as in
    flowread.fields())."""
    import pandas as pd
    if kind == "u":
        return pd.api.types.pandas_dtype("UInt%d" % (8 * size))
    if kind == "M":
        return pd.DatetimeTZDtype("ns", "UTC")
    return object


def read_pandas(paths, columns=None, filter=None, format=None):
    """As read(), as a pandas.DataFrame: unsigned fields as nullable
    UInt8..UInt64 (<NA> when absent), times as datetime64[ns, UTC] (NaT),
    addresses and MACs as str objects (None when absent)."""
    import pandas as pd
    n, cols = _flowread._read_columns(_paths(paths), _columns(columns), format, filter)
    data = {name: _pandas_column(n, kind, size, buf, mask)
            for name, kind, size, buf, mask in cols}
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)
