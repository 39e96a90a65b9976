"""The output tree's cost, one step of bench/system_bench.py (`KTSTR_BENCH_ONLY=bench_output`
runs only it): what taking a 50 MB tree adds to a whole run over the data lane, what a smaller
tree costs over COM2 (a guest without the lane), and what the lane's device costs a boot that
takes no tree."""
import os
import shutil
import sys
import tempfile

BIG = 50 * 1000 * 1000     # the 50 MB
SMALL = 2 * 1000 * 1000    # over COM2: ~0.5 MB/s, so a smaller file
LANE_DEVICE = ["--qemu-arg=-device", "--qemu-arg=virtio-serial-pci",
               "--qemu-arg=-device", "--qemu-arg=virtserialport,name=org.ktstr.lane"]


def writer(nbytes):
    # The payload writes the same file with or without --output; only the tree's transfer differs.
    return ["sh", "-c", f"head -c {nbytes} /dev/zero >\"$KTSTR_OUTPUT/big\""]


def send_s(frames):
    """Guest seconds from PHAS output (init starts the tree) to DONE, from the COM2 frames."""
    start = next((f for f in frames if f["type"] == "PHAS" and f.get("json", {}).get("phase") == "output"), None)
    done = next((f for f in frames if f["type"] == "DONE"), None)
    return (done["t_ns"] - start["t_ns"]) / 1e9 if start and done else None


def run(results, run_vm, med, runs):
    walls = {"none": [], "lane": [], "com2_none": [], "com2": [], "bare": [], "device": []}
    send = {"lane": [], "com2": []}
    helo = {"bare": [], "device": []}
    with tempfile.TemporaryDirectory() as d:
        for i in range(runs):
            # Interleaved, so each pair sees the same host load.
            cases = (("none", [], writer(BIG)), ("lane", ["--output", f"{d}/lane{i}"], writer(BIG)),
                     ("com2_none", [], writer(SMALL)), ("com2", ["--output", f"{d}/com2{i}", "--no-lane"], writer(SMALL)),
                     ("bare", [], ["true"]), ("device", LANE_DEVICE, ["true"]))
            for name, args, payload in cases:
                code, frames, rep, wall, _, err = run_vm(args, payload)
                if code != 0:
                    print(f"output bench {name} failed ({code}): {rep.get('reason')}", file=sys.stderr)
                    continue
                walls[name].append(wall)
                if name in send:
                    s = send_s(frames)
                    if s:
                        send[name].append(s)
                    out = rep.get("output") or {}
                    if not out.get("complete") or out.get("bytes") != (BIG if name == "lane" else SMALL):
                        print(f"output bench {name}: tree incomplete: {out.get('error')}", file=sys.stderr)
                if name in helo:
                    h = rep.get("host_ms_since_qemu_start", {}).get("HELO")
                    if h:
                        helo[name].append(h)
            for sub in os.listdir(d):
                shutil.rmtree(os.path.join(d, sub), ignore_errors=True)
    r = {}
    if walls["none"] and walls["lane"]:
        r["output_50mb_extra_s"] = round(med(walls["lane"]) - med(walls["none"]), 3)
        r["output_50mb_wall_s"] = med(walls["lane"])
        r["output_none_wall_s"] = med(walls["none"])
    if send["lane"]:
        r["output_lane_send_s"] = med(send["lane"])
        r["output_lane_mb_per_s"] = round(BIG / 1e6 / med(send["lane"]), 1)
    if walls["com2_none"] and walls["com2"]:
        r["output_com2_2mb_extra_s"] = round(med(walls["com2"]) - med(walls["com2_none"]), 3)
    if send["com2"]:
        r["output_com2_send_s"] = med(send["com2"])
        r["output_com2_mb_per_s"] = round(SMALL / 1e6 / med(send["com2"]), 2)
    if helo["bare"] and helo["device"]:
        r["lane_device_helo_extra_ms"] = round(med(helo["device"]) - med(helo["bare"]), 1)
        r["lane_device_wall_extra_s"] = round(med(walls["device"]) - med(walls["bare"]), 3)
    r["output_runs"] = min(len(v) for v in walls.values())
    results.update(r)
