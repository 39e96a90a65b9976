// libFuzzer target for the host session: arbitrary frames (any type, any value) fed into
// GuestRecord, the code that turns frames into a verdict and a report, then the verdict, the
// report (with its telemetry section and -v table) and the JUnit text of what came in.
// Input: byte 0 holds flags (verbose, --splats=warn, watchdog fired, QEMU exit noted), then
// records [kind][len_hi][len_lo][len bytes]: kind picks a frame type (or 4 raw type bytes
// from the value, or console bytes), the value is the frame's.
// Invariants (abort on violation): nothing throws; the status is 0-255; a run without DONE is
// 125 with a reason; the JSON report serialises; xml_escape() and the JUnit report always give
// valid UTF-8.
// Build: scripts/fuzz.sh (CMake, KTSTR_PART=fuzz).
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ktstr/exit_codes.hpp"
#include "ktstr/wire.hpp"
#include "report.hpp"
#include "guest_record.hpp"
#include "utf8.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "run_session_fuzz: invariant violated: %s\n", what);
  std::abort();
}

constexpr ktstr::wire::Tag kTypes[] = {
    ktstr::wire::kHelo, ktstr::wire::kPhas, ktstr::wire::kSout, ktstr::wire::kSerr, ktstr::wire::kSlog,
    ktstr::wire::kIlog, ktstr::wire::kSchd, ktstr::wire::kDump, ktstr::wire::kExit, ktstr::wire::kBeat,
    ktstr::wire::kCrsh, ktstr::wire::kFatl, ktstr::wire::kDone, ktstr::wire::kKmsg, ktstr::wire::kTopo,
    ktstr::wire::kProg, ktstr::wire::kStat,
};
constexpr size_t kNumTypes = sizeof kTypes / sizeof kTypes[0];

int dev_null() {
  static int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ktstr;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  host::GuestRecord::Sinks sinks;
  sinks.out_fd = sinks.err_fd = dev_null();
  sinks.verbose = flags & 1;
  sinks.splats_warn_only = flags & 2;
  host::GuestRecord session(sinks);
  wire::DecodeStats stats;
  std::string console, all_values;
  uint32_t seq = 0;
  for (size_t i = 1; i + 3 <= size;) {
    uint8_t kind = data[i];
    size_t len = size_t(data[i + 1]) << 8 | data[i + 2];
    i += 3;
    if (len > size - i) len = size - i;
    std::string value(reinterpret_cast<const char*>(data + i), len);
    i += len;
    all_values += value;
    if (kind == 0xFF) {
      session.on_console(value);
      console += value;
      continue;
    }
    wire::Tag type = kTypes[kind % kNumTypes];
    if (kind == 0xFE && value.size() >= 4) {  // any type at all, from the value's first bytes
      type = wire::Tag{{value[0], value[1], value[2], value[3]}};
      value.erase(0, 4);
    }
    wire::Frame f{type, seq++, uint64_t(kind) * 1000003u,
                  {reinterpret_cast<const uint8_t*>(value.data()), value.size()}};
    ++stats.frames;
    if (type == wire::kDone) stats.done = true;
    session.on_frame(f);
  }
  if (flags & 8) session.note_qemu_exit(flags >> 4);
  if (flags & 16) stats.lost = 1;
  host::HostFacts facts;
  facts.stats = stats;
  facts.console_tail = console;
  facts.watchdog_fired = flags & 4;
  facts.watchdog_reason = "watchdog: fuzz";
  host::Verdict v = session.verdict(facts);
  check(v.exit_code >= 0 && v.exit_code <= 255, "exit code out of range");
  if (!session.done_seen())
    check(v.exit_code == exit_code::kInfrastructure && !v.reason.empty(), "no DONE but not 125 with a reason");
  nlohmann::json r = session.report();
  r["reason"] = v.reason;
  std::string text = r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  check(!text.empty(), "empty report");
  (void)session.summary_notes();
  (void)session.telemetry().summary_table();  // the -v table of whatever PROG/STAT carried
  check(host::valid_utf8(host::junit_report_text("fuzz", r)), "JUnit report is not valid UTF-8");
  check(host::valid_utf8(host::xml_escape(all_values)), "xml_escape gave invalid UTF-8");
  check(host::valid_utf8(host::xml_escape(v.reason)), "xml_escape of the reason gave invalid UTF-8");
  return 0;
}
