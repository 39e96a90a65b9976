"""Boot-time A/Bs: every choice that sets how fast a VM boots, each measured as an interleaved A/B
in one run (round-robin over the variants, so host load hits them alike), median and spread per
variant. Also the floor: a bare trivial static PID 1 booted the usual way (bzImage, plain cmdline,
same kernel and QEMU), against which `ktstr-vm run -- true` is compared.

Used by system_bench.py (`KTSTR_BENCH_ONLY=bench_boot scripts/bench.sh` runs only this part and
keeps the other rows of bench/results.json)."""
import json, os, shutil, statistics, struct, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VM = os.path.join(ROOT, "build/bin/ktstr-vm")
BARE_INIT = os.path.join(ROOT, "build/bin/bare_init")
CACHE = os.environ.get("KTSTR_CACHE") or os.path.expanduser("~/.cache/ktstr-init")
KDIR = os.path.join(CACHE, "kernel-current")
ROUNDS = int(os.environ.get("KTSTR_BENCH_AB_ROUNDS", "7"))

SEABIOS = "/usr/share/seabios/bios-256k.bin"  # QEMU's default firmware for -machine pc
QBOOT = "/usr/share/qemu/qboot.rom"
BARE_CMDLINE = "console=ttyS0 reboot=k panic=-1 quiet loglevel=1"


def loadavg():
    return round(os.getloadavg()[0], 2)


def newc(entries):
    """A newc cpio archive of (name, mode, data, rdev major, rdev minor) entries."""
    out = bytearray()
    for ino, (name, mode, data, major, minor) in enumerate(entries + [("TRAILER!!!", 0, b"", 0, 0)], 1):
        nm = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(nm), 0))
        out += hdr.encode() + nm
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def bare_initramfs(path):
    init = open(BARE_INIT, "rb").read()
    open(path, "wb").write(newc([
        ("dev", 0o040755, b"", 0, 0), ("dev/console", 0o020600, b"", 5, 1),
        ("proc", 0o040755, b"", 0, 0), ("sys", 0o040755, b"", 0, 0),
        ("init", 0o100755, init, 0, 0)]))


def bare_boot(kernel, initrd, d):
    """The trivial PID 1 booted the usual way: QEMU start to exit, seconds; None if it failed."""
    com2 = os.path.join(d, "bare-com2")
    cmd = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-machine", "pc", "-accel", "tcg,thread=single", "-smp", "2", "-m", "1024",
           "-kernel", kernel, "-initrd", initrd, "-append", BARE_CMDLINE,
           "-serial", "file:" + os.path.join(d, "bare-com1"), "-serial", "file:" + com2,
           "-device", "virtio-serial-pci", "-chardev", "null,id=hvc", "-device", "virtconsole,chardev=hvc"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, timeout=300)
    wall = time.monotonic() - t0
    ok = p.returncode == 0 and b"bare-init: up" in open(com2, "rb").read()
    return wall if ok else None


def run_report(args, payload=("true",)):
    """One `ktstr-vm run`: (whole-run wall s, its --json report) or (None, reason)."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [VM, "run", "--json", f"{d}/r.json", *args, "--", *payload]
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, timeout=600)
        wall = time.monotonic() - t0
        try:
            rep = json.load(open(f"{d}/r.json"))
        except (OSError, ValueError):
            return None, p.stderr.decode(errors="replace")[-300:]
    if p.returncode != 0:
        return None, rep.get("reason") or p.stderr.decode(errors="replace")[-300:]
    return wall, rep


def ktstr_run(args, payload=("true",)):
    """One `ktstr-vm run`: (whole-run wall s, its boot timeline) or (None, reason)."""
    wall, rep = run_report(args, payload)
    return (wall, rep.get("boot_timeline_ms", {})) if wall is not None else (None, rep)


def stats(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "median": round(statistics.median(xs), 3), "min": round(xs[0], 3),
            "max": round(xs[-1], 3)}


def interleaved(variants, rounds=ROUNDS):
    """variants: {name: () -> (wall, timeline)}; rounds round-robin, the order rotating each
    round. Returns {name: {"wall_s": stats, "init_exec_ms": stats, "failures": [...]}}."""
    names = list(variants)
    walls = {n: [] for n in names}
    execs = {n: [] for n in names}
    fails = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            wall, tl = variants[n]()
            if wall is None:
                fails[n].append(str(tl)[:200])
                continue
            walls[n].append(wall)
            if isinstance(tl, dict) and "init_exec" in tl:
                execs[n].append(tl["init_exec"])
    return {n: {"wall_s": stats(walls[n]), "init_exec_ms": stats(execs[n]), "failures": fails[n]}
            for n in names}


def run_with(*args):
    return lambda: ktstr_run(list(args))


def qemu(*words):
    return [f"--qemu-arg={w}" for w in words]


def ab_kernel_format():
    return interleaved({"bzImage": run_with("--kernel", os.path.join(KDIR, "vmlinuz")),
                        "vmlinux (PVH)": run_with("--kernel", os.path.join(KDIR, "vmlinux"))})


# Candidate default cmdline words: each alone on top of none (cryptomgr.notests=0 turns the one
# default off), then all the cheap ones together. no_timer_check is no candidate: it is in the base
# cmdline for correctness (the IO-APIC timer check panicked boots on a loaded host).
WORDS = ["cryptomgr.notests", "audit=0", "8250.nr_uarts=2", "tsc=reliable",
         "mitigations=off", "rcupdate.rcu_expedited=1"]


def ab_cmdline_words():
    none = ["--append", "cryptomgr.notests=0"]
    v = {"(none)": run_with(*none)}
    for w in WORDS:
        v[w] = run_with(*none, "--append", w)
    v["all"] = run_with(*[a for w in WORDS for a in ("--append", w)])
    return interleaved(v)


def ab_compression(d):
    """The same realistic initramfs (init, busybox, scx_simple, payload `true`) in each
    compression, booted in place of the one ktstr-vm packs (a later -initrd wins)."""
    raw = os.path.join(d, "rd.cpio")
    subprocess.run([VM, "pack", "-o", raw, "--compression", "none", "--scheduler", "scx_simple", "--", "true"],
                   check=True, capture_output=True)
    files = {"none": raw}
    for lvl in (1, 3, 19):
        files[f"zstd -{lvl}"] = f"{raw}.zst{lvl}"
        subprocess.run(["zstd", "-q", "-f", f"-{lvl}", raw, "-o", files[f"zstd -{lvl}"]], check=True)
    if shutil.which("lz4"):
        files["lz4 -l (legacy)"] = raw + ".lz4"
        subprocess.run(["lz4", "-q", "-f", "-l", raw, files["lz4 -l (legacy)"]], check=True)
    files["gzip -6"] = raw + ".gz"
    with open(files["gzip -6"], "wb") as out:
        subprocess.run(["gzip", "-n", "-6", "-c", raw], check=True, stdout=out)
    sizes = {k: os.path.getsize(f) for k, f in files.items()}
    res = interleaved({k: run_with("--scheduler", "scx_simple", *qemu("-initrd", f)) for k, f in files.items()})
    for k in res:
        res[k]["bytes"] = sizes[k]
    return res


def ab_firmware():
    return interleaved({"qboot": run_with(*qemu("-bios", QBOOT)), "SeaBIOS": run_with(*qemu("-bios", SEABIOS))})


# hpet=off is no candidate: without HPET the kernel calibrated the TSC against the PIT under TCG
# at 380 MHz instead of 2300 (guest clock 32 s at 17 s wall).
MACHINE_OPTS = ["i8042=off", "smm=off", "smbus=off", "vmport=off"]


def ab_machine():
    v = {"pc": run_with()}
    for o in MACHINE_OPTS:
        v[o] = run_with(*qemu("-machine", o))
    v["all off"] = run_with(*qemu("-machine", ",".join(MACHINE_OPTS)))
    return interleaved(v)


def floor_vs_ktstr(d):
    """The bare trivial PID 1 (bzImage, plain cmdline, SeaBIOS: the usual way) interleaved with
    ktstr-vm run -- true and ktstr-vm run --scheduler scx_simple -- true."""
    rd = os.path.join(d, "bare.cpio")
    bare_initramfs(rd)
    bz = os.path.join(KDIR, "vmlinuz")
    return interleaved({
        "bare PID 1, bzImage, usual way": lambda: (bare_boot(bz, rd, d), "bare boot failed"),
        "ktstr-vm run -- true": run_with(),
        "ktstr-vm run --scheduler scx_simple -- true": run_with("--scheduler", "scx_simple"),
    }, max(ROUNDS, 7))


GROUPS = ("floor", "kernel_format", "cmdline_words", "firmware", "initramfs_compression", "machine")


def run_all(results, log, save=lambda: None):
    """Runs every boot A/B, writes results["boot_ab"] and the flat keys of the table; `save` is
    called after each group, so a long run keeps what it measured. KTSTR_BENCH_AB_GROUPS=a,b
    re-runs only those groups and keeps the others from the last results (each group records its
    own rounds and load)."""
    only = [g for g in os.environ.get("KTSTR_BENCH_AB_GROUPS", "").split(",") if g]
    if set(only) - set(GROUPS):
        raise SystemExit(f"bench: unknown boot A/B group(s) {sorted(set(only) - set(GROUPS))}; groups: {GROUPS}")
    ab = dict(results.get("boot_ab") or {}) if only else {}
    ab.update({"rounds": ROUNDS, "loadavg_before": loadavg()})
    results["boot_ab"] = ab
    with tempfile.TemporaryDirectory() as d:
        fns = {"floor": lambda: floor_vs_ktstr(d), "kernel_format": ab_kernel_format,
               "cmdline_words": ab_cmdline_words, "firmware": ab_firmware,
               "initramfs_compression": lambda: ab_compression(d), "machine": ab_machine}
        for name in only or GROUPS:
            fn = fns[name]
            log(f"bench: boot A/B {name} (load {loadavg()}) ...")
            t0 = time.monotonic()
            ab[name] = fn()
            ab[name + "_rounds"] = ROUNDS if name != "floor" else max(ROUNDS, 7)
            ab[name + "_loadavg_after"] = loadavg()
            ab["loadavg_after"] = loadavg()
            log(f"bench: boot A/B {name} took {time.monotonic() - t0:.0f} s")
            if name == "floor":
                floor_rows(results)
            save()


def floor_rows(results):
    fl = results["boot_ab"]["floor"]
    bare = fl["bare PID 1, bzImage, usual way"]["wall_s"].get("median")
    true = fl["ktstr-vm run -- true"]["wall_s"].get("median")
    simple = fl["ktstr-vm run --scheduler scx_simple -- true"]["wall_s"].get("median")
    results["bare_pid1_boot_s"] = bare
    results["wall_s_true_vs_bare"] = true
    results["wall_s_scx_simple_vs_bare"] = simple
    results["true_over_bare_ratio"] = round(true / bare, 3) if bare and true else None


def markdown(results):
    """The A/B table: one row per variant, grouped by choice, the default marked."""
    ab = results.get("boot_ab")
    if not ab:
        return ""
    defaults = {"kernel_format": "vmlinux (PVH)", "initramfs_compression": "zstd -1", "firmware": "qboot",
                "machine": "pc"}
    lines = [f"Boot A/Bs: interleaved in rounds (n: the successful runs of a variant), median whole-run wall of "
             "`ktstr-vm run` (the floor's bare PID 1: QEMU start to exit), spread min-max, and init's exec "
             f"on the host timeline. 1-min loadavg {ab['loadavg_before']} before, {ab.get('loadavg_after')} after.",
             "", "| choice | variant | wall median (s) | min-max (s) | init exec (ms) | n | |", "|---|---|---|---|---|---|---|"]
    for group in ("floor", "kernel_format", "cmdline_words", "initramfs_compression", "firmware", "machine"):
        for name, r in ab.get(group, {}).items():
            w, e = r["wall_s"], r["init_exec_ms"]
            extra = f"{r['bytes']} B" if "bytes" in r else ""
            if defaults.get(group) == name:
                extra = (extra + " default").strip()
            if r["failures"]:
                extra += f" {len(r['failures'])} failed"
            lines.append(f"| {group} | {name} | {w.get('median', 'n/a')} | {w.get('min', '')}-{w.get('max', '')} | "
                         f"{e.get('median', '')} | {w['n']} | {extra} |")
    return "\n".join(lines) + "\n"
