# SPDX-License-Identifier: MIT
"""py3flowtools on flowread: a drop-in for py3flowtools' API (design.md
section 12), reading the files with libflowread's native readers instead
of running flow-export / flowd-reader / nfdump.

    for flow in FlowToolsLog(path):      # also FlowdLog, NfdumpLog, NetFlowLog
        flow.first, flow.srcaddr, flow.dOctets

The constructor never raises; errors come from the first next() and are
OSError subclasses (flowread.Error; FileNotFoundError for a missing file).
Each flow has exactly py3flowtools' twelve attributes: first, last (naive
UTC datetime, floored to the microsecond), srcaddr, dstaddr (str),
srcaddr_raw, dstaddr_raw (int), srcport, dstport, prot, tcp_flags,
dOctets, dPkts (int). A number the file does not carry is 0 (as
flowd-reader printed it); an absent address or time is None (py3flowtools
failed on flowd-reader's "(null)"). IPv6 addresses are their RFC 5952 text
and a 128-bit int (py3flowtools could not read them).
"""
import flowread as _flowread

__all__ = ["NetFlowLog", "FlowToolsLog", "FlowdLog", "NfdumpLog", "FlowSet", "FlowLog"]


class Flow(object):
    """One flow with py3flowtools' attributes."""
    __slots__ = ("first", "last", "srcaddr", "srcaddr_raw", "dstaddr",
                 "dstaddr_raw", "srcport", "dstport", "prot", "tcp_flags",
                 "dOctets", "dPkts")

    def __init__(self, f, sum_out=False):
        first, last = f.first, f.last
        self.first = first.replace(tzinfo=None) if first is not None else None
        self.last = last.replace(tzinfo=None) if last is not None else None
        self.srcaddr = f.srcaddr
        self.srcaddr_raw = f.srcaddr_raw
        self.dstaddr = f.dstaddr
        self.dstaddr_raw = f.dstaddr_raw
        self.srcport = f.srcport or 0
        self.dstport = f.dstport or 0
        self.prot = f.prot or 0
        self.tcp_flags = f.tcp_flags or 0
        self.dOctets = f.dOctets or 0
        self.dPkts = f.dPkts or 0
        if sum_out:
            # py3flowtools' NfdumpLine: packets and bytes are in + out
            self.dOctets += f.out_bytes or 0
            self.dPkts += f.out_packets or 0

    def __repr__(self):
        return "<Flow %s %s:%d > %s:%d prot %d>" % (
            self.first, self.srcaddr, self.srcport, self.dstaddr, self.dstport, self.prot)


def _flows(file_path, fmt, sum_out=False):
    with _flowread.open(file_path, format=fmt) as r:
        for f in r:
            yield Flow(f, sum_out)


class _BaseFlowLog(object):
    _format = None
    _sum_out = False

    def __init__(self, file_path):
        self._file_path = file_path
        self._parser = None

    def _reader(self):
        return _flows(self._file_path, self._fmt(), self._sum_out)

    def _fmt(self):
        return self._format

    def __iter__(self):
        # py3flowtools: every iter() starts again from the beginning
        self._parser = self._reader()
        return self

    def __next__(self):
        if self._parser is None:
            self._parser = self._reader()
        return next(self._parser)

    next = __next__


class FlowToolsLog(_BaseFlowLog):
    """A flow-tools file (format forced: the native `flowtools` reader)."""
    _format = "flowtools"


class FlowdLog(_BaseFlowLog):
    """A flowd log (format forced: the native `flowd` reader)."""
    _format = "flowd"

    def read_flow(self):
        """The next flow (py3flowtools' compatibility with the flowd module);
        StopIteration at the end."""
        return self.__next__()


class NfdumpLog(_BaseFlowLog):
    """An nfcapd file, read by the native `nfdump` reader when it is
    installed, else by `nfdump-exec` (runs nfdump). dPkts and dOctets are
    the in + out counters, as py3flowtools summed them."""
    _sum_out = True

    def _fmt(self):
        names = {p["name"] for p in _flowread.plugins() if p["loaded"]}
        return "nfdump" if "nfdump" in names else "nfdump-exec"


def NetFlowLog(file_path):
    """A generator of the flows of file_path, whatever its format (probed,
    also inside gzip). An input nothing can read raises an OSError
    subclass on the first next()."""
    for flow in _flows(file_path, None):
        yield flow


# The names of py3flowtools' first README.
FlowSet = FlowToolsLog
FlowLog = FlowdLog
