#!/usr/bin/env bash
# `ktstr-vm report --html` in a real browser: Debian's Chromium, headless, renders the page of a
# real run's report (scx_simple, captured from `ktstr-vm run --json`). The test checks, from the
# laid-out DOM, that the three charts rendered with a size, and from a screenshot, that the
# page is not blank and the timeline's phase bars were painted.
#   html_report_test.sh KTSTR_VM REPORT.json
set -euo pipefail
vm=$1 report=$2
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || { echo "FAIL: chromium is not installed (scripts/setup.sh installs it)"; exit 1; }
tmp=$(mktemp -d /tmp/ktstr-browser.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$vm" report "$report" --html "$tmp/report.html"
# A private profile, no sandbox (root), no GPU: the same in CI containers and here.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars
       --user-data-dir="$tmp/profile" --window-size=1000,900 --virtual-time-budget=2000)
timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>"$tmp/dom.err" || {
  echo "FAIL: chromium --dump-dom"; cat "$tmp/dom.err"; exit 1; }
timeout 120 "$chromium" "${flags[@]}" --screenshot="$tmp/shot.png" "file://$tmp/report.html" >/dev/null 2>"$tmp/shot.err" || {
  echo "FAIL: chromium --screenshot"; cat "$tmp/shot.err"; exit 1; }
"${PYTHON3:-python3}" - "$tmp/dom.html" "$tmp/shot.png" <<'PY'
import re, struct, sys, zlib

dom = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.search(r'data-rendered="([^"]*)"', dom)
if not m:
    sys.exit("FAIL: the page's load script did not run (no data-rendered on <body>)")
sizes = dict(re.findall(r"(\w+):(\d+x\d+)", m.group(1)))
for chart in ("timeline", "events", "programs"):
    w, h = (int(v) for v in sizes.get(chart, "0x0").split("x"))
    if w <= 0 or h <= 0:
        sys.exit(f"FAIL: chart {chart} not laid out: {m.group(1)!r}")
print("rendered:", m.group(1))

# PNG (8-bit RGB/RGBA, non-interlaced, as Chromium writes it) to pixels, stdlib only.
data = open(sys.argv[2], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": hdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
assert depth == 8 and ctype in (2, 6), f"unexpected PNG format depth={depth} type={ctype}"
bpp = 3 if ctype == 2 else 4
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
non_white = blue = 0
colours = set()
for line in rows:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        colours.add((r, g, b))
        if (r, g, b) != (255, 255, 255): non_white += 1
        if abs(r - 0x4e) < 8 and abs(g - 0x79) < 8 and abs(b - 0xa7) < 8: blue += 1
print(f"screenshot {w}x{h}: {non_white} non-white pixels, {len(colours)} colours, {blue} chart-blue")
if non_white < w * h // 100 or len(colours) < 8:
    sys.exit("FAIL: the screenshot is blank")
if blue < 200:
    sys.exit("FAIL: no chart bar (#4e79a7: the first phase, the program bars) was painted")
print("PASS")
PY
