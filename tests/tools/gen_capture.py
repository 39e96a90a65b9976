#!/usr/bin/env python3
"""Writes a synthetic COM2 capture (wire protocol v1, docs/protocol.md) plus what a correct
decoder must make of it.

This is an independent implementation of the protocol (COBS, CRC32C, body layout) written from
the design document only, so that `ktstr-vm decode` is checked against something that does not
share its code. Python 3 standard library only.

Output files, for --out CAP:
  CAP            the capture: COBS(body) + 0x00 per frame, optionally with garbage and bit flips
  CAP.sout       the bytes of every intact SOUT frame, concatenated (what --stream SOUT must print)
  CAP.serr       the same for SERR
  CAP.damaged    the seq of every frame damaged on purpose, one per line (these must be lost)
  CAP.frames     one JSON object per intact frame: {"type","seq","t_ns","value_b64"}
  CAP.meta       JSON: frame count, damaged seqs, garbage chunks, whether the capture is clean

Usage examples:
  gen_capture.py --out /tmp/c --frames 500 --seed 1
  gen_capture.py --out /tmp/c --frames 500 --garbage 0.2 --flip 5 --flip 17 --flip-random 3
  gen_capture.py --out /tmp/c --frames 50 --truncate      # last frame (DONE) cut short
"""

import argparse
import base64
import json
import random
import struct
import sys

MAX_VALUE = 65536
STREAM_CHUNK = 4096


def _crc32c_table():
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C as in iSCSI/ext4: reflected, init and xorout 0xFFFFFFFF."""
    c = crc ^ 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def cobs_encode(data):
    """Consistent Overhead Byte Stuffing: no 0x00 in the result; blocks of at most 254 bytes."""
    out = bytearray()
    for seg in data.split(b"\0"):
        i = 0
        while len(seg) - i >= 254:
            out.append(0xFF)
            out += seg[i:i + 254]
            i += 254
        out.append(len(seg) - i + 1)
        out += seg[i:]
    return bytes(out)


def frame_body(ftype, seq, t_ns, value):
    """type(4) N(u32) seq(u32) t_ns(u64), value, CRC32C of all that; little-endian."""
    assert len(ftype) == 4 and len(value) <= MAX_VALUE
    head = ftype + struct.pack("<IIQ", len(value), seq, t_ns)
    crc = crc32c(value, crc32c(head))
    return head + value + struct.pack("<I", crc)


def encode_frame(ftype, seq, t_ns, value):
    return cobs_encode(frame_body(ftype, seq, t_ns, value)) + b"\0"


def stream_value(rng, big_ok):
    """Stream bytes that stress the framing: text, every byte value, zero runs, 0xFF runs."""
    kind = rng.randrange(7)
    if kind == 0:
        n = rng.randrange(0, 200)
        words = ["sched", "ext", "cpu%d" % rng.randrange(64), "ok", "\t", "é", "日本"]
        text = " ".join(rng.choice(words) for _ in range(n // 4 + 1))
        return (text + "\n").encode()
    if kind == 1:
        return bytes(range(256)) * rng.randrange(1, 17)
    if kind == 2:
        return b"\0" * rng.choice([1, 253, 254, 255, 508, 1000, STREAM_CHUNK])
    if kind == 3:
        return b"\xff" * rng.choice([1, 253, 254, 255, 507, 508, 509, STREAM_CHUNK])
    if kind == 4:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, STREAM_CHUNK + 1)))
    if kind == 5 and big_ok:
        return bytes(rng.getrandbits(8) for _ in range(rng.choice([STREAM_CHUNK, MAX_VALUE])))
    return b""  # N = 0 is legal


def control_value(rng, ftype):
    if ftype == b"PHAS":
        v = {"phase": rng.choice(["mounts", "scheduler_spawned", "payload_started", "teardown"])}
    elif ftype == b"SCHD":
        v = {"event": rng.choice(["spawned", "attached", "stopped"]), "pid": rng.randrange(1, 999),
             "ops": "simple", "ms": rng.randrange(10000)}
    elif ftype == b"DUMP":
        v = {"event": rng.choice(["started", "complete"])}
    elif ftype == b"EXIT":
        v = {"code": 0, "timed_out": False, "exit_code": 0}
    else:
        v = {}
    return json.dumps(v, separators=(",", ":")).encode()


def build_frames(rng, count, big_ok):
    """HELO, count-2 random frames, DONE: list of (type, seq, t_ns, value)."""
    frames = []
    t_ns = rng.randrange(10**9, 2 * 10**9)
    totals = {}

    def add(ftype, value):
        nonlocal t_ns
        frames.append((ftype, len(frames), t_ns, value))
        totals[ftype.decode()] = totals.get(ftype.decode(), 0) + len(value)
        t_ns += rng.randrange(1, 5 * 10**7)

    add(b"HELO", b'{"proto":1,"init":"gen_capture","kernel":"6.12","mode":"test"}')
    streams = [b"SOUT", b"SERR", b"SOUT", b"SERR", b"SLOG", b"ILOG"]
    controls = [b"PHAS", b"SCHD", b"BEAT", b"DUMP", b"EXIT"]
    for _ in range(max(count - 2, 0)):
        if rng.random() < 0.7:
            add(rng.choice(streams), stream_value(rng, big_ok))
        else:
            ftype = rng.choice(controls)
            add(ftype, control_value(rng, ftype))
    done = {"exit_code": 0, "frames": len(frames) + 1, "bytes": totals, "timings_ms": {}}
    add(b"DONE", json.dumps(done, separators=(",", ":")).encode())
    return frames


def garbage(rng, delimited):
    """Line noise. Delimited garbage ends in 0x00 (a corrupt chunk); undelimited garbage has no
    zero at all and runs straight into the next frame (the decoder must find the frame behind)."""
    n = rng.randrange(1, 64)
    if delimited:
        return bytes(rng.getrandbits(8) for _ in range(n)) + b"\0"
    return bytes(rng.randrange(1, 256) for _ in range(n))


def flip_bit(rng, wire):
    """Flips one random bit of an encoded frame (delimiter included)."""
    b = bytearray(wire)
    i = rng.randrange(len(b))
    b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True, help="capture path; side files get suffixes")
    ap.add_argument("--frames", type=int, default=200, help="frames including HELO and DONE")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--garbage", type=float, default=0.0,
                    help="probability of garbage before each frame (and after the last)")
    ap.add_argument("--flip", type=int, action="append", default=[],
                    help="flip one bit in the frame with this seq (repeatable; not the DONE frame)")
    ap.add_argument("--flip-random", type=int, default=0, help="flip bits in this many more frames")
    ap.add_argument("--overlong", action="store_true",
                    help="70000 bytes of zero-free garbage before one frame in the middle")
    ap.add_argument("--truncate", action="store_true", help="cut the DONE frame short")
    ap.add_argument("--big", action="store_true", help="allow 65536-byte stream values")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    frames = build_frames(rng, max(args.frames, 2), args.big)
    last = len(frames) - 1
    # Damage targets: never DONE (its loss is seen as truncation, not as a seq gap).
    damaged = set(s for s in args.flip if 0 <= s < last)
    candidates = [s for s in range(last) if s not in damaged]
    damaged |= set(rng.sample(candidates, min(args.flip_random, len(candidates))))
    overlong_at = rng.randrange(1, last) if args.overlong and last > 1 else None

    out = bytearray()
    meta = {"frames": len(frames), "damaged": sorted(damaged), "delimited_garbage": 0,
            "undelimited_garbage": 0, "overlong": overlong_at is not None,
            "truncated": args.truncate}
    sout, serr, intact = bytearray(), bytearray(), []
    for ftype, seq, t_ns, value in frames:
        if args.garbage and rng.random() < args.garbage:
            delimited = rng.random() < 0.5
            meta["delimited_garbage" if delimited else "undelimited_garbage"] += 1
            out += garbage(rng, delimited)
        if seq == overlong_at:
            out += bytes(rng.randrange(1, 256) for _ in range(70000))
        wire = encode_frame(ftype, seq, t_ns, value)
        if seq in damaged:
            wire = flip_bit(rng, wire)
        elif seq == last and args.truncate:
            wire = wire[:rng.randrange(1, len(wire))]
        else:
            intact.append({"type": ftype.decode(), "seq": seq, "t_ns": t_ns,
                           "value_b64": base64.b64encode(value).decode()})
            if ftype == b"SOUT":
                sout += value
            elif ftype == b"SERR":
                serr += value
        out += wire
    if args.garbage and not args.truncate and rng.random() < args.garbage:
        meta["delimited_garbage"] += 1
        out += garbage(rng, True)
    # Clean means the decoder must exit 0: nothing damaged, cut, or left as a corrupt chunk.
    meta["clean"] = not (damaged or args.truncate or meta["delimited_garbage"] or overlong_at)

    with open(args.out, "wb") as f:
        f.write(out)
    with open(args.out + ".sout", "wb") as f:
        f.write(sout)
    with open(args.out + ".serr", "wb") as f:
        f.write(serr)
    with open(args.out + ".damaged", "w") as f:
        f.write("".join("%d\n" % s for s in sorted(damaged)))
    with open(args.out + ".frames", "w") as f:
        f.write("".join(json.dumps(fr) + "\n" for fr in intact))
    with open(args.out + ".meta", "w") as f:
        json.dump(meta, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
