"""Warm guests (docs/warm.md) against cold boots and the floor, in one interleaved run: a bare
trivial PID 1 booted the usual way (bzImage), `ktstr-vm run -- true` and `run --scheduler
scx_simple -- true`, each cold (--cold) and warm; then a suite of 24 trivial tests at -j2, cold and
warm, interleaved; then the first run of a shape no snapshot exists for (it boots, saves the
snapshot and runs) against a cold run. The warm path's breakdown comes from the runs' reports.

Used by system_bench.py (`KTSTR_BENCH_ONLY=bench_warm scripts/bench.sh` runs only this part)."""
import json, os, statistics, subprocess, sys, tempfile, time

import boot_bench

VM = boot_bench.VM
run_report = boot_bench.run_report
ROUNDS = int(os.environ.get("KTSTR_BENCH_WARM_ROUNDS", "9"))
SUITE_TESTS = 24
SUITE_ROUNDS = int(os.environ.get("KTSTR_BENCH_WARM_SUITE_ROUNDS", "2"))


def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


def interleaved_runs(variants, rounds, log):
    """variants: name -> thunk returning (wall, report-or-reason). Round-robin; walls and reports."""
    walls = {k: [] for k in variants}
    reports = {k: [] for k in variants}
    for i in range(rounds):
        for name, thunk in variants.items():
            wall, rep = thunk()
            if wall is None:
                log(f"bench_warm: {name}: failed: {rep}")
            walls[name].append(wall)
            if isinstance(rep, dict):
                reports[name].append(rep)
        log(f"bench_warm: round {i + 1}/{rounds}: " +
            ", ".join(f"{k} {w[-1]:.2f}s" if w[-1] else f"{k} failed" for k, w in walls.items()))
    return walls, reports


def suite_wall(manifest, art, cold):
    args = [VM, "suite", manifest, "-j2", "--artifacts", art] + (["--cold"] if cold else [])
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, timeout=1800)
    wall = time.monotonic() - t0
    return (wall, None) if p.returncode == 0 else (None, p.stdout.decode(errors="replace")[-300:])


def breakdown(reports):
    """Medians of the warm path's parts, from the runs' reports (ms)."""
    def pick(f):
        return med([f(r) for r in reports if r.get("start", {}).get("kind") == "restore"])
    def helo(r):
        return r.get("helo") or {}
    return {
        "restore_ms": pick(lambda r: r["start"].get("restore_ms")),
        "to_test_ms": pick(lambda r: r["start"].get("to_test_ms")),
        "guest_spec_ms": pick(lambda r: helo(r).get("spec_ms")),
        "guest_archive_ms": pick(lambda r: helo(r).get("archive_ms")),
        "archive_bytes": pick(lambda r: r["start"].get("archive_bytes")),
        "wall_s_in_report": pick(lambda r: r.get("wall_s")),
        "boot_timeline_ms": (reports[-1].get("boot_timeline_ms") if reports else None),
    }


def run_all(results, log):
    with tempfile.TemporaryDirectory() as d:
        rd = os.path.join(d, "bare.cpio")
        boot_bench.bare_initramfs(rd)
        bz = os.path.join(boot_bench.KDIR, "vmlinuz")
        # Warm runs need their snapshots: one run of each shape first (not counted).
        for args in ([], ["--scheduler", "scx_simple"]):
            run_report(args)
        variants = {
            "bare PID 1, bzImage": lambda: (boot_bench.bare_boot(bz, rd, d), "bare boot failed"),
            "run -- true, cold": lambda: run_report(["--cold"]),
            "run -- true, warm": lambda: run_report([]),
            "run --scheduler scx_simple -- true, cold": lambda: run_report(["--cold", "--scheduler", "scx_simple"]),
            "run --scheduler scx_simple -- true, warm": lambda: run_report(["--scheduler", "scx_simple"]),
        }
        walls, reports = interleaved_runs(variants, ROUNDS, log)
        bare = med(walls["bare PID 1, bzImage"])
        warm = {}
        for name in variants:
            warm[name] = {"median_s": med(walls[name]), "min_s": min([w for w in walls[name] if w] or [0]),
                          "max_s": max([w for w in walls[name] if w] or [0]),
                          "over_bare": round(med(walls[name]) / bare, 3) if bare and med(walls[name]) else None}
        warm["warm path breakdown"] = breakdown(reports["run -- true, warm"])
        # The suite: 24 trivial tests at -j2, cold and warm, interleaved.
        manifest = os.path.join(d, "suite.toml")
        open(manifest, "w").write("".join(f'[[test]]\nname = "t{i}"\nargs = ["true"]\n' for i in range(SUITE_TESTS)))
        suite_walls, _ = interleaved_runs({
            "suite cold": lambda: suite_wall(manifest, os.path.join(d, "art-cold"), True),
            "suite warm": lambda: suite_wall(manifest, os.path.join(d, "art-warm"), False),
        }, SUITE_ROUNDS, log)
        sc, sw = med(suite_walls["suite cold"]), med(suite_walls["suite warm"])
        warm["suite of 24 at -j2"] = {"cold_s": sc, "warm_s": sw,
                                      "warm_over_cold": round(sw / sc, 3) if sc and sw else None}
        # The first run of a shape without a snapshot (a memory size no other run uses) against a
        # cold run of the same shape: what making the snapshot in the same QEMU costs.
        first, cold = [], []
        for i in range(3):
            mem = str(1088 + 16 * i + int(time.time()) % 7 * 48)
            w, rep = run_report(["--memory", mem])
            first.append(w if isinstance(rep, dict) and rep["start"]["kind"] == "create" else None)
            cold.append(run_report(["--cold", "--memory", mem])[0])
        warm["first run (boot + save + run) vs cold"] = {"first_s": med(first), "cold_s": med(cold),
                                                          "extra_s": round(med(first) - med(cold), 3)
                                                          if med(first) and med(cold) else None}
    results["warm"] = warm
    results["warm_true_over_bare"] = warm["run -- true, warm"]["over_bare"]
    results["cold_true_over_bare"] = warm["run -- true, cold"]["over_bare"]
    results["warm_scx_simple_over_bare"] = warm["run --scheduler scx_simple -- true, warm"]["over_bare"]
    results["warm_true_s"] = warm["run -- true, warm"]["median_s"]
    results["warm_suite24_over_cold"] = warm["suite of 24 at -j2"]["warm_over_cold"]
    results["warm_first_run_extra_s"] = warm["first run (boot + save + run) vs cold"]["extra_s"]
    log(json.dumps(warm, indent=2))


if __name__ == "__main__":
    out = {}
    run_all(out, lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(out, indent=2))
