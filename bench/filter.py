#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/filter.py [--runs N] [--flows N] BUILD_DIR

The cost of --filter (issue 17's target: at most 1.3x): `flowread -c` on an
uncompressed flowd log (flowgen.py, 40% IPv6, cached in
$FLOWREAD_BENCH_DATA or bench/data/ under the same name as bench/run.py's),
without a filter and with two 5-primitive filters, in the same run:

  typical   an operator's question; "and" stops at the first false primitive
  all-five  four primitives that are true for nearly every flow, then one
            that drops some: all five are evaluated on nearly every flow
            (the worst case of a 5-primitive "and")

Every command runs once as warm-up, then --runs times (default 7), the
commands interleaved round-robin so that load from elsewhere hits all alike.
Wall time and user+sys CPU of the child are taken per run; the report gives
the medians and minimums and the ratios against the unfiltered run. Before
timing, the unfiltered count must be exactly --flows, and each filtered
count must lie strictly between 0 and it.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWGEN = os.path.join(HERE, "..", "..", "shared", "tools", "flowgen.py")

FILTERS = [
    ("typical",
     "proto tcp and dst port 443 and not src net 10.0.0.0/8 "
     "and bytes > 1000 and packets < 100"),
    ("all-five",
     "packets > 0 and bytes > 0 and not proto 250 "
     "and not src net 10.0.0.0/8 and not dst port 443"),
]


def size_name(n):
    if n % 1000000 == 0:
        return "%dM" % (n // 1000000)
    if n % 1000 == 0:
        return "%dk" % (n // 1000)
    return str(n)


def make_input(data, n):
    path = os.path.join(data, "flowd-v6-40-%s.flowd" % size_name(n))
    if not os.path.exists(path):
        os.makedirs(data, exist_ok=True)
        tmp = path + ".tmp"
        subprocess.run([sys.executable, FLOWGEN, "--format", "flowd",
                        "--v6-share", "0.4", "--flows", str(n), tmp],
                       check=True)
        os.rename(tmp, path)  # only complete files are cached
    return path


def run_once(argv):
    """Wall seconds and the child's user+sys CPU seconds."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("failed: %s" % " ".join(argv))
    return wall, ru.ru_utime + ru.ru_stime


def count(argv):
    out = subprocess.run(argv, check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--flows", type=int, default=1000000)
    ap.add_argument("build")
    args = ap.parse_args()

    build = os.path.abspath(args.build)  # plugin folders must be absolute
    flowread = os.path.join(build, "tools", "flowread", "flowread")
    plugins = os.path.join(build, "plugins")
    os.environ["FLOWREAD_PLUGIN_PATH"] = ":".join(
        os.path.join(plugins, d) for d in sorted(os.listdir(plugins)))
    data = os.environ.get("FLOWREAD_BENCH_DATA", os.path.join(HERE, "data"))
    path = make_input(data, args.flows)

    base = [flowread, "-c", "-F", "flowd"]
    cmds = [("no filter", base + [path])]
    for name, expr in FILTERS:
        cmds.append((name, base + ["--filter", expr, path]))

    n = count(cmds[0][1])
    if n != args.flows:
        raise SystemExit("flowread -c counted %d flows, not %d" % (n, args.flows))
    matched = {}
    for label, argv in cmds[1:]:
        matched[label] = count(argv)
        if not 0 < matched[label] < n:
            raise SystemExit("%s: %d of %d flows match" % (label, matched[label], n))

    for _, argv in cmds:
        run_once(argv)  # warm-up
    wall = {label: [] for label, _ in cmds}
    cpu = {label: [] for label, _ in cmds}
    for _ in range(args.runs):
        for label, argv in cmds:
            w, c = run_once(argv)
            wall[label].append(w)
            cpu[label].append(c)

    ref_w = statistics.median(wall["no filter"])
    ref_c = statistics.median(cpu["no filter"])
    print("# flowread -c with and without --filter")
    print()
    print("%s, %d flows, %d runs each (interleaved), %s" %
          (os.path.basename(path), n, args.runs,
           time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    print()
    print("| run | matched | wall median | wall min | CPU median | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for label, argv in cmds:
        w = statistics.median(wall[label])
        c = statistics.median(cpu[label])
        print("| %s | %s | %.3f s | %.3f s | %.3f s | %.2fx | %.2fx |" %
              (label, matched.get(label, n), w, min(wall[label]), c,
               w / ref_w, c / ref_c))
    print()
    for label, expr in FILTERS:
        print("- %s: `%s`" % (label, expr))
    print("- target: at most 1.30x")


if __name__ == "__main__":
    main()
