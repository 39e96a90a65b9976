"""Scheduler telemetry's cost, one step of bench/system_bench.py (`system_bench.py bench_telemetry`
runs only it)."""
import json
import re
import sys


def run(results, run_vm, med, runs):
    """Scheduler telemetry's cost: RUNS interleaved pairs of scx_simple runs of one workload (200
    fork+exec, which runs the scheduler's callbacks many times), with telemetry (the default:
    bpf_stats on, a STAT sample every second) and with --no-telemetry. Whole-run host wall time,
    the workload's own guest time, and PID 1's peak RSS read at the payload's end."""
    script = ("a=$(cut -d' ' -f1 /proc/uptime); i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; "
              "b=$(cut -d' ' -f1 /proc/uptime); echo \"work $a $b\"; grep VmHWM /proc/1/status")
    data = {"on": {"wall": [], "work": [], "rss": [], "stat": [], "samples": []},
            "off": {"wall": [], "work": [], "rss": []}}
    for _ in range(runs):
        for mode, extra in (("on", []), ("off", ["--no-telemetry"])):
            code, frames, rep, wall, out, _ = run_vm(["--scheduler", "scx_simple", *extra], ["sh", "-c", script])
            if code != 0:
                print(f"telemetry {mode} run failed ({code}): {rep.get('reason')}", file=sys.stderr)
                continue
            text = out.decode(errors="replace")
            m = re.search(r"work (\S+) (\S+)", text)
            hwm = re.search(r"VmHWM:\s+(\d+) kB", text)
            d = data[mode]
            d["wall"].append(wall)
            if m:
                d["work"].append((float(m.group(2)) - float(m.group(1))) * 1000)
            if hwm:
                d["rss"].append(int(hwm.group(1)))
            if mode == "on":
                stats = [f for f in frames if f["type"] == "STAT"]
                d["samples"].append(len(stats))
                d["stat"].append(sum(len(json.dumps(f["json"], separators=(",", ":"))) for f in stats) / max(len(stats), 1))
    on, off = data["on"], data["off"]
    results.update({
        "telemetry_wall_s_on": med(on["wall"]), "telemetry_wall_s_off": med(off["wall"]),
        "telemetry_work_ms_on": med(on["work"]), "telemetry_work_ms_off": med(off["work"]),
        "telemetry_rss_kb_on": med(on["rss"]), "telemetry_rss_kb_off": med(off["rss"]),
        "telemetry_stat_bytes": med(on["stat"]), "telemetry_samples": med(on["samples"]),
        "telemetry_runs": min(len(on["wall"]), len(off["wall"])),
    })
    if on["wall"] and off["wall"]:
        results["telemetry_wall_delta_s"] = round(med(on["wall"]) - med(off["wall"]), 3)
