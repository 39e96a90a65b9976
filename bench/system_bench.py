#!/usr/bin/env python3
"""Whole-system benchmark: boots the real kernel with the real init and schedulers through
ktstr-vm, and measures what docs/ and the issues budget. Writes bench/results.json and
bench/results.md (a Markdown table with date and machine). Run through scripts/bench.sh.

Guest latencies come from frame timestamps (CLOCK_BOOTTIME); kernel moments come from printk
timestamps, related to CLOCK_BOOTTIME by the clock reference record init writes to /dev/kmsg."""
import json, os, platform, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VM = os.path.join(ROOT, "build/bin/ktstr-vm")
INIT = os.path.join(ROOT, "build/bin/init")
RUNS = int(os.environ.get("KTSTR_BENCH_RUNS", "5"))



sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import gen_capture  # noqa: E402  the independent encoder of docs/protocol.md, used by the tests
sys.path.insert(0, os.path.join(ROOT, "bench"))
import boot_bench  # noqa: E402  boot-time A/Bs and the bare PID 1 floor
import telemetry_bench  # noqa: E402  scheduler telemetry on/off
import output_bench  # noqa: E402  the output tree: lane, COM2, the lane's boot cost
import warm_bench  # noqa: E402  warm guests against cold boots and the bare floor


def decode_capture(path):
    """Frames of a COM2 capture via `ktstr-vm decode --json`: dicts with type, seq, t_ns, and
    json (control frames) or value (stream bytes)."""
    p = subprocess.run([VM, "decode", "--json", path], capture_output=True)
    frames = []
    for line in p.stdout.decode(errors="replace").splitlines():
        f = json.loads(line)
        if f.get("encoding") == "text":
            f["value"] = f["value"].encode()
        elif f.get("encoding") == "base64":
            import base64
            f["value"] = base64.b64decode(f["value"])
        else:
            f["json"] = f.get("value")
        frames.append(f)
    return frames


def run_vm(args, payload):
    """One ktstr-vm run; returns (exit code, frames, report, host wall seconds, stdout, stderr)."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [VM, "run", "--com2-log", f"{d}/com2", "--json", f"{d}/r.json", *args, "--", *payload]
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True)
        wall = time.monotonic() - t0
        frames = decode_capture(f"{d}/com2")
        report = json.load(open(f"{d}/r.json"))
    return p.returncode, frames, report, wall, p.stdout, p.stderr


def first(frames, ftype, key=None, value=None):
    for f in frames:
        if f["type"] == ftype and (key is None or f.get("json", {}).get(key) == value):
            return f
    return None


def ms(ns):
    return ns / 1e6


def printk_s(text, pattern):
    m = re.search(r"\[\s*(\d+\.\d+)\] " + pattern, text)
    return float(m.group(1)) if m else None


def clock_offset_ns(dmesg):
    """printk clock minus CLOCK_BOOTTIME, from init's reference record."""
    m = re.search(r"\[\s*(\d+\.\d+)\] ktstr-init: clock reference boottime_ns=(\d+)", dmesg)
    return float(m.group(1)) * 1e9 - int(m.group(2)) if m else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 2) if xs else None


def bench_scheduler_runs(results):
    """RUNS runs with scx_simple: boot and attach latencies, exit -> reboot, wall time."""
    helo, spawn, attach, boot_payload, exit_reboot, walls = [], [], [], [], [], []
    payload = ["sh", "-c", "dmesg | grep -E 'clock reference|BPF scheduler'"]
    for _ in range(RUNS):
        code, frames, rep, wall, out, _ = run_vm(["--scheduler", "scx_simple"], payload)
        if code != 0:
            print(f"run failed ({code}): {rep.get('reason')}", file=sys.stderr)
            continue
        done = frames[-1]["json"]
        init_start_ms = done["timings_ms"]["init_start"]
        helo.append(ms(frames[0]["t_ns"]) - init_start_ms)
        spawn.append(ms(first(frames, "SCHD", "event", "spawned")["t_ns"]) - init_start_ms)
        dmesg = out.decode(errors="replace")
        off = clock_offset_ns(dmesg)
        enabled_s = printk_s(dmesg, r'sched_ext: BPF scheduler "simple" enabled')
        att = first(frames, "SCHD", "event", "attached")
        if off is not None and enabled_s is not None:
            attach.append(ms(att["json"]["t_enabled_ns"] - (enabled_s * 1e9 - off)))
        boot_payload.append(rep["host_ms_since_qemu_start"]["payload_started"])
        exit_reboot.append(ms(frames[-1]["t_ns"] - first(frames, "PHAS", "phase", "payload_exited")["t_ns"])
                           - done["timings_ms"].get("drain_queued", 0))
        walls.append(wall)
    results.update({
        "helo_ms": med(helo), "sched_spawn_ms": med(spawn), "attach_detect_ms": med(attach),
        "attach_detect_max_ms": round(max(attach), 2) if attach else None,
        "boot_to_payload_ms": med(boot_payload), "exit_to_reboot_with_sched_ms": med(exit_reboot),
        "wall_s_scx_simple": med(walls), "runs": len(walls),
    })


def bench_exit_to_reboot(results):
    """Payload exit -> reboot() without a scheduler to stop (the init's own teardown cost)."""
    xs, walls, to_payload = [], [], []
    for _ in range(RUNS):
        code, frames, rep, wall, _, _ = run_vm([], ["true"])
        if code == 0:
            # Init's own way from exec to the payload's start, nothing else in the way.
            to_payload.append(ms(first(frames, "PHAS", "phase", "payload_started")["t_ns"])
                              - frames[-1]["json"]["timings_ms"]["init_start"])
            # The budget excludes draining what is still queued: the kernel log's last records.
            drain = frames[-1]["json"]["timings_ms"].get("drain_queued", 0)
            xs.append(ms(frames[-1]["t_ns"] - first(frames, "PHAS", "phase", "payload_exited")["t_ns"]) - drain)
            walls.append(wall)
    results["exit_to_reboot_ms"] = med(xs)
    results["init_to_payload_ms"] = med(to_payload)
    results["wall_s_no_scheduler"] = med(walls)


def death_latencies(args, payload, runs, split=None):
    """SCHD died time minus the moment the dying process announced (`exiting at boottime_ns=`
    in its output: bench/exit_stamp keeps that appointment, the fixture prints it as it exits).
    With `split` (a list), also appends (death -> reaped, reaped -> frame) pairs."""
    xs = []
    for _ in range(runs):
        _, frames, _, _, _, _ = run_vm(args, payload)
        slog = b"".join(f["value"] for f in frames if f["type"] == "SLOG").decode(errors="replace")
        m = re.search(r"exiting at boottime_ns=(\d+)", slog)
        died = first(frames, "SCHD", "event", "died")
        if m and died:
            xs.append(ms(died["t_ns"] - int(m.group(1))))
            if split is not None and "t_reaped_ns" in died["json"]:
                split.append((ms(died["json"]["t_reaped_ns"] - int(m.group(1))),
                              ms(died["t_ns"] - died["json"]["t_reaped_ns"])))
    return xs


def bench_sched_death(results):
    """Init's reaction to a scheduler's death: a stand-in that dies at a moment it announced
    (nothing of its own between that moment and its exit), and the real fixture disabled by
    scx_bpf_error() (its figure includes its own exit path). At -smp 2 the samples are bimodal:
    ~40% take ~4.5 ms longer (waking init on the other vCPU under single-threaded TCG; at -smp 1
    that mode is absent), so the median flips with the draw: show the spread and -smp 1 too."""
    stamp = os.path.join(ROOT, "build/bin/exit_stamp")

    def death(extra, delay_ms, n, split=None):
        args = [*extra, "--scheduler", stamp, "--attach-timeout-ms", "10000"]
        if delay_ms is not None:
            args += ["--sched-arg", str(delay_ms)]
        return death_latencies(args, ["true"], n, split)

    def over_5(xs):
        return f"{sum(x > 5 for x in xs)}/{len(xs)}"

    # Steady state: it dies 4 s after spawn (~6 s into the boot), init's loop otherwise idle.
    split = []
    steady = death([], 4000, max(RUNS, 21), split)
    results["sched_death_detect_ms"] = med(steady)
    results["sched_death_detect_min_ms"] = round(min(steady), 2) if steady else None
    results["sched_death_detect_max_ms"] = round(max(steady), 2) if steady else None
    results["sched_death_detect_over_5ms"] = over_5(steady)
    # Where the time goes: the death until waitpid() returns the child in init (the process's
    # wake-up and exit path, SIGCHLD, init's wake-up), then init's own work until the frame.
    results["sched_death_exit_to_reaped_ms"] = med([a for a, _ in split])
    results["sched_death_reaped_to_frame_ms"] = med([b for _, b in split])
    one = death(["--smp", "1"], 4000, max(RUNS, 11))
    results["sched_death_detect_smp1_ms"] = med(one)
    results["sched_death_detect_smp1_over_5ms"] = over_5(one)
    # Early: 1.5 s after spawn, ~3.5 s into the boot.
    early = death([], 1500, max(RUNS, 11))
    results["sched_death_detect_early_ms"] = med(early)
    results["sched_death_detect_early_over_5ms"] = over_5(early)
    # At once: init is still sending the boot's kernel records.
    results["sched_death_detect_at_start_ms"] = med(death([], None, RUNS))
    results["sched_death_detect_real_sched_ms"] = med(death_latencies(
        ["--scheduler", "scx_ktstr_test", "--sched-arg", "-e", "--sched-arg", "1000"], ["sleep", "30"],
        max(2, RUNS // 2)))


def bench_com2(results):
    """Payload bytes through SOUT frames vs the same bytes written raw to /dev/ttyS1, one VM."""
    n = 2_000_000
    script = f"""
t() {{ cut -d' ' -f1 /proc/uptime; }}
a=$(t); head -c {n} /dev/zero | tr '\\0' x; b=$(t)
grep -E 'VmHWM|Threads' /proc/1/status >&2
c=$(t); head -c {n} /dev/zero | tr '\\0' x > /dev/ttyS1; d=$(t)
echo "framed $a $b raw $c $d" >&2
"""
    code, frames, rep, _, out, err = run_vm(["--guest-key", "KTSTR_HEARTBEAT_MS=0"], ["sh", "-c", script])
    serr = b"".join(f["value"] for f in frames if f["type"] == "SERR").decode()
    m = re.search(r"framed (\S+) (\S+) raw (\S+) (\S+)", serr)
    if m:
        a, b, c, d = map(float, m.groups())
        framed, raw = n / (b - a), n / (d - c)
        results["com2_framed_bytes_per_s"] = round(framed)
        results["com2_raw_bytes_per_s"] = round(raw)
        results["com2_framed_over_raw"] = round(framed / raw, 3)
    hwm = re.search(r"VmHWM:\s+(\d+) kB", serr)
    thr = re.search(r"Threads:\s+(\d+)", serr)
    results["init_peak_rss_kb"] = int(hwm.group(1)) if hwm else None
    results["init_threads"] = int(thr.group(1)) if thr else None
    # Overhead from a framed-only run: everything on the wire vs the payload's bytes.
    code, frames, rep, _, _, _ = run_vm(["--guest-key", "KTSTR_HEARTBEAT_MS=0"],
                                        ["sh", "-c", f"head -c {n} /dev/zero | tr '\\0' x"])
    # The payload's stream framing: its SOUT frames re-encoded by the independent encoder of the
    # tests (tests/tools/gen_capture.py) against their value bytes.
    wire = sum(len(gen_capture.encode_frame(b"SOUT", f["seq"], f["t_ns"], f["value"]))
               for f in frames if f["type"] == "SOUT")
    sout = sum(len(f["value"]) for f in frames if f["type"] == "SOUT")
    results["framing_overhead_pct"] = round((wire - sout) / sout * 100, 3) if sout else None
    # Everything on the wire vs every value (small KMSG/control frames included).
    values = sum(rep["com2"]["value_bytes"].values())
    results["com2_all_frames_overhead_pct"] = round((rep["com2"]["bytes"] - values) / values * 100, 3)


def bench_console(results):
    """Boot to HELO with the default quiet console (loglevel=4) vs a loud one (loglevel=7, every
    info record printed on the 8250, which busy-waits per character under TCG). Interleaved."""
    quiet, loud = [], []
    for _ in range(RUNS):
        for bucket, extra in ((quiet, []), (loud, ["--append", "loglevel=7"])):
            code, _, rep, _, _, _ = run_vm(extra, ["true"])
            if code == 0:
                bucket.append(rep["host_ms_since_qemu_start"]["HELO"])
    results["boot_to_helo_quiet_ms"] = med(quiet)
    results["boot_to_helo_loud_ms"] = med(loud)
    if quiet and loud:
        results["boot_quiet_vs_loud"] = round(med(quiet) / med(loud), 3)


TOPO_SHAPES = ["1,1,2,1", "2,4,2,1", "2,4,2,2", "2,4,4,1"]  # results keys: topo_1121_helo_ms, ...


def bench_topology(results):
    """Whole run and QEMU start -> HELO per topology, `true` without a scheduler, interleaved.
    Under TCG every vCPU shares one host thread: the cost of a big shape. 2,4,2,2 against 2,4,4,1
    (16 vCPUs each) is the price of SMT and its CPU model."""
    runs = int(os.environ.get("KTSTR_BENCH_TOPO_RUNS", "3"))
    key = {shape: shape.replace(",", "") for shape in TOPO_SHAPES}
    helo = {shape: [] for shape in TOPO_SHAPES}
    walls = {shape: [] for shape in TOPO_SHAPES}
    for _ in range(runs):
        for shape in TOPO_SHAPES:
            code, _, rep, wall, _, _ = run_vm(["--topology", shape], ["true"])
            if code != 0:
                print(f"topology {shape} failed ({code}): {rep.get('reason')}", file=sys.stderr)
                continue
            helo[shape].append(rep["host_ms_since_qemu_start"]["HELO"])
            walls[shape].append(wall)
    for shape in TOPO_SHAPES:
        results[f"topo_{key[shape]}_helo_ms"] = med(helo[shape])
        results[f"topo_{key[shape]}_wall_s"] = med(walls[shape])
    results["topo_runs"] = runs


def bench_telemetry(results):
    telemetry_bench.run(results, run_vm, med, RUNS)


def bench_output(results):
    output_bench.run(results, run_vm, med, RUNS)


def bench_decoder(results):
    exe = os.path.join(ROOT, "build/bench/decoder_bench")
    if not os.path.exists(exe):
        return
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([exe, f"{d}/dec.json"], capture_output=True)
        try:
            results["decoder_mb_per_s"] = json.load(open(f"{d}/dec.json")).get("mb_per_s")
        except (OSError, ValueError):
            pass


def bench_pack(results):
    """`ktstr-vm pack` wall time and initramfs size: today's static case (static fixture
    scheduler, busybox payload) against a realistic closure (the fixture built dynamically, as the
    kernel tree builds it, plus stress-ng by name: interpreter and ~30 libraries)."""
    cases = {"static": ["--scheduler", "scx_ktstr_test", "--", "true"],
             "dynamic": ["--scheduler", "scx_ktstr_test-dynamic", "--", "stress-ng", "--cpu", "2", "-t", "3"]}
    with tempfile.TemporaryDirectory() as d:
        for name, args in cases.items():
            walls = []
            for _ in range(max(RUNS, 5)):
                t0 = time.monotonic()
                p = subprocess.run([VM, "pack", "-o", f"{d}/{name}.cpio.zst", *args], capture_output=True)
                walls.append((time.monotonic() - t0) * 1000)
                if p.returncode != 0:
                    print(f"bench: pack {name} failed: {p.stderr.decode(errors='replace')}", file=sys.stderr)
                    return
            results[f"pack_{name}_ms"] = med(walls)
            results[f"pack_{name}_bytes"] = os.path.getsize(f"{d}/{name}.cpio.zst")
    # What the bigger initramfs costs a whole run (the guest unpacks it under TCG): interleaved,
    # so both cases see the same host load.
    walls = {"static": [], "dynamic": []}
    for _ in range(RUNS):
        for name, args, payload in (("static", ["--scheduler", "scx_ktstr_test"], ["true"]),
                                    ("dynamic", ["--scheduler", "scx_ktstr_test-dynamic"], ["stress-ng", "--version"])):
            code, _, _, wall, _, _ = run_vm(args, payload)
            if code == 0:
                walls[name].append(wall)
    results["wall_s_static_fixture"] = med(walls["static"])
    results["wall_s_dynamic_closure"] = med(walls["dynamic"])
def bench_suite(results):
    """16 trivial tests through `ktstr-vm suite` at -j1 and -j2 (tests per minute), and the suite's
    per-test overhead against 16 bare `ktstr-vm run`s one after another (same machine, same run)."""
    n = 16
    with tempfile.TemporaryDirectory() as d:
        manifest = os.path.join(d, "suite.toml")
        open(manifest, "w").write("".join(f'[[test]]\nname = "t{i}"\nargs = ["true"]\n' for i in range(n)))
        walls = {}
        for j in (1, 2):
            t0 = time.monotonic()
            p = subprocess.run([VM, "suite", manifest, f"-j{j}", "--artifacts", f"{d}/art"], capture_output=True)
            walls[j] = time.monotonic() - t0
            if p.returncode != 0:
                print(f"suite -j{j} failed ({p.returncode}): {p.stdout.decode()[-500:]}", file=sys.stderr)
        t0 = time.monotonic()
        for _ in range(n):
            subprocess.run([VM, "run", "--", "true"], capture_output=True)
        bare = time.monotonic() - t0
    results["suite_tests_per_min_j1"] = round(n / walls[1] * 60, 1)
    results["suite_tests_per_min_j2"] = round(n / walls[2] * 60, 1)
    results["bare_runs_per_min"] = round(n / bare * 60, 1)
    results["suite_overhead_per_test_ms"] = round((walls[1] - bare) / n * 1000, 1)


BUDGETS = [  # key, target, comparison, label
    ("com2_framed_over_raw", 0.9, ">=", "COM2 framed/raw throughput"),
    ("framing_overhead_pct", 1.0, "<=", "framing overhead of the payload's stream frames %"),
    ("com2_all_frames_overhead_pct", None, None, "COM2 bytes vs all values, incl. small kernel/control frames %"),
    ("init_stripped_bytes", 1_000_000, "<=", "init stripped size (B)"),
    ("init_peak_rss_kb", 2048, "<=", "PID 1 peak RSS (kB)"),
    ("init_threads", 1, "<=", "threads in PID 1"),
    ("attach_detect_ms", 10, "<=", "enabled -> SCHD attached (ms)"),
    ("sched_death_detect_ms", 5, "<=", "scheduler death -> SCHD died, -smp 2, 4 s after spawn, median of 21 (ms)"),
    ("sched_death_detect_min_ms", None, None, "... fastest sample (ms)"),
    ("sched_death_detect_max_ms", None, None, "... slowest sample (ms)"),
    ("sched_death_detect_over_5ms", None, None, "... samples over 5 ms (the cross-vCPU slow mode)"),
    ("sched_death_exit_to_reaped_ms", None, None, "... of which: death -> init's waitpid() returns it (ms)"),
    ("sched_death_reaped_to_frame_ms", None, None, "... of which: init's own work until SCHD died (ms)"),
    ("sched_death_detect_smp1_ms", None, None, "same at -smp 1, median of 11 (ms)"),
    ("sched_death_detect_smp1_over_5ms", None, None, "... samples over 5 ms"),
    ("sched_death_detect_early_ms", None, None, "death 1.5 s after spawn (~3.5 s into boot), median of 11 (ms)"),
    ("sched_death_detect_early_over_5ms", None, None, "... samples over 5 ms"),
    ("sched_death_detect_at_start_ms", None, None, "death at spawn (boot kernel records still queued) (ms)"),
    ("sched_death_detect_real_sched_ms", None, None, "scx_ktstr_test error exit -> SCHD died, incl. its exit path (ms)"),
    ("exit_to_reboot_ms", 50, "<=", "payload exit -> reboot, no scheduler (ms)"),
    ("helo_ms", None, None, "init exec -> HELO (ms)"),
    ("sched_spawn_ms", None, None, "init exec -> scheduler spawned (ms)"),
    ("init_to_payload_ms", None, None, "init exec -> payload started, no scheduler (ms)"),
    ("boot_to_payload_ms", None, None, "QEMU start -> payload started, host (ms)"),
    ("exit_to_reboot_with_sched_ms", None, None, "payload exit -> reboot, stopping scx_simple (ms)"),
    ("wall_s_no_scheduler", None, None, "whole run, `true`, median (s)"),
    ("wall_s_scx_simple", None, None, "whole run with scx_simple, median (s)"),
    ("decoder_mb_per_s", 200, ">=", "host decoder (MB/s)"),
    ("telemetry_wall_s_on", None, None, "whole run, scx_simple + 200 fork/exec, telemetry on (s)"),
    ("telemetry_wall_s_off", None, None, "... same with --no-telemetry (s)"),
    ("telemetry_wall_delta_s", None, None, "... difference on - off (s)"),
    ("telemetry_work_ms_on", None, None, "the 200 fork/exec inside the guest, telemetry on (bpf_stats) (ms)"),
    ("telemetry_work_ms_off", None, None, "... telemetry off (ms)"),
    ("telemetry_rss_kb_on", 2048, "<=", "PID 1 peak RSS at the payload's end, telemetry on (kB)"),
    ("telemetry_rss_kb_off", None, None, "... telemetry off (kB)"),
    ("telemetry_stat_bytes", None, None, "STAT frame value, scx_simple (B)"),
    ("boot_to_helo_quiet_ms", None, None, "QEMU start -> HELO, quiet console (ms)"),
    ("boot_to_helo_loud_ms", None, None, "QEMU start -> HELO, loglevel=7 console (ms)"),
    ("boot_quiet_vs_loud", None, None, "boot time quiet/loud console (ratio)"),
    ("pack_static_ms", None, None, "ktstr-vm pack, static scheduler + busybox payload, median (ms)"),
    ("pack_static_bytes", None, None, "... its initramfs (B, zstd)"),
    ("pack_dynamic_ms", None, None, "ktstr-vm pack, dynamic scheduler + stress-ng and their libraries, median (ms)"),
    ("pack_dynamic_bytes", None, None, "... its initramfs (B, zstd)"),
    ("wall_s_static_fixture", None, None, "whole run, static scx_ktstr_test, `true`, median (s)"),
    ("wall_s_dynamic_closure", None, None, "whole run, scx_ktstr_test-dynamic, `stress-ng --version`, median (s)"),
    ("bare_pid1_boot_s", None, None, "bare trivial PID 1, bzImage, plain cmdline, SeaBIOS: QEMU start to exit, median (s)"),
    ("wall_s_true_vs_bare", 2.0, "<=", "whole run, `true`, interleaved with the bare boot, median (s)"),
    ("wall_s_scx_simple_vs_bare", 2.9, "<=", "whole run with scx_simple, interleaved with the bare boot, median (s)"),
    ("true_over_bare_ratio", 0.65, "<=", "`ktstr-vm run -- true` / bare PID 1 (ratio of medians)"),
    ("suite_tests_per_min_j1", None, None, "suite of 16 `true` tests, -j1 (tests/min)"),
    ("suite_tests_per_min_j2", None, None, "... -j2 (tests/min)"),
    ("bare_runs_per_min", None, None, "16 bare `ktstr-vm run -- true` one after another (runs/min)"),
    ("suite_overhead_per_test_ms", None, None, "suite -j1 per-test overhead vs a bare run (ms)"),
    ("topo_1121_helo_ms", None, None, "QEMU start -> HELO at --topology 1,1,2,1 (default --smp 2) (ms)"),
    ("topo_1121_wall_s", None, None, "... whole run, `true` (s)"),
    ("topo_2421_helo_ms", None, None, "QEMU start -> HELO at --topology 2,4,2,1 (2 nodes, 4 LLCs, 8 vCPUs) (ms)"),
    ("topo_2421_wall_s", None, None, "... whole run, `true` (s)"),
    ("topo_2422_helo_ms", None, None, "QEMU start -> HELO at --topology 2,4,2,2 (SMT, 16 vCPUs, Nehalem CPU model) (ms)"),
    ("topo_2422_wall_s", None, None, "... whole run, `true` (s)"),
    ("topo_2441_helo_ms", None, None, "QEMU start -> HELO at --topology 2,4,4,1 (16 vCPUs, no SMT, default CPU model) (ms)"),
    ("topo_2441_wall_s", None, None, "... whole run, `true` (s)"),
    ("output_50mb_extra_s", 1.5, "<=", "whole run with a 50 MB --output tree minus the same run without (s)"),
    ("output_50mb_wall_s", None, None, "... whole run with the tree, median (s)"),
    ("output_lane_mb_per_s", None, None, "... the tree on the data lane, guest PHAS output -> DONE (MB/s)"),
    ("output_com2_2mb_extra_s", None, None, "whole run with a 2 MB tree over COM2 (--no-lane) minus without (s)"),
    ("output_com2_mb_per_s", None, None, "... the tree over COM2, guest PHAS output -> DONE (MB/s)"),
    ("lane_device_helo_extra_ms", None, None, "the lane's device in a run without a tree: QEMU start -> HELO extra (ms)"),
    ("lane_device_wall_extra_s", None, None, "... whole run `true` extra (s)"),
    ("warm_true_over_bare", 0.15, "<=", "warm `run -- true` / bare PID 1 bzImage boot, medians interleaved"),
    ("cold_true_over_bare", None, None, "... the same run --cold / bare"),
    ("warm_true_s", None, None, "... warm `run -- true`, median (s)"),
    ("warm_scx_simple_over_bare", None, None, "warm `run --scheduler scx_simple -- true` / bare"),
    ("warm_suite24_over_cold", 0.25, "<=", "suite of 24 trivial tests at -j2: warm / --cold wall"),
    ("warm_first_run_extra_s", None, None, "first run of a shape (boot, save, run) minus a cold run (s)"),
]


def verdict(v, target, op):
    if v is None:
        return "n/a"
    if target is None:
        return ""
    ok = v >= target if op == ">=" else v <= target
    return "PASS" if ok else "MISS"


def bench_boot(results):
    out = os.path.join(ROOT, "bench", "results.json")
    boot_bench.run_all(results, lambda m: print(m, file=sys.stderr, flush=True),
                       lambda: json.dump(results, open(out, "w"), indent=2))


def bench_warm(results):
    warm_bench.run_all(results, lambda m: print(m, file=sys.stderr, flush=True))


def main():
    out = os.path.join(ROOT, "bench", "results.json")
    results = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.node()} {os.cpu_count()} cores, "
               f"{platform.release()}", "accel": "tcg,thread=single"}
    results["init_stripped_bytes"] = os.path.getsize(INIT)
    steps = (bench_scheduler_runs, bench_exit_to_reboot, bench_sched_death, bench_com2, bench_console,
             bench_decoder, bench_pack, bench_boot, bench_suite, bench_topology, bench_telemetry, bench_output, bench_warm)
    # KTSTR_BENCH_ONLY=bench_pack,...: run only these steps, update the other rows from the last results.
    only = [x for x in os.environ.get("KTSTR_BENCH_ONLY", "").split(",") if x]
    if only:
        unknown = set(only) - {f.__name__ for f in steps}
        if unknown:
            sys.exit(f"bench: unknown step(s) {sorted(unknown)}; steps: {[f.__name__ for f in steps]}")
        try:
            old = json.load(open(os.path.join(ROOT, "bench", "results.json")))
            today = results["date"]
            results = {**old, **results, "date": old.get("date", today), "machine": old.get("machine")}
            results["updated"] = f"{', '.join(only)} re-measured {today}"
        except (OSError, ValueError):
            pass
        steps = [f for f in steps if f.__name__ in only]
    for step in steps:
        print(f"bench: {step.__name__} ...", file=sys.stderr, flush=True)
        step(results)
    json.dump(results, open(out, "w"), indent=2)
    lines = [f"Measured {results['date']} on {results['machine']}, QEMU TCG single-threaded, "
             f"{results.get('runs')} runs per median."
             + (f" Only {results['updated']}." if results.get("updated") else ""), "",
             "| metric | value | target | |", "|---|---|---|---|"]
    for key, target, op, label in BUDGETS:
        v = results.get(key)
        lines.append(f"| {label} | {v if v is not None else 'n/a'} | "
                     f"{(op + ' ' + str(target)) if target is not None else ''} | {verdict(v, target, op)} |")
    md = "\n".join(lines) + "\n\n" + boot_bench.markdown(results)
    open(os.path.join(ROOT, "bench", "results.md"), "w").write(md)
    print(md)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
