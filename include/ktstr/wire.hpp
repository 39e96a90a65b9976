// Wire protocol v1 (docs/protocol.md): COBS-framed TLV frames on COM2.
//
// One definition, used by the guest (encoder, async-signal-safe) and the host (streaming decoder).
// Body layout, little-endian, encoded field by field (never by copying structs):
//   [0,4) type (4 ASCII bytes)  [4,8) N  [8,12) seq  [12,20) t_ns (CLOCK_BOOTTIME)
//   [20,20+N) value             [20+N,24+N) CRC32C of bytes [0,20+N)
// On the wire: COBS(body) then one 0x00 delimiter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ktstr::wire {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kCrcSize = 4;
inline constexpr size_t kMaxValue = 65536;
// Stream values (SOUT/SERR/SLOG/ILOG/HOOK) are chunked to at most this many bytes per frame.
// 8 KiB, not the 4 KiB first planned: a frame costs 25 fixed bytes plus COBS' 1 in 254, so
// 4 KiB frames spend 1.06 % on framing and 8 KiB frames 0.7 % (budget: <= 1 %). Chunks are cut
// at whatever a read returned, so bigger frames add no latency. Decoders accept N <= kMaxValue.
inline constexpr size_t kStreamChunk = 8192;

// Size of a frame body holding an N-byte value.
constexpr size_t body_size(size_t n) { return kHeaderSize + n + kCrcSize; }
// Worst-case bytes on the wire for an N-byte value: COBS adds one code byte per 254 data bytes
// (plus one), then the 0x00 delimiter.
constexpr size_t max_encoded_size(size_t n) { return body_size(n) + body_size(n) / 254 + 2; }
inline constexpr size_t kMaxEncoded = max_encoded_size(kMaxValue);

// A frame type: four ASCII bytes, compared as a little-endian u32.
struct Tag {
  char c[4];
  constexpr bool operator==(const Tag&) const = default;
  constexpr std::string_view view() const { return {c, 4}; }
  constexpr uint32_t u32() const {
    return uint32_t(uint8_t(c[0])) | uint32_t(uint8_t(c[1])) << 8 | uint32_t(uint8_t(c[2])) << 16 |
           uint32_t(uint8_t(c[3])) << 24;
  }
};
constexpr Tag make_tag(const char (&s)[5]) { return Tag{{s[0], s[1], s[2], s[3]}}; }

// Guest -> host (docs/protocol.md)
inline constexpr Tag kHelo = make_tag("HELO");
inline constexpr Tag kPhas = make_tag("PHAS");
inline constexpr Tag kSout = make_tag("SOUT");
inline constexpr Tag kSerr = make_tag("SERR");
inline constexpr Tag kSlog = make_tag("SLOG");
inline constexpr Tag kIlog = make_tag("ILOG");
inline constexpr Tag kSchd = make_tag("SCHD");
inline constexpr Tag kDump = make_tag("DUMP");
inline constexpr Tag kExit = make_tag("EXIT");
inline constexpr Tag kBeat = make_tag("BEAT");
inline constexpr Tag kCrsh = make_tag("CRSH");
inline constexpr Tag kFatl = make_tag("FATL");
inline constexpr Tag kDone = make_tag("DONE");
inline constexpr Tag kKmsg = make_tag("KMSG");
// The vCPU topology init found in sysfs, checked against KTSTR_TOPO; once, after HELO:
// {"asked":"N,L,C,T","nodes":[cpulist...],"llcs":[...],"cores":[...],"difference":"" or why not}
inline constexpr Tag kTopo = make_tag("TOPO");
// Scheduler telemetry: the scheduler's BPF programs once at attach (PROG), then samples of its
// programs' run stats and sched_ext's event counters (STAT); JSON like the other control frames.
inline constexpr Tag kProg = make_tag("PROG");
inline constexpr Tag kStat = make_tag("STAT");
// Host stdin forwarding (KTSTR_STDIN=1): how many STDI bytes init has taken so far and how many
// more it accepts beyond them: {"taken":N,"window":W,"closed":bool}. The host never has more
// than `window` bytes in flight, so init's buffer and the tty's input queue stay bounded.
inline constexpr Tag kSack = make_tag("SACK");
// The on-failure hook (run --on-failure, /on_failure): its stdout and stderr, raw bytes (HOOK, a
// stream counted in DONE's bytes), then once when it ended: {"code"|"signal","timed_out","ms"}.
inline constexpr Tag kHook = make_tag("HOOK");
inline constexpr Tag kHend = make_tag("HEND");
// The output tree ($KTSTR_OUTPUT), sent at teardown on the data lane, or on COM2 when the guest
// has no lane (docs/protocol.md, "The output tree"): one FENT per entry (JSON: path, kind, mode,
// size, ...), a regular file's bytes in FDAT frames (raw) right after its FENT, FSKP for an
// entry that is not sent (JSON: path, kind, why), and FEND (JSON totals) once at the end.
inline constexpr Tag kFent = make_tag("FENT");
inline constexpr Tag kFdat = make_tag("FDAT");
inline constexpr Tag kFskp = make_tag("FSKP");
inline constexpr Tag kFend = make_tag("FEND");
// Host -> guest on the data lane: {"frames":N}, the lane frames the host received intact, sent
// when FEND arrived there. init waits for it before DONE: a write on the port returns once the
// data is queued, not once QEMU has passed it on, and the reboot after DONE would drop the rest.
inline constexpr Tag kLack = make_tag("LACK");
// Warm starts (docs/protocol.md, "Warm starts"). Guest -> host, seq 0, instead of HELO when
// KTSTR_WARM=1: init has booted and waits for its test, {"protocol":1,"init":V,"kernel":R}.
inline constexpr Tag kWait = make_tag("WAIT");
// Host -> guest on COM2: the test as data, {"words":[...],"realtime_ns":N,"entropy":HEX,
// "archive_bytes":N,"archive_frames":K}. Host -> guest on the lane: the run archive's bytes in K
// frames (raw, a newc cpio split anywhere), lane seq 0..K-1.
inline constexpr Tag kSpec = make_tag("SPEC");
inline constexpr Tag kArch = make_tag("ARCH");
// Host -> guest (docs/protocol.md)
inline constexpr Tag kRsiz = make_tag("RSIZ");
inline constexpr Tag kStop = make_tag("STOP");
// The host's stdin for the payload (or exec command): raw bytes; an empty value is its end.
inline constexpr Tag kStdi = make_tag("STDI");
// The host's watchdog fired: write these SysRq keys to /proc/sysrq-trigger before the VM is
// killed, {"keys":"Dw"} (init takes only keys from its own short allow-list).
inline constexpr Tag kSyrq = make_tag("SYRQ");

// True for the types whose value is raw stream bytes rather than a JSON object.
constexpr bool is_stream(Tag t) { return t == kSout || t == kSerr || t == kSlog || t == kIlog || t == kHook; }
// True for the types whose value is raw bytes rather than a JSON object: the streams, file data,
// the host's stdin and the run archive.
constexpr bool is_raw(Tag t) { return is_stream(t) || t == kFdat || t == kStdi || t == kArch; }
// True for every type this protocol version defines.
bool is_known(Tag t);

// CRC32C (Castagnoli, reflected, init/xorout 0xFFFFFFFF). crc32c("123456789") == 0xE3069283.
// `crc` is the running value returned by a previous call (0 to start).
uint32_t crc32c(uint32_t crc, const void* data, size_t len);

// Encodes one frame (COBS + trailing 0x00) into out[0, cap).
// Returns the number of bytes written, or 0 if n > kMaxValue or cap < max_encoded_size(n).
// No heap, no locks, no errno: safe in a signal handler.
size_t encode_frame(uint8_t* out, size_t cap, Tag type, uint32_t seq, uint64_t t_ns,
                    const void* value, size_t n);

}  // namespace ktstr::wire
