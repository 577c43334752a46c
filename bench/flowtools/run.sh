#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/flowtools/run.sh [BUILD_DIR]: speed and memory of the native
# flowtools plugin against the physical limits.
#
#   flowread -c on 1M flows, v5, zlib level 6   vs  inflate-ref (zlib alone
#                                                   inflating the same body)
#   flowread -c on 1M flows, v5, uncompressed   vs  cat FILE > /dev/null
#   peak RSS of flowread -c at 1M and 5M flows (must stay flat)
#
# Targets: compressed <= 1.15x inflate-ref, uncompressed <= 3x cat.
# Inputs are cached in $FT_BENCH_DATA (default bench/data/flowtools,
# git-ignored). flowgen.py makes the 1M compressed file (slow: ~1.5 min);
# the others are derived from it with python's zlib: the uncompressed copy
# (COMPRESS flag cleared, body inflated) and the 5M files (body x5, one zlib
# stream), which is much faster than generating them again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
build=$(cd "$build" && pwd)
data=${FT_BENCH_DATA:-$root/bench/data/flowtools}
runs=${FT_BENCH_RUNS:-5}
flowgen=${FLOWGEN:-$root/../shared/tools/flowgen.py}
mkdir -p "$data"

meson compile -C "$build" >&2
cc -O2 -o "$data/inflate-ref" "$here/inflate-ref.c" -lz

if [ ! -f "$data/v5-1M-z6.ft" ]; then
  echo "making $data/v5-1M-z6.ft with flowgen.py ..." >&2
  python3 "$flowgen" --format ft --flows 1000000 --compress 6 \
    "$data/v5-1M-z6.ft.tmp"
  mv "$data/v5-1M-z6.ft.tmp" "$data/v5-1M-z6.ft"
fi

python3 - "$data" "$build" "$runs" <<'PY'
import os, resource, struct, subprocess, sys, time, zlib

data, build, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def header(raw):
    be = raw[2] == 2
    hlen = struct.unpack('>I' if be else '<I', raw[4:8])[0]
    return be, hlen

def with_flags(hdr, be, clear):
    # clear bits of the HEADER_FLAGS TLV (type 8) in a copy of the header
    h = bytearray(hdr); pos = 8; f16 = '>H' if be else '<H'
    while pos + 4 <= len(h):
        t, l = struct.unpack(f16, h[pos:pos+2])[0], struct.unpack(f16, h[pos+2:pos+4])[0]
        if t == 8 and l == 4:
            f32 = '>I' if be else '<I'
            v = struct.unpack(f32, h[pos+4:pos+8])[0] & ~clear
            h[pos+4:pos+8] = struct.pack(f32, v)
        pos += 4 + l
    return bytes(h)

def derive():
    src = os.path.join(data, 'v5-1M-z6.ft')
    want = {n: os.path.join(data, n) for n in
            ('v5-1M-z0.ft', 'v5-5M-z6.ft', 'v5-5M-z0.ft')}
    if all(os.path.exists(p) for p in want.values()):
        return
    raw = open(src, 'rb').read()
    be, hlen = header(raw)
    body = zlib.decompress(raw[hlen:])
    plain_hdr = with_flags(raw[:hlen], be, 0x2)
    for name, hdr, payload in (
            ('v5-1M-z0.ft', plain_hdr, lambda: body),
            ('v5-5M-z0.ft', plain_hdr, lambda: body * 5),
            ('v5-5M-z6.ft', raw[:hlen], lambda: zlib.compress(body * 5, 6))):
        p = want[name]
        if not os.path.exists(p):
            print('deriving', p, file=sys.stderr)
            with open(p + '.tmp', 'wb') as f:
                f.write(hdr); f.write(payload())
            os.rename(p + '.tmp', p)

def run(argv, env=None):
    """best wall time and best CPU time (user+sys) of `runs` runs, the peak
    RSS (KiB, measured by /usr/bin/time: a child forked from this python
    would inherit its high-water mark) and the output"""
    best, cpu, out = None, None, b''
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        if status != 0:
            sys.exit('failed: %s (status %d)' % (' '.join(argv), status))
        c = ru.ru_utime + ru.ru_stime
        best = dt if best is None else min(best, dt)
        cpu = c if cpu is None else min(cpu, c)
    r = subprocess.run(['/usr/bin/time', '-f', '%M'] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rss = int(r.stderr.decode().strip().splitlines()[-1])
    return best, cpu, rss, out.decode().strip()

derive()
env = dict(os.environ, FLOWREAD_PLUGIN_PATH=os.path.join(build, 'plugins', 'flowtools'))
fr = os.path.join(build, 'tools', 'flowread', 'flowread')
ref = os.path.join(data, 'inflate-ref')
f = lambda n: os.path.join(data, n)

print('# flowtools plugin benchmark (best of %d runs, %s)' % (runs, build))
print('# wall = elapsed seconds, cpu = user+sys seconds (stabler on a busy box)')
def line(what, a, b, bname, target):
    print('%-16s flowread -c wall %.3f cpu %.3f | %s wall %.3f cpu %.3f | '
          'ratio wall %.2f cpu %.2f%s' % (what, a[0], a[1], bname, b[0], b[1],
          a[0] / b[0], a[1] / b[1], target))
ref1 = run([ref, f('v5-1M-z6.ft')])
z1 = run([fr, '-c', f('v5-1M-z6.ft')], env); assert z1[3] == '1000000', z1
line('zlib 1M', z1, ref1, 'inflate-ref', ' (target <= 1.15)')
cat1 = run(['sh', '-c', 'cat "$0" > /dev/null', f('v5-1M-z0.ft')])
p1 = run([fr, '-c', f('v5-1M-z0.ft')], env); assert p1[3] == '1000000', p1
line('raw 1M', p1, cat1, 'cat', ' (target <= 3)')
ref5 = run([ref, f('v5-5M-z6.ft')])
z5 = run([fr, '-c', f('v5-5M-z6.ft')], env); assert z5[3] == '5000000', z5
line('zlib 5M', z5, ref5, 'inflate-ref', '')
cat5 = run(['sh', '-c', 'cat "$0" > /dev/null', f('v5-5M-z0.ft')])
p5 = run([fr, '-c', f('v5-5M-z0.ft')], env); assert p5[3] == '5000000', p5
line('raw 5M', p5, cat5, 'cat', '')
print('peak RSS KiB: zlib 1M %d, 5M %d; raw 1M %d, 5M %d (inflate-ref %d)'
      % (z1[2], z5[2], p1[2], p5[2], ref1[2]))
PY
