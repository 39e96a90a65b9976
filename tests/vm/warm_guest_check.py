#!/usr/bin/env python3
"""End-to-end check of a warm start's guest side (docs/protocol.md, "Warm starts") without the
host's VmSession: packs a whole initramfs with `ktstr-vm pack --compression none`, splits it into
the base part (everything but what the run archive carries) and the run archive (the test's files,
/.ktstr_init_ok last), boots the base under QEMU with KTSTR_WARM=1, waits for WAIT, sends SPEC on
COM2 and the archive as ARCH frames on the data lane, and checks HELO ("start":"warm", seq 0),
the payload's output and DONE's exit code.

Usage: warm_guest_check.py BIN_DIR [KERNEL]   (exit 0: every check passed)
KERNEL defaults to $KTSTR_KERNEL, else the set-up cache's kernel-current/vmlinux. The temp dir
(console log, QEMU's stderr) is kept when a check fails.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from gen_capture import crc32c, encode_frame  # noqa: E402

LANE_MAX = 1 << 20


def cpio_entries(data):
    """(name, header+name+data bytes) of each newc entry, up to and without the trailer."""
    out, p = [], 0
    while True:
        assert data[p:p + 6] == b"070701", p
        f = [int(data[p + 6 + 8 * i:p + 14 + 8 * i], 16) for i in range(13)]
        size, namesize = f[6], f[11]
        name = data[p + 110:p + 110 + namesize - 1].decode()
        end = p + 110 + namesize
        end += -end % 4
        end += size
        end += -end % 4
        if name == "TRAILER!!!":
            return out, data[p:end]
        out.append((name, data[p:end]))
        p = end


def cobs_decode(b):
    out, i = bytearray(), 0
    while i < len(b):
        code = b[i]
        out += b[i + 1:i + code]
        i += code
        if code < 0xFF and i < len(b):
            out.append(0)
    return bytes(out)


def frames_of(buf):
    """Decoded (type, seq, value) frames from COM2 bytes; returns (frames, rest)."""
    out = []
    while b"\0" in buf:
        chunk, buf = buf.split(b"\0", 1)
        if not chunk:
            continue
        body = cobs_decode(chunk)
        if len(body) < 24:
            continue
        t, n, seq, _ = struct.unpack("<4sIIQ", body[:20])
        if 24 + n != len(body) or crc32c(body[:20 + n]) != struct.unpack("<I", body[20 + n:])[0]:
            out.append(("BAD!", 0, b""))
            continue
        out.append((t.decode(), seq, body[20:20 + n]))
    return out, buf


def lane_frame(t, seq, value):
    head = t + struct.pack("<IIQ", len(value), seq, 0)
    return head + value + struct.pack("<I", crc32c(value, crc32c(head)))


def main():
    bin_dir = sys.argv[1]
    cache = os.environ.get("KTSTR_CACHE") or os.path.expanduser("~/.cache/ktstr-init")
    kernel = sys.argv[2] if len(sys.argv) > 2 else (
        os.environ.get("KTSTR_KERNEL") or os.path.join(cache, "kernel-current", "vmlinux"))
    tmp = tempfile.mkdtemp(prefix="warm_check.")
    whole = os.path.join(tmp, "whole.cpio")
    subprocess.run([os.path.join(bin_dir, "ktstr-vm"), "pack", "-o", whole, "--compression", "none", "--",
                    "sh", "-c", "echo warm-ok; cat /proc/sys/kernel/random/uuid; date +%s"], check=True)
    entries, trailer = cpio_entries(open(whole, "rb").read())
    sentinel = ".ktstr_init_ok"
    in_base = lambda n: n in ("init", "bin", "bin/busybox", "dev") or n.startswith(("dev/", "bin/"))
    base = b"".join(e for n, e in entries if in_base(n) and n != sentinel) + trailer
    run = [e for n, e in entries if not in_base(n) and n != sentinel]
    run += [e for n, e in entries if n == sentinel]
    archive = b"".join(run) + trailer
    open(os.path.join(tmp, "base.cpio"), "wb").write(base)
    print(f"base {len(base)} bytes, run archive {len(archive)} bytes ({len(run)} entries)")

    socks = {}
    for name in ("com1", "com2", "lane"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(os.path.join(tmp, name + ".sock"))
        s.listen(1)
        socks[name] = s
    cmdline = ("console=ttyS0 reboot=k panic=-1 loglevel=4 quiet no_timer_check cryptomgr.notests "
               "KTSTR_TOPO=1,1,2,1 KTSTR_WARM=1")
    argv = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-machine", "pc", "-accel", "tcg,thread=single", "-smp", "2,sockets=1,cores=2,threads=1",
            "-m", "1024", "-kernel", kernel, "-initrd", os.path.join(tmp, "base.cpio"), "-append", cmdline,
            "-chardev", f"socket,id=com1,path={tmp}/com1.sock", "-serial", "chardev:com1",
            "-chardev", f"socket,id=com2,path={tmp}/com2.sock", "-serial", "chardev:com2",
            "-device", "virtio-serial-pci", "-chardev", f"socket,id=lane,path={tmp}/lane.sock",
            "-device", "virtserialport,chardev=lane,name=org.ktstr.lane"]
    if os.path.exists("/usr/share/qemu/qboot.rom"):
        argv[argv.index("-kernel"):argv.index("-kernel")] = ["-bios", "/usr/share/qemu/qboot.rom"]
    t_start = time.monotonic()
    qemu = subprocess.Popen(argv, stderr=open(os.path.join(tmp, "qemu.err"), "wb"))
    conns = {n: s.accept()[0] for n, s in socks.items()}
    com1 = open(os.path.join(tmp, "console.log"), "wb")
    for c in conns.values():
        c.setblocking(False)

    buf, frames, sent, deadline = b"", [], False, time.monotonic() + 300
    archive_frames = [archive[i:i + LANE_MAX] for i in range(0, len(archive), LANE_MAX)]
    lane_out = b"".join(lane_frame(b"ARCH", i, v) for i, v in enumerate(archive_frames))
    while time.monotonic() < deadline and qemu.poll() is None:
        for n, c in conns.items():
            try:
                d = c.recv(65536)
            except BlockingIOError:
                continue
            if n == "com1":
                com1.write(d)
            elif n == "com2":
                new, buf = frames_of(buf + d)
                for f in new:
                    if f[0] == "WAIT" and not sent:
                        print(f"WAIT seq {f[1]} after {time.monotonic() - t_start:.2f} s: {f[2].decode()}")
                        spec = {"words": ["KTSTR_TOPO=1,1,2,1"], "realtime_ns": time.time_ns(),
                                "entropy": os.urandom(64).hex(), "archive_bytes": len(archive),
                                "archive_frames": len(archive_frames)}
                        t_spec = time.monotonic()
                        conns["com2"].setblocking(True)
                        conns["com2"].sendall(encode_frame(b"SPEC", 0, 0, json.dumps(spec).encode()))
                        conns["lane"].setblocking(True)
                        conns["lane"].sendall(lane_out)
                        for c2 in conns.values():
                            c2.setblocking(False)
                        sent = True
                        continue
                    if sent:
                        frames.append(f)
                        if f[0] == "HELO":
                            print(f"HELO {time.monotonic() - t_spec:.3f} s after SPEC")
        if any(f[0] == "DONE" for f in frames):
            break
        time.sleep(0.005)
    if qemu.poll() is None:  # the guest reboots after DONE (-no-reboot: QEMU exits); give it time
        try:
            qemu.wait(timeout=30)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what)
        ok &= bool(cond)

    helo = [f for f in frames if f[0] == "HELO"]
    done = [f for f in frames if f[0] == "DONE"]
    sout = b"".join(f[2] for f in frames if f[0] == "SOUT").decode(errors="replace")
    check(sent, "WAIT arrived and SPEC was sent")
    check(helo and helo[0][1] == 0 and frames[0][0] == "HELO", "HELO is the first frame after SPEC, seq 0")
    hj = json.loads(helo[0][2]) if helo else {}
    print("HELO", hj)
    check(hj.get("start") == "warm", 'HELO "start":"warm"')
    check(not any(f[0] == "BAD!" for f in frames), "no damaged frames")
    check(sout.startswith("warm-ok\n"), "the payload ran: " + repr(sout))
    lines = sout.split("\n")
    if len(lines) > 2:
        check(abs(int(lines[2]) - time.time()) < 30, f"guest date {lines[2]} is the host's time")
    dj = json.loads(done[0][2]) if done else {}
    print("DONE", dj)
    check(dj.get("exit_code") == 0, "DONE exit 0")
    for f in frames:
        if f[0] in ("ILOG", "FATL"):
            print(f[0], f[2].decode(errors="replace").rstrip())
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("files in", tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
