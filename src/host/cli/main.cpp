// ktstr-vm: pack, boot and read sched_ext test VMs. One subcommand per file; this file only wires
// the command line (CLI11) to them: one add_*_command per subcommand, and main() as their index.
//
// Errors, the host's rule (the guest's is in src/init/main.cpp): set-up throws, and main (or, for
// one suite test, the suite runner) turns the exception into the exit status in one place,
// status_of (cli/exit_status.hpp): std::runtime_error -> 125 with `ktstr-vm: error: WHAT`;
// StatusError -> its own status (126 not executable, 127 not found, 2 a bad --tool);
// ManifestError and CLI11's parse errors -> 2, before any VM boots. Set-up is everything before
// QEMU starts: options, resolving kernel/init/scheduler, packing, opening output files. A running
// session records and never throws: what goes wrong once QEMU runs (a splat, a lost frame, a write
// that fails) becomes the verdict's status and reason (docs/exit-codes.md). One exception to the
// map: `suite` refuses its own set-up (manifest, selection, --junit/--json, the artifacts folder)
// with 2 whatever the error, as nothing has run (cli/suite_cmd.cpp).
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "cache_cmd.hpp"
#include "cli_numbers.hpp"
#include "decode_cmd.hpp"
#include "doctor.hpp"
#include "exit_status.hpp"
#include "kernel_fetch.hpp"
#include "ktstr/exit_codes.hpp"
#include "ktstr/topology.hpp"
#include "pack.hpp"
#include "pack_cmd.hpp"
#include "report_cmd.hpp"
#include "run.hpp"
#include "shell_cmd.hpp"
#include "snapshot_feed.hpp"
#include "suite_cmd.hpp"
#include "version.hpp"

using namespace ktstr::host;

namespace {

constexpr const char* kDescription = R"(ktstr-vm - run sched_ext scheduler tests in a QEMU VM

Packs an initramfs around the ktstr init, boots a sched_ext kernel under QEMU, starts the
scheduler, waits until the kernel reports it enabled, runs the payload, streams its output back
live, and exits with the payload's exit status.)";

constexpr const char* kFooter = R"(
EXIT STATUS (run, shell --exec)
  0-123  the payload's own exit code, passed through (run: only when the run around it was clean)
  128+N  a signal N killed the payload (e.g. 137 for SIGKILL)
  2      usage error: the command line is wrong, nothing ran (any subcommand); among them two
         of --com2-log, --console-log, --sched-log, --json, --junit naming one file
  124    the payload timed out (--timeout)
  125    the run failed around the payload: the scheduler under test died, never attached,
         error-exited or would not stop; the kernel splatted (BUG, WARNING, Oops, stall, ...);
         the VM crashed, hung or rebooted; init hit a fatal error; the COM2 stream was damaged
         or truncated; the output tree (--output) or its data lane was damaged or incomplete;
         a --sched-enable line failed; the boot outlasted --boot-timeout; a
         file given with --json, --junit, --com2-log, --console-log or --sched-log could not
         be written; or ktstr-vm itself hit an error (a bad --init or TMPDIR, ...)
  126    the payload is not executable (a directory as program or --scheduler: at once, no VM)
  127    the payload was not found (a bare name neither in the guest nor on the host PATH: at once)
  129    ktstr-vm got SIGHUP;  130  interrupted (Ctrl-C);  143  ktstr-vm got SIGTERM
         (the guest is first asked to stop and tears down as usual; a second signal kills the VM)
  A payload that itself exits 124-127 is reported as that status, so check the reason on stderr
  (or "reason" in --json) to tell them apart.
  The interactive shell exits with the shell's status, 137 after Ctrl-A X (the VM was killed).

KERNEL
  --kernel (else KTSTR_KERNEL, else the set-up cache) takes a vmlinux, booted through its PVH
  entry (fastest: no decompression under emulation), a bzImage, a kernel build directory (its
  vmlinux, else arch/x86/boot/bzImage, and .config), or an installed /boot/vmlinuz-X (with
  /boot/config-X). The config is packed as /boot/config-RELEASE. -v and --json name the choice.
  The cmdline carries default words that only save boot time (cryptomgr.notests: no crypto
  self-tests); --append WORD=VALUE overrides one (the kernel keeps the last value), e.g.
  --append cryptomgr.notests=0.

  No kernel yet: `ktstr-vm kernel fetch` puts Debian's sched_ext kernel into the cache.

EXIT STATUS (doctor, kernel fetch)
  doctor: 0 ready to run (notes, such as TCG instead of KVM, do not count), 1 a problem.
  kernel fetch: 0 fetched (or already there), 1 it failed (the reason on stderr).

ENVIRONMENT
  KTSTR_KERNEL  kernel (any --kernel form) when --kernel is not given
  KTSTR_CACHE   set-up cache (default ~/.cache/ktstr-init): kernel, schedulers, Zig, the KVM
                probe's verdict, the snapshots of warm runs; `kernel fetch` writes there
  KTSTR_SNAPSHOT_CACHE_MB  the snapshots' size cap in MiB (default 4096; `ktstr-vm cache --help`)

FILES
  init and fetch-kernel.sh are found beside ktstr-vm, else in ../libexec/ktstr-init (an install
  prefix may be moved or copied whole)

EXAMPLES
  ktstr-vm run --scheduler scx_simple -- sh -c 'echo $SCHED_PID; stress-ng --cpu 2 -t 5'
  ktstr-vm run --scheduler ./my_sched --sched-arg -v --include ./tests -- ./tests/run.sh
  ktstr-vm run --scheduler ./scx_central -- stress-ng --cpu 2 -t 5   (dynamic ones too; stress-ng from the host)
  ktstr-vm run --scheduler scx_simple --tool bpftool -- sh -c 'bpftool struct_ops list'
  ktstr-vm run --timeout 30 --json report.json --com2-log com2.bin -- ./my_test
  ktstr-vm run --output out -- sh -c './my_test >$KTSTR_OUTPUT/trace.txt'   (files and cores back in out/)
  ktstr-vm shell --scheduler scx_simple --include ./tools     (Ctrl-A X or `exit` to leave)
  ktstr-vm shell --exec 'cat /sys/kernel/sched_ext/state; exit 3'
  ktstr-vm decode --stream SOUT com2.bin
  ktstr-vm run --scheduler scx_simple --json r.json -- ./my_test && ktstr-vm report r.json --html r.html
  ktstr-vm run --scheduler ./my_sched --verifier-baseline base.json -- true   (CI: verifier budget guard)
  ktstr-vm pack -o initramfs.cpio.zst --scheduler scx_simple -- /bin/true)";

constexpr const char* kSuiteFooter = R"(
MANIFEST (TOML; relative paths are relative to the manifest's folder)
  [defaults]                   # any per-test key below, for every test
  scheduler = "scx_simple"     # NAME, a path with a '/', or "" for none
  timeout = 60

  [[test]]
  name = "dsp"                 # required, unique, one folder name: letters, digits, _ - .
                               # (not "." or "..")
  args = ["./runner", "-t", "dsp"]   # required: PROGRAM and its arguments, as after `run --`
  sched_args = ["-v"]
  include = ["./data"]
  topology = "2,4,2,1"         # or "2n4l2c1t", a preset name; or smp = 2
  memory = 1024
  expect_exit = 0              # the exit status that counts as a pass (default 0)
  [test.matrix]                # optional: one variant per topology x profile, e.g. t[2,4,2,1/llc]
  topology = ["1,1,2,1", "2,4,2,1"]
  sched_args = { plain = [], llc = ["--enable-llc-awareness"] }

  Files the manifest names (scheduler, include, kernel, sched_enable, splat_rules, baselines, ...)
  are checked at load: a missing one is a manifest error (2, FILE:LINE: 'key': ...), no VM boots.

  Per-test keys: scheduler sched_args include args timeout watchdog boot_timeout memory smp topology kernel
  append accel deny allow splats splat_rules attach_timeout_ms guest_log sched_enable
  sched_disable telemetry (true|false) stats_ms verifier_baseline write_verifier_baseline
  verifier_slack expect_exit on_failure on_failure_timeout. Each test runs exactly as `ktstr-vm run` would; its payload sees
  KTSTR_ATTEMPT (1 on the first attempt, 2 on the first retry, ...).

ARTIFACTS
  Each test's folder DIR/NAME holds a marker file, .ktstr-vm-artifacts. ktstr-vm only replaces or
  removes a folder with that marker; any other DIR/NAME (your own `tests/` beside --artifacts .,
  a folder from an older ktstr-vm) stops the suite before any VM boots (2). Clear old artifacts
  with rm -r DIR.

EXIT STATUS
  0 every test passed (flaky ones included; also an empty shard, with a note); 1 a test failed or
  was not run; 2 usage or manifest error, a --filter that matches no test, or an artifacts
  folder that is not ktstr-vm's; 130 interrupted by Ctrl-C (every VM is asked to stop, the
  summary so far is printed).)";

// A finite number in [lo, hi]. CLI::Range alone lets "nan" through (every comparison with NaN is
// false), which turned the verifier guard off; "abc" is named as not a number.
CLI::Validator finite_number(double lo, double hi) {
  char range[64];
  std::snprintf(range, sizeof range, "%g to %g", lo, hi);
  return CLI::Validator(
      [lo, hi, r = std::string(range)](std::string& text) -> std::string {
        char* end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
          return "'" + text + "' is not a finite number (expected " + r + ")";
        if (v < lo || v > hi) return "'" + text + "' is out of range " + r;
        return "";
      },
      "NUMBER in " + std::string(range));
}

constexpr const char* kPackFooter = R"(
EXIT STATUS
  0    the initramfs was written
  2    usage error: the command line is wrong, nothing was written (a --tool that is not found
       or not an executable file among them)
  126  the program or --scheduler is not executable (a directory)
  127  the program was not found (a bare name in no --include and not on the host PATH, a path
       naming no file, a #! interpreter found nowhere)
  125  any other error, named on stderr (ktstr-vm: error: ...))";

constexpr const char* kDecodeFooter = R"(
EXIT STATUS
  0  a complete, clean capture: DONE arrived and is well-formed (a JSON object, exit_code 0-255,
     every field of its type, bytes.SOUT/SERR/SLOG/HOOK equal to what the capture holds); nothing
     corrupt, lost, truncated, duplicated or out of order; no frame of an unknown type or after DONE
  1  anything else; stderr names each problem
  2  usage error, or the input cannot be read or stdout written
  --stream writes the stream as the guest sent it once: duplicated frames and frames after DONE
  are left out (they still make the status 1).)";

constexpr const char* kReportFooter = R"(
EXIT STATUS
  0  the page was written: a run's page for `run --json`, a table of the tests for `suite --json`
  2  usage error; the input is missing, unreadable, not JSON (the parse error's line and column
     are named) or not a JSON object; or the page cannot be written)";

constexpr double kUintMax = 4294967295.0;  // an `unsigned` option without a range of its own

// A numeric option's check: "abc is not a number" rather than CLI11's "not in range" (--help
// shows the bounds as CLI11's own range check does).
CLI::Validator number_in(double lo, double hi, bool whole = true) {
  std::string shown = hi == kUintMax ? std::string()
                                     : std::string(whole ? "INT" : "FLOAT") + " in [" + format_bound(lo) + " - " +
                                           format_bound(hi) + "]";
  return CLI::Validator([=](std::string& v) { return number_error(v, lo, hi, whole); }, shown);
}

constexpr const char* kBootTimeoutHelp =
    "host watchdog: seconds from QEMU's start to the guest's first frame (HELO), i.e. for the kernel's "
    "boot (default for N vCPUs: 120 + N + N*N/64 under TCG, whose boot grows faster than linearly with N, "
    "e.g. 122 for --smp 2, 1260 for near-max-llc; 120 + N/2 under KVM; interactive shell: none). "
    "Past it the VM is killed: 125, \"boot still running after N s\"";

void add_vm_content(CLI::App* c, RunOptions& o) {
  c->add_option("--init", o.init, "init binary to pack as /init (default: init beside ktstr-vm)");
  c->add_option("--scheduler", o.scheduler,
                "scheduler: a file, static or dynamic (its libraries are packed), or a name from the "
                "set-up cache (scx_simple, scx_ktstr_test, scx_ktstr_test-dynamic)");
  c->add_option("--sched-arg", o.pack.sched_args, "argument for the scheduler (repeatable)")->allow_extra_args(false);
  c->add_option("--include", o.pack.includes,
                "file or directory to pack under /include-files/NAME (repeatable; NAME, its last component "
                "or for . and .. the directory's name, must be unique; / is refused); "
                "its executables' directories join PATH. In a directory, a symlink to something inside "
                "it stays a link; any other symlink becomes a copy of its target under the link's name. "
                "ELF files bring their interpreter and libraries")->allow_extra_args(false);
  c->add_option("--tool", o.pack.tools, "host program to pack with its interpreter and libraries (repeatable): NAME from "
                "the host PATH, or a path, which it keeps in the guest; linked into /usr/local/bin, early on "
                "the guest's PATH. A script brings its #! interpreter")->allow_extra_args(false);
  c->add_option("--sched-enable", o.pack.sched_enable, "file of `echo V > /path` lines run before the scheduler; "
                "a line that fails fails the run (125, naming the line) before the scheduler and payload start");
  c->add_option("--sched-disable", o.pack.sched_disable, "file of `echo V > /path` lines run after it stops "
                "(a failed line is a warning)");
}

// Above this many vCPUs a boot under TCG on a small host takes minutes (vCPUs come up one by
// one, all emulated on one host thread; figures in docs/architecture.md).
constexpr uint32_t kSlowTcgVcpus = 64;

// ktstr's preset names that QEMU's pc machine can hold, for --help; the big ones say so.
std::string holdable_presets() {
  std::string s;
  for (const auto& p : ktstr::topology_presets()) {
    if (!ktstr::topology_machine_error(p.topo, p.topo.nodes * 1024).empty()) continue;
    s += (s.empty() ? "" : ", ") + std::string(p.name) + " (" + ktstr::topo_compact(p.topo);
    if (p.topo.cpus() > kSlowTcgVcpus) s += ", " + std::to_string(p.topo.cpus()) + " vCPUs: minutes under TCG";
    s += ")";
  }
  return s;
}

constexpr const char* kColdHelp =
    "boot the kernel for this run instead of restoring a saved guest. Without it a run is warm: it restores "
    "a snapshot of a guest that booted with the same kernel, init, QEMU, machine shape, memory and --append "
    "and waits in init, then hands it the test (docs/warm.md); the first run of a shape boots, saves that "
    "snapshot and goes on. A snapshot that fails to restore is removed and the run boots cold, with a note";

void add_vm_options(CLI::App* c, RunOptions& o) {
  c->add_option("--kernel", o.vm.kernel, "kernel to boot: a vmlinux (booted through its PVH entry), a bzImage, a "
                "kernel build directory (its vmlinux, else arch/x86/boot/bzImage, and .config), or an installed "
                "/boot/vmlinuz-X (with /boot/config-X) (default: $KTSTR_KERNEL, else the cached Debian kernel's "
                "vmlinux)");
  auto* smp = c->add_option("--smp", o.vm.smp, "vCPUs: shorthand for --topology 1,1,N,1")
                  ->capture_default_str()->check(number_in(1, 64));
  c->add_option_function<std::string>("--topology", [&o](const std::string& text) {
        std::string err;
        auto t = ktstr::parse_topology(text, err);
        if (!t) throw CLI::ValidationError(err);
        o.vm.topology = *t;
      }, "vCPU shape in ktstr's terms: N,L,C,T = NUMA nodes, TOTAL LLCs (a multiple of N), cores per "
         "LLC, threads per core; or compact NnLlCcTt (2n4l2c1t); or a preset: " + holdable_presets() +
         ". CPUs are numbered in order, threads innermost; --memory is split evenly across the nodes. "
         "The guest checks it got this shape (125 if not). Under TCG on a small host every vCPU adds "
         "boot time: the presets marked \"minutes under TCG\" are impractical there (the boot deadline "
         "grows with the vCPUs; --boot-timeout sets it)")
      ->excludes(smp);
  // Shape against machine and memory, output files, verifier options, once every option is
  // known: refused before boot.
  c->callback([c, &o] {
    if (std::string e = vm_options_error(o.vm); !e.empty()) throw CLI::ValidationError(e);
    const CLI::Option* slack = c->get_option_no_throw("--verifier-slack");
    if (std::string e = run_options_error(o, slack && slack->count() > 0); !e.empty()) throw CLI::ValidationError(e);
  });
  c->add_option("--memory", o.vm.memory_mb, "guest memory in MiB")->capture_default_str()->check(number_in(128, 65536));
  c->add_option("--timeout", o.vm.timeout_s, "payload timeout in seconds inside the guest (0: none); "
                "the host watchdog adds a margin")->check(number_in(0, 604800));
  c->add_option("--accel", o.vm.accel, "auto: KVM only if a probe boot works, else TCG")
      ->capture_default_str()->check(CLI::IsMember({"auto", "tcg", "kvm"}));
  c->add_option("--append", o.vm.append, "extra kernel cmdline word (repeatable); a trace_event= word is merged with the sched_ext_dump event that is always on")->allow_extra_args(false);
  c->add_option("--guest-log", o.guest_log_level, "init's log level: trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  c->add_option("--attach-timeout-ms", o.attach_timeout_ms, "how long init waits for the scheduler to attach "
                "(default 30000)")->check(number_in(0, kUintMax));
  c->add_option("--qemu-arg", o.vm.qemu_args, "extra QEMU argument, after ktstr-vm's own (repeatable; one word "
                "each, e.g. SeaBIOS instead of qboot: --qemu-arg=-bios --qemu-arg=/usr/share/seabios/bios-256k.bin)")->allow_extra_args(false);
  c->add_option("--silence", o.silence_s, "host watchdog: seconds without any frame before the VM counts as hung "
                "(then, as for --watchdog, its dumps are asked for before the kill)")
      ->capture_default_str()->check(number_in(0, kUintMax));
  c->add_option("--boot-timeout", o.boot_timeout_s, kBootTimeoutHelp)->check(number_in(1, 604800));
  c->add_flag("--cold", o.cold, kColdHelp);
}

// Where a booted VM's streams are kept, and the hidden options for tests; run and shell alike.
void add_vm_logs(CLI::App* c, RunOptions& o, const char* console_help) {
  c->add_option("--com2-log", o.com2_log, "keep the raw COM2 capture (for `ktstr-vm decode`)");
  c->add_option("--console-log", o.console_log, console_help);
  c->add_option("--sched-log", o.sched_log, "write the scheduler's output to this file");
  c->add_flag("--keep-tmp", o.keep_tmp, "keep the temp dir (initramfs, sockets)")->group("");
  c->add_option("--guest-key", o.guest_keys, "extra KTSTR_* cmdline key (tests)")->group("")->allow_extra_args(false);
}

// --output, --output-limit and the --no-lane test hook: run and shell --exec.
constexpr const char* kOutputHelp =
    "take the guest's output tree into DIR: what the payload (and the scheduler, the --exec command) left "
    "in $KTSTR_OUTPUT, with the core dumps of crashed processes under cores/ (docs/output.md). DIR must "
    "be absent (it is made, with its parents) or an empty directory, else usage error 2 before the boot. "
    "Regular files come back byte-exact with their permission bits (never setuid, setgid or sticky), "
    "symlinks as links (never followed), FIFOs, sockets and devices are skipped and reported; the tree "
    "never writes outside DIR. A damaged or incomplete tree fails the run (125, \"output tree: ...\" or "
    "\"data lane: ...\"); what arrived stays in DIR";
constexpr const char* kOutputLimitHelp =
    "at most BYTES of file data in the output tree (default 1073741824, 1 GiB): the file that crosses it is "
    "cut, later files are skipped, and the report lists both";

void add_output_options(CLI::App* c, RunOptions& o) {
  c->add_option("--output", o.output_dir, kOutputHelp)->type_name("DIR");
  c->add_option("--output-limit", o.output_limit, kOutputLimitHelp)->type_name("BYTES")
      ->check(number_in(1, 999999999999999.0))->needs(c->get_option("--output"));
  c->add_flag("--no-lane", o.no_lane, "boot without the data lane: the output tree comes over COM2 (tests)")
      ->group("");
}

constexpr const char* kRunFooter = R"(
STDIN
  When ktstr-vm's stdin is a pipe or a regular file, the payload reads it: byte-exact, in order, and
  its end is the payload's EOF (`cat data | ktstr-vm run -- ./consumer`). A terminal is not read: the
  payload's stdin is then /dev/null, as it is with `</dev/null`. Input flows as fast as the payload
  reads it (a window of 64 KiB in flight); what it leaves unread when it exits is dropped.
)";

constexpr const char* kShellFooter = R"(
The interactive shell puts your terminal in raw mode: keys go to the guest, Ctrl-A X kills the VM
(exit 137), Ctrl-A H lists the escapes. When stdin is not a terminal (a file, a pipe, /dev/null),
its bytes are typed in order, Ctrl-A as any other byte (no escapes), and its end ends the session,
as with ssh: the shell then reads `exit` and ends with the status of its last command.
With --exec, a stdin that is a pipe or a file is the command's stdin instead (byte-exact, its end
is EOF); a terminal is not read.
)";

// A subcommand: its CLI11 app, and the one call that runs it once it was chosen. The call owns
// the options CLI11 fills.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

// A validator of --compression: set_compression's own message.
std::string compression_error(const std::string& text) {
  PackSpec probe;
  try {
    set_compression(probe, text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

Command add_pack_command(CLI::App& app) {
  auto o = std::make_shared<PackOptions>();
  auto* c = app.add_subcommand("pack", "write the initramfs only (deterministic: same inputs, same bytes)");
  c->add_option("-o,--output", o->output, "output file")->required();
  add_vm_content(c, o->run);
  c->add_option("--kernel", o->run.vm.kernel, "kernel whose config is packed as /boot/config-RELEASE");
  c->add_option("--compression", o->compression, "zstd, zstd:LEVEL (1-19), gzip or none (run, shell and suite "
                "boot theirs uncompressed: faster under TCG)")
      ->capture_default_str()->check(compression_error);
  c->add_option("--exec", o->run.pack.exec_cmd, "command for shell mode's /exec_cmd");
  c->add_option("--on-failure", o->run.pack.on_failure, "command for the test path's /on_failure (run's --on-failure)");
  c->add_flag("--omit-ok-sentinel", o->run.pack.omit_ok_sentinel, "leave out /.ktstr_init_ok (tests only)")
      ->group("");
  c->add_option("program", o->run.pack.payload, "payload argv (after --)");
  c->footer(kPackFooter);
  return {c, [o] { return pack_command(*o); }};
}

// run's report, splat, telemetry and verifier options.
void add_run_checks(CLI::App* c, RunOptions& o) {
  c->add_option("--json", o.json_report, "write a JSON report of the run (phases, scheduler events, "
                "counts, host and guest times)");
  c->add_option("--junit", o.junit_report, "write a JUnit XML report (one testcase) for CI systems");
  c->add_option("--deny", o.deny, "kernel log regex that fails the run (repeatable; adds to the built-in "
                "list: BUG, WARNING, Oops, lockups, RCU stalls, hung tasks, the scheduler under test's sched_ext "
                "error exits; exits of schedulers the payload loads are reported, unless a --deny matches)")
      ->allow_extra_args(false);
  c->add_option("--allow", o.allow, "kernel log regex that is never a splat (repeatable; wins over --deny)")
      ->allow_extra_args(false);
  c->add_option("--splat-rules", o.splat_rules, "file of `deny REGEX` / `allow REGEX` lines (# comments)")
      ->check(CLI::ExistingFile);
  auto splats = std::make_shared<std::string>("fail");  // kept alive by the callback below
  c->add_option("--splats", *splats, "fail: a kernel splat fails the run (125); warn: only report it")
      ->capture_default_str()->check(CLI::IsMember({"fail", "warn"}))
      ->each([&o, splats](const std::string& m) { o.splats_warn = m == "warn"; });
  c->add_flag("--no-telemetry", o.no_telemetry, "collect no scheduler telemetry (BPF program stats and "
              "sched_ext event counters; the report's `scheduler` section); bpf_stats stays off");
  c->add_option("--stats-ms", o.stats_ms, "scheduler telemetry sample period in ms (default: the 1 s heartbeat; "
                "0: only at attach and before the scheduler stops)")->check(number_in(0, 3600000));
  c->add_option("--write-verifier-baseline", o.write_verifier_baseline,
                "write each BPF program's verified instruction count of this run to FILE (JSON); needs "
                "--scheduler, and FILE must be writable (checked before boot)");
  c->add_option("--verifier-baseline", o.verifier_baseline, "compare each BPF program's verified "
                "instructions with FILE: a program past it by more than --verifier-slack fails the run (125); "
                "needs --scheduler")
      ->check(CLI::ExistingFile);
  c->add_option("--verifier-slack", o.verifier_slack_pct, "percent a program may exceed the baseline by "
                "(a finite number; only with --verifier-baseline)")
      ->capture_default_str()->check(finite_number(0.0, 10000.0));
}

Command add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* c = app.add_subcommand("run", "boot a VM, run the payload under the scheduler, exit with its status");
  add_vm_content(c, *o);
  add_vm_options(c, *o);
  add_run_checks(c, *o);
  c->add_option("--watchdog", o->watchdog_s, "host hard deadline in seconds for the whole run, boot "
                "included (default: the boot deadline (--boot-timeout) + --timeout + 120, or + 3600; "
                "+ --on-failure-timeout + 5 with --on-failure). When it (or --silence) fires, the guest is "
                "first asked for sched_ext's dump (SysRq-D) and its blocked tasks (SysRq-W), given 5 s, "
                "then killed")
      ->check(number_in(0, kUintMax));
  c->add_option("--on-failure", o->pack.on_failure, "run CMD with `sh -c` in the guest after the payload failed "
                "(a status other than 0, or --timeout) and before the scheduler stops, e.g. 'cat "
                "/sys/kernel/debug/sched/debug': its output (stdout and stderr) goes to the JSON report "
                "(\"on_failure\") and, when $KTSTR_OUTPUT names a guest directory, to on-failure.log in it; "
                "it never changes the exit status")->type_name("CMD");
  c->add_option("--on-failure-timeout", o->on_failure_timeout_s, "seconds the --on-failure command may run "
                "(then TERM, 2 s, KILL)")->capture_default_str()->check(number_in(1, 3600));
  add_vm_logs(c, *o, "write COM1 (kernel console, trace_pipe) to this file");
  add_output_options(c, *o);
  c->add_flag("-v,--verbose", o->verbose, "show the console, init's log, the scheduler's output, every event");
  c->add_flag("--omit-ok-sentinel", o->pack.omit_ok_sentinel, "pack without /.ktstr_init_ok (tests)")->group("");
  c->add_flag("--omit-args", o->pack.omit_args, "pack without /args (tests)")->group("");
  c->add_flag("--no-com2", o->no_com2, "boot without COM2 (tests)")->group("");
  c->add_option("program", o->pack.payload, "payload program and its arguments (after --)")->required();
  c->footer(std::string(kRunFooter) + kFooter);
  return {c, [o] { return run_command(*o); }};
}

Command add_shell_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* c = app.add_subcommand("shell", "an interactive shell in the VM (Ctrl-A X quits), or one command with --exec");
  add_vm_content(c, *o);
  add_vm_options(c, *o);
  c->add_option("--exec", o->pack.exec_cmd, "run this with `sh -c` instead of a shell: its stdout and stderr "
                "on stdout byte-exact, its stdin ktstr-vm's when that is a pipe or a file (else /dev/null), "
                "its exit status as ktstr-vm's (--timeout applies)");
  c->add_option("--watchdog", o->watchdog_s, "host hard deadline in seconds for the whole session; "
                "past it the VM is killed and the status is 125 naming the phase it hung in "
                "(--exec default: the boot deadline + --timeout + 120, or + 3600; interactive default: none)")
      ->check(number_in(0, kUintMax));
  add_vm_logs(c, *o, "write COM1 (kernel console) to this file");
  add_output_options(c, *o);
  // The interactive shell has no teardown that could send a tree.
  c->get_option("--output")->needs(c->get_option("--exec"));
  c->add_flag("-v,--verbose", o->verbose, "print the kernel and QEMU command line first");
  c->footer(std::string(kShellFooter) + kFooter);
  return {c, [o] { return shell_command(*o); }};
}

Command add_suite_command(CLI::App& app) {
  auto o = std::make_shared<SuiteOptions>();
  auto* c = app.add_subcommand("suite", "run every test of a TOML manifest, each in its own VM, -j at a time");
  c->footer(kSuiteFooter);
  c->add_option("manifest", o->manifest, "the suite's TOML manifest")->required();
  c->add_option("-j,--jobs", o->jobs, "VMs at a time (default: the number of host CPUs)")->check(number_in(1, 256));
  c->add_option("--shard", o->shard, "run shard I of N (I/N): the selected tests dealt round-robin "
                "in manifest order, so N machines together run each test once");
  c->add_option("--filter", o->filters, "run only tests whose name matches this glob, or equals it "
                "(repeatable: any may match); filters that match no test are a usage error (2)")->allow_extra_args(false);
  c->add_option("--retries", o->retries, "rerun a failed test up to N times; one that then passes "
                "is reported flaky and counts as passed")->check(number_in(0, 100));
  c->add_flag("--fail-fast", o->fail_fast, "start no further test after the first failure");
  c->add_option("--junit", o->junit, "write JUnit XML: a testcase per test, flaky ones with "
                "<flakyFailure> (surefire)");
  c->add_option("--json", o->json, "write the same results as JSON, with every attempt's run report");
  c->add_option("--artifacts", o->artifacts, "folder for each test's files: com2.bin, console.log, "
                "sched.log, stdout, stderr, report.json, output/ (what the test left in $KTSTR_OUTPUT, and "
                "cores) (kept for failed and flaky tests) in DIR/NAME/attempt-K, "
                "marked as ktstr-vm's; a DIR/NAME without the mark is never touched (2, before any VM)")
      ->capture_default_str();
  c->add_flag("--keep-all", o->keep_all, "keep the artifacts of passed tests too");
  c->add_flag("--list", o->list, "print the selected tests' names (matrix variants expanded), run nothing");
  c->add_option("--boot-timeout", o->boot_timeout_s, "as run's --boot-timeout, for every test (over "
                "the manifest's boot_timeout: the host's speed, not the test's)")->check(number_in(1, 604800));
  c->add_flag("--cold", o->cold, "boot every test cold (as run's --cold; a test's own `cold = true` does it for that test)");
  return {c, [o] { return suite_command(*o); }};
}

Command add_decode_command(CLI::App& app) {
  auto o = std::make_shared<DecodeOptions>();
  auto* c = app.add_subcommand("decode", "turn a COM2 capture into text or JSON lines; exit 0 only if complete and clean");
  c->add_flag("--json", o->json, "one JSON object per frame");
  c->add_option("--stream", o->stream, "write only this stream's raw bytes to stdout")
      ->check(CLI::IsMember({"SOUT", "SERR", "SLOG", "ILOG", "HOOK"}));
  c->add_option("file", o->input, "capture file, or - for stdin")->capture_default_str();
  c->footer(kDecodeFooter);
  return {c, [o] { return run_decode(*o); }};
}

Command add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* c = app.add_subcommand("report", "turn a --json report into a self-contained HTML page (phases on a "
                               "timeline, sched_ext event counters over time, BPF programs by run time; "
                               "a suite's: a table of its tests)");
  c->add_option("file", o->input, "the JSON report of `ktstr-vm run --json` or `ktstr-vm suite --json`")
      ->required()->check(CLI::ExistingFile);
  c->add_option("--html", o->html, "write the page here")->required();
  c->footer(kReportFooter);
  return {c, [o] { return report_command(*o); }};
}

Command add_doctor_command(CLI::App& app) {
  auto* c = app.add_subcommand("doctor", "check what a run needs (QEMU, busybox, init, a sched_ext kernel, "
                               "KVM, the cache, memory for -j) and print each problem with its fix");
  return {c, [] { return doctor_command(); }};
}

// `kernel fetch`: the command that runs is the sub-subcommand.
Command add_kernel_command(CLI::App& app) {
  auto refresh = std::make_shared<bool>(false);
  auto* kernel = app.add_subcommand("kernel", "manage the kernel in the set-up cache (KTSTR_CACHE)");
  kernel->require_subcommand(1);
  auto* fetch = kernel->add_subcommand("fetch", "download Debian's sched_ext kernel (trixie-backports "
                                       "linux-image-cloud-amd64) into the cache and extract its vmlinux; "
                                       "needs no root");
  fetch->add_flag("--refresh", *refresh, "re-read the package lists now (else at most once a day)");
  return {fetch, [refresh] { return kernel_fetch_command(*refresh); }};
}

constexpr const char* kCacheFooter = R"(
SNAPSHOTS
  A warm run restores a guest that has already booted and waits for its test, instead of booting
  one (docs/warm.md). ktstr-vm saves such guests in the set-up cache, in KTSTR_CACHE/snapshots
  (default ~/.cache/ktstr-init/snapshots): one directory per snapshot, named by the SHA-256 of
  everything that shapes the booted guest (kernel, init, QEMU and its arguments, the cmdline).
  A run whose guest differs in any of these makes a new snapshot; none is ever reused for another.

  The cache holds at most KTSTR_SNAPSHOT_CACHE_MB MiB (default 4096): after saving a snapshot,
  ktstr-vm removes the least recently used ones above that size. A snapshot a running ktstr-vm is
  restoring is never removed, by that or by `cache clear`. Only the cache's own entries are
  touched; other files in that folder are left alone.

  cache list   one line per snapshot, most recently used first: its key (the first 12 hex digits),
               size, last use, kernel and guest shape, then the total and the cap. With --json, an
               object: dir, cap_bytes, total_bytes and snapshots [{key, bytes, last_used (Unix
               seconds), meta (what was recorded when it was made)}].
  cache clear  removes every snapshot not in use, and the leftovers of saves that were killed, and
               says how many and how much space; the next warm run makes a new snapshot.

EXIT STATUS
  0 done (clear also when snapshots in use were kept: it says so); 2 no or an unknown subcommand;
  125 (list) KTSTR_SNAPSHOT_CACHE_MB is not a whole number. A cache folder that does not exist or
  cannot be read holds no snapshots.)";

// `cache list` and `cache clear`: the command that runs is the sub-subcommand.
Command add_cache_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cache = app.add_subcommand("cache", "list or clear the snapshots of warm runs in the set-up cache "
                                   "(KTSTR_CACHE/snapshots)");
  cache->require_subcommand(1);
  cache->footer(kCacheFooter);
  auto* list = cache->add_subcommand("list", "list the snapshots: key, size, last use, kernel, guest shape");
  list->add_flag("--json", *json, "one JSON object instead of the table");
  list->footer("\nSee `ktstr-vm cache --help` for where snapshots live, their key, cap and locks.");
  auto* clear = cache->add_subcommand("clear", "remove every snapshot not in use, say what went and how much space");
  clear->footer("\nSee `ktstr-vm cache --help` for where snapshots live, their key, cap and locks.");
  return {cache, [list, json] { return *list ? cache_list_command(*json) : cache_clear_command(); }};
}

// QEMU's source of a snapshot being restored (snapshot_feed.hpp): not for people, so hidden.
Command add_snapshot_feed_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto bytes = std::make_shared<std::string>();
  auto crc = std::make_shared<std::string>();
  auto* c = app.add_subcommand("snapshot-feed", "write a snapshot to stdout, cut short unless it is intact")->group("");
  c->add_option("file", *path)->required();
  c->add_option("bytes", *bytes, "its size when it was made")->required();
  c->add_option("crc32c", *crc, "its CRC32C when it was made, 8 hex digits")->required();
  return {c, [path, bytes, crc] {
            SnapshotSum want;
            std::string error;
            if (!parse_sum(*bytes + " " + *crc, want)) error = "bad sum '" + *bytes + " " + *crc + "'";
            else if (feed_snapshot(*path, want, 1, error) == 0) return 0;
            std::cerr << "ktstr-vm snapshot-feed: " << error << "\n";
            return 1;
          }};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "ktstr-vm"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", version_line(), "print the version and the git revision, then exit");
  const Command commands[] = {add_pack_command(app),   add_run_command(app),    add_shell_command(app),
                              add_suite_command(app),  add_decode_command(app), add_report_command(app),
                              add_doctor_command(app), add_kernel_command(app), add_cache_command(app),
                              add_snapshot_feed_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; any real parse error is the one usage status, not
    // CLI11's own codes (105, 106, 109...), which would look like a payload's.
    return app.exit(e) == 0 ? ktstr::exit_code::kOk : ktstr::exit_code::kUsage;
  }
  try {
    for (const Command& c : commands)
      if (*c.app) return c.run();
  } catch (const std::exception& e) {
    std::cerr << "ktstr-vm: error: " << e.what() << "\n";
    return status_of(e);
  }
  return ktstr::exit_code::kOk;
}
