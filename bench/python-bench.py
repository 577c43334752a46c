#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/python-bench.py [--runs N] [--flows N] BUILD_DIR

The Python package's speed targets (issue 15), measured in one run on the
same 1M-flow flowd log (bench/data/flowd-v6-40-1M.flowd, made with
../shared/tools/flowgen.py as bench/run.py makes it):

  flowread.read(f, columns=[first, dOctets, dPkts, srcport, dstport, prot])
      against `flowread -c -F flowd f`                    target <= 3x
  iterating flowread.open(f) (touching f.dOctets)
      against py3flowtools' way, measured here: `flowread -o flow-export`
      piped into a Python parse of each CSV line into an object with
      py3flowtools' twelve attributes (what py3flowtools did with
      flow-export's output)                              target >= 20x
      and against py3flowtools' published ~0.13 M flows/s.

Median wall time of N runs after a warm-up. Run it with the interpreter
the build uses (/usr/bin/python3 on Debian) and nice on a shared machine.
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared"))
COLUMNS = ["first", "dOctets", "dPkts", "srcport", "dstport", "prot"]
PY3FLOWTOOLS_PUBLISHED = 0.13e6


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), max(times)


def setup_env(build):
    plugins = os.path.join(build, "plugins")
    dirs = [os.path.join(plugins, d) for d in sorted(os.listdir(plugins))
            if os.path.isdir(os.path.join(plugins, d))]
    os.environ["FLOWREAD_PLUGIN_PATH"] = ":".join(dirs)
    sys.path.insert(0, os.path.join(build, "python"))


class OldFlow(object):
    """py3flowtools' flow object, from a flow-export -f2 CSV line."""

    def __init__(self, line):
        c = line.split(b",")
        unix_secs, unix_nsecs, sysuptime = int(c[0]), int(c[1]), int(c[2])
        self.dPkts = int(c[4])
        self.dOctets = int(c[5])
        self.first = self._time(unix_secs, unix_nsecs, sysuptime, int(c[6]))
        self.last = self._time(unix_secs, unix_nsecs, sysuptime, int(c[7]))
        self.srcaddr = c[10].decode()
        self.srcaddr_raw = int.from_bytes(bytes(map(int, c[10].split(b"."))), "big")
        self.dstaddr = c[11].decode()
        self.dstaddr_raw = int.from_bytes(bytes(map(int, c[11].split(b"."))), "big")
        self.srcport = int(c[15])
        self.dstport = int(c[16])
        self.prot = int(c[17])
        self.tcp_flags = int(c[19])

    @staticmethod
    def _time(secs, nsecs, uptime, t):
        ms = secs * 1000 + nsecs // 1000000 - (uptime - t)
        return datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--flows", type=int, default=1_000_000)
    ap.add_argument("--ref-flows", type=int, default=200_000,
                    help="flows of the py3flowtools-style reference (it is slow)")
    ap.add_argument("build")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    setup_env(build)
    import flowread

    size = "1M" if a.flows == 1_000_000 else str(a.flows)
    data = os.environ.get("FLOWREAD_BENCH_DATA", os.path.join(HERE, "data"))
    path = os.path.join(data, "flowd-v6-40-%s.flowd" % size)
    if not os.path.exists(path):
        os.makedirs(data, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(SHARED, "tools", "flowgen.py"),
                        "--format", "flowd", "--v6-share", "0.4", "--flows",
                        str(a.flows), path + ".tmp"], check=True)
        os.rename(path + ".tmp", path)
    cli = os.path.join(build, "tools", "flowread", "flowread")

    def run_cli():
        out = subprocess.run([cli, "-c", "-F", "flowd", path], check=True,
                             capture_output=True).stdout
        assert int(out.split()[0]) == a.flows

    def run_read():
        d = flowread.read(path, columns=COLUMNS, format="flowd")
        assert len(d["first"]) == a.flows

    def run_iter():
        total = n = 0
        with flowread.open(path) as r:
            for f in r:
                total += f.dOctets
                n += 1
        assert n == a.flows

    def run_old():
        # flowread -o flow-export stands in for flow-export (not installed)
        p = subprocess.Popen([cli, "-o", "flow-export", "-F", "flowd", path],
                             stdout=subprocess.PIPE)
        n = 0
        it = iter(p.stdout.readline, b"")
        next(it)
        for line in it:
            if b":" in line:   # IPv6 flows: py3flowtools could not parse them
                continue
            OldFlow(line)
            n += 1
            if n == a.ref_flows:
                break
        p.kill()
        p.wait()
        return n

    cli_t = median_time(run_cli, a.runs)
    read_t = median_time(run_read, a.runs)
    iter_t = median_time(run_iter, a.runs)
    t0 = time.perf_counter()
    n_old = run_old()
    old_rate = n_old / (time.perf_counter() - t0)
    iter_rate = a.flows / iter_t[0]

    print("input: %s (%d flows), %d runs, median (min-max) wall seconds" % (path, a.flows, a.runs))
    print("| what | time | flows/s |")
    print("|---|---:|---:|")
    for name, t in (("`flowread -c -F flowd`", cli_t),
                    ("`flowread.read(columns=%s)`" % ",".join(COLUMNS), read_t),
                    ("iterate `flowread.open()`, sum f.dOctets", iter_t)):
        print("| %s | %.3f (%.3f-%.3f) | %.2fM |" % (name, t[0], t[1], t[2], a.flows / t[0] / 1e6))
    print("| py3flowtools-style parse of flow-export CSV (%d IPv4 flows) | | %.3fM |"
          % (n_old, old_rate / 1e6))
    r1 = read_t[0] / cli_t[0]
    print()
    print("read() / flowread -c: %.2fx (target <= 3x: %s)" % (r1, "PASS" if r1 <= 3 else "FAIL"))
    r2 = iter_rate / old_rate
    print("iteration / py3flowtools-style, same run: %.1fx (target >= 20x: %s)"
          % (r2, "PASS" if r2 >= 20 else "FAIL"))
    r3 = iter_rate / PY3FLOWTOOLS_PUBLISHED
    print("iteration / py3flowtools' published 0.13M flows/s: %.1fx (target >= 20x: %s)"
          % (r3, "PASS" if r3 >= 20 else "FAIL"))


if __name__ == "__main__":
    main()
