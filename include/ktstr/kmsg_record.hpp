// One /dev/kmsg record (Documentation/ABI/testing/dev-kmsg), parsed. Shared by the guest, which
// turns each record it reads into a KMSG frame, and the host, which classifies them (splat.hpp).
//
// A read() of /dev/kmsg returns exactly one record:
//   PRI,SEQ,TS_US,FLAGS[,FIELD...];MESSAGE\n
//   [ KEY=VALUE\n]...            (continuation lines, e.g. " SUBSYSTEM=pci", " DEVICE=+pci:0000:00:01.0")
// PRI is (facility << 3) | level. The kernel escapes every byte < 0x20, >= 0x7f and '\' in MESSAGE
// and in the continuation lines as \xNN, so a record is printable ASCII plus its '\n' separators.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ktstr {

struct KmsgRecord {
  int prio = 0;       // PRI & 7: 0 emerg .. 7 debug
  int facility = 0;   // PRI >> 3: 0 kernel, 1 user (the default for lines written to /dev/kmsg)
  uint64_t seq = 0;   // the record's sequence number; a gap means records were overwritten
  uint64_t ts_us = 0; // printk timestamp (local_clock()), microseconds since boot
  std::string flags;  // the FLAGS field: "-", or "c" for a continuation fragment (empty if absent)
  std::string msg;    // MESSAGE with the \xNN escapes undone: any bytes, may contain '\n'
  std::vector<std::string> cont;  // continuation lines without the leading space, unescaped
};

// Parses one record as read() returns it (the trailing '\n' may be missing). Returns nullopt when
// the header is malformed: no ';', PRI/SEQ/TS_US missing, not decimal, or out of range (PRI above
// INT_MAX, SEQ/TS_US above UINT64_MAX). Fields after FLAGS (e.g. ",caller=T1") are ignored, as the
// ABI asks of readers; so are lines after the first that do not start with a space. A '\' not
// followed by "x" and two hex digits is kept as is.
std::optional<KmsgRecord> parse_kmsg_record(std::string_view raw);

// Undoes the kernel's \xNN escapes. Never fails: an incomplete escape stays literal.
std::string kmsg_unescape(std::string_view s);

// The KMSG frame value (docs/protocol.md):
//   {"prio":N,"facility":N,"seq":N,"ts_us":N,"msg":"...","cont":["KEY=VALUE",...]}
// Bytes outside printable ASCII are written as \u00XX (one code point per byte, see json_str.hpp), so
// the value is valid JSON and UTF-8 whatever the message holds. "cont" is always present.
std::string kmsg_record_json(const KmsgRecord& r);

}  // namespace ktstr
