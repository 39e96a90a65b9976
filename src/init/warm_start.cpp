#include "warm_start.hpp"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "crash.hpp"
#include "data_lane.hpp"
#include "fd.hpp"
#include "ktstr/frame_decoder.hpp"
#include "ktstr/json_str.hpp"
#include "ktstr/lane.hpp"
#include "kmsg.hpp"
#include "log.hpp"
#include "test_archive.hpp"

namespace ktstr::init {
namespace {

// A reader of the flat JSON object SPEC is: string keys; values are strings, unsigned integers or
// arrays of strings. Anything else is refused.
class SpecJson {
 public:
  explicit SpecJson(std::string_view s) : s_(s) {}

  bool object(Spec& spec, std::string& error) {
    bool words = false, time = false, entropy = false, bytes = false, frames = false;
    if (!eat('{')) return fail("not a JSON object", error);
    if (eat('}')) return fail("an empty object", error);
    do {
      std::string key;
      if (!string(key) || !eat(':')) return fail("a bad member name", error);
      if (key == "words") {
        if (!string_array(spec.words)) return fail("words: not an array of strings", error);
        words = true;
      } else if (key == "realtime_ns") {
        if (!number(spec.realtime_ns)) return fail("realtime_ns: not an unsigned integer", error);
        time = true;
      } else if (key == "entropy") {
        std::string hex;
        if (!string(hex) || !unhex(hex, spec.entropy) || spec.entropy.empty() || spec.entropy.size() > 512)
          return fail("entropy: not 1-512 bytes as hex", error);
        entropy = true;
      } else if (key == "archive_bytes") {
        if (!number(spec.archive_bytes)) return fail("archive_bytes: not an unsigned integer", error);
        bytes = true;
      } else if (key == "archive_frames") {
        uint64_t v = 0;
        if (!number(v) || v > UINT32_MAX) return fail("archive_frames: not a frame count", error);
        spec.archive_frames = uint32_t(v);
        frames = true;
      } else if (!skip_value()) {
        return fail("member " + key + ": a value of no type SPEC uses", error);
      }
    } while (eat(','));
    if (!eat('}')) return fail("a bad object (',' or '}' expected)", error);
    skip_space();
    if (p_ != s_.size()) return fail("bytes after the object", error);
    const char* missing = !words ? "words" : !time ? "realtime_ns" : !entropy ? "entropy" : !bytes ? "archive_bytes"
                          : !frames ? "archive_frames" : nullptr;
    if (missing) return fail(std::string("no ") + missing + " member", error);
    return true;
  }

 private:
  static bool fail(std::string why, std::string& error) {
    error = std::move(why);
    return false;
  }
  void skip_space() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
  }
  bool eat(char c) {
    skip_space();
    if (p_ < s_.size() && s_[p_] == c) return ++p_, true;
    return false;
  }
  bool string(std::string& out) {
    out.clear();
    if (!eat('"')) return false;
    while (p_ < s_.size()) {
      char c = s_[p_++];
      if (c == '"') return true;
      if (uint8_t(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= s_.size()) return false;
      char e = s_[p_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          // Only \u0000-\u00ff: the host escapes control bytes; words are ASCII.
          uint32_t v = 0;
          if (p_ + 4 > s_.size()) return false;
          auto [end, ec] = std::from_chars(s_.data() + p_, s_.data() + p_ + 4, v, 16);
          if (ec != std::errc() || end != s_.data() + p_ + 4 || v > 0xff) return false;
          out += char(v);
          p_ += 4;
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool number(uint64_t& out) {
    skip_space();
    auto [end, ec] = std::from_chars(s_.data() + p_, s_.data() + s_.size(), out);
    if (ec != std::errc() || end == s_.data() + p_) return false;
    p_ = size_t(end - s_.data());
    return true;
  }
  bool string_array(std::vector<std::string>& out) {
    out.clear();
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      std::string w;
      if (!string(w)) return false;
      out.push_back(std::move(w));
    } while (eat(','));
    return eat(']');
  }
  bool skip_value() {
    skip_space();
    std::string s;
    uint64_t n;
    std::vector<std::string> a;
    if (p_ < s_.size() && s_[p_] == '"') return string(s);
    if (p_ < s_.size() && s_[p_] == '[') return string_array(a);
    return number(n);
  }
  static bool unhex(std::string_view hex, std::string& out) {
    out.clear();
    if (hex.size() % 2) return false;
    for (size_t i = 0; i < hex.size(); i += 2) {
      uint8_t b = 0;
      auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, b, 16);
      if (ec != std::errc() || end != hex.data() + i + 2) return false;
      out += char(b);
    }
    return true;
  }

  std::string_view s_;
  size_t p_ = 0;
};

// The archive may take 60 s plus 1 s per 8 MiB (the lane moves ~160 MB/s into the guest under
// TCG): a bound for a host that stopped sending, never a pace.
uint64_t archive_deadline(uint64_t bytes) {
  uint64_t s = std::min<uint64_t>(60 + bytes / (8ull << 20), 24 * 3600);
  return boottime_ns() + s * 1000000000ull;
}

void send_wait(Com2& com2) {
  utsname u{};
  uname(&u);
  com2.send(wire::kWait, "{\"protocol\":" + std::to_string(wire::kProtocolVersion) + ",\"init\":" +
                             json_str(KTSTR_VERSION) + ",\"kernel\":" + json_str(u.release) + "}");
  com2.drain();  // out of the UART before the host snapshots the guest
}

// Blocks on COM2's input until an intact SPEC frame; other frames and damage are counted.
bool read_spec(const Com2& com2, std::string& value, WarmStart& w) {
  std::string err;
  UniqueFd in = com2.reopen(O_RDONLY | O_NOCTTY | O_CLOEXEC, err);
  if (!in.valid()) {
    w.error = "no SPEC can arrive: " + err;
    return false;
  }
  bool got = false;
  uint64_t others = 0;
  wire::FrameDecoder decoder([&](const wire::Frame& f) {
    if (got) return;
    if (f.type == wire::kSpec) {
      got = true;
      value.assign(reinterpret_cast<const char*>(f.value.data()), f.value.size());
    } else {
      ++others;
    }
  });
  // One byte per read: whatever the host sends after SPEC stays in the port for the run's
  // readers (host control). SPEC is small, so this costs nothing that shows.
  while (!got) {
    uint8_t b;
    ssize_t n = ::read(in.get(), &b, 1);
    if (n == 1) {
      decoder.feed(std::span<const uint8_t>(&b, 1));
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      w.error = errno_message("read COM2 while waiting for SPEC", errno);
      return false;
    } else if (n == 0) {
      timespec pause{0, 10 * 1000 * 1000};  // hang-up: no spin while the host is away
      ::nanosleep(&pause, nullptr);
    }
  }
  const auto& st = decoder.stats();
  if (others || st.corrupt)
    w.warnings.push_back("while waiting for SPEC: skipped " + std::to_string(others) + " other frames and " +
                         std::to_string(st.corrupt) + " damaged ones");
  return true;
}

void set_clock(uint64_t realtime_ns, WarmStart& w) {
  timespec ts{time_t(realtime_ns / 1000000000ull), long(realtime_ns % 1000000000ull)};
  if (::clock_settime(CLOCK_REALTIME, &ts) != 0)
    w.warnings.push_back(errno_message("clock_settime(CLOCK_REALTIME)", errno) + ": the guest's clock is the snapshot's");
}

// Credits the host's bytes to the pool and reseeds the CRNG, so no two restores of one snapshot
// share random state (/proc/sys/kernel/random/uuid, stack canaries of new processes, BPF seeds).
void add_entropy(const std::string& bytes, WarmStart& w) {
  UniqueFd fd(::open("/dev/urandom", O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    w.warnings.push_back(errno_message("open /dev/urandom", errno) + ": no fresh entropy");
    return;
  }
  const size_t words = (bytes.size() + 3) / 4;
  std::unique_ptr<uint32_t[]> buf(new uint32_t[2 + words]());
  auto* info = reinterpret_cast<rand_pool_info*>(buf.get());
  info->entropy_count = int(bytes.size() * 8);
  info->buf_size = int(bytes.size());
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(info->buf));
  if (::ioctl(fd.get(), RNDADDENTROPY, info) != 0) {
    w.warnings.push_back(errno_message("RNDADDENTROPY", errno) + ": no fresh entropy");
    return;
  }
  if (::ioctl(fd.get(), RNDRESEEDCRNG) != 0)
    w.warnings.push_back(errno_message("RNDRESEEDCRNG", errno) + ": the CRNG reseeds on its own schedule");
}

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& x : words) s += (s.empty() ? "" : " ") + x;
  return s;
}

}  // namespace

bool parse_spec(std::string_view json, Spec& spec, std::string& error) {
  if (!SpecJson(json).object(spec, error)) {
    error = "bad SPEC: " + error;
    return false;
  }
  return true;
}

WarmStart warm_start(Com2& com2, CmdlineResult& cmdline) {
  WarmStart w;
  w.warm = true;
  crash::set_phase("warm_wait");
  // Before the snapshot, so no run pays for them: the boot's kernel log (kmsg.hpp), and the
  // lane's port found and opened (an open port keeps working across a restore).
  const uint64_t kmsg_next = send_boot_records(com2);
  std::string port = find_lane_port();
  std::string lane_error;
  UniqueFd fd;
  if (port.empty()) lane_error = "the run archive cannot arrive: no data lane (virtio port " + std::string(lane::kPortName) + ")";
  else if (fd.reset(::open(port.c_str(), O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)); !fd.valid())
    lane_error = "the run archive cannot arrive: " + errno_message("open " + port, errno);
  send_wait(com2);
  std::string value;
  if (!read_spec(com2, value, w)) return w;
  const uint64_t t0 = boottime_ns();

  // The host started a new decoder when it sent SPEC: HELO is seq 0 of the run's stream.
  com2.restart_stream();
  forward_from(kmsg_next);
  Spec spec;
  if (!parse_spec(value, spec, w.error)) return w;
  set_clock(spec.realtime_ns, w);
  add_entropy(spec.entropy, w);
  for (const auto& word : spec.words)
    if (word.starts_with("KTSTR_WARM")) w.warnings.push_back("SPEC word " + word + " ignored: the run is warm already");
  cmdline = parse_cmdline(joined(spec.words));
  cmdline.config.warm = false;
  log_init(com2, cmdline.config.log_level);
  const uint64_t t1 = boottime_ns();
  w.spec_ms = (t1 - t0) / 1000000;

  if (!lane_error.empty()) {
    w.error = lane_error;
    return w;
  }
  ArchiveExtractor x("");
  ArchiveReceipt r = receive_archive(fd.get(), port, spec.archive_frames, spec.archive_bytes,
                                     archive_deadline(spec.archive_bytes), x);
  w.archive_ms = (boottime_ns() - t1) / 1000000;
  w.archive_bytes = r.bytes;
  if (!r.error.empty()) w.error = "the run archive: " + r.error;
  else w.notes.push_back("warm start: " + std::to_string(x.entries()) + " entries (" + std::to_string(r.bytes) +
                         " bytes) in " + std::to_string(r.frames) + " lane frames");
  keep_open_lane({std::move(fd), port, r.frames});
  return w;
}

std::string helo_start_members(const WarmStart& w) {
  if (!w.warm) return ",\"start\":\"cold\"";
  return ",\"start\":\"warm\",\"spec_ms\":" + std::to_string(w.spec_ms) + ",\"archive_ms\":" +
         std::to_string(w.archive_ms) + ",\"archive_bytes\":" + std::to_string(w.archive_bytes);
}

}  // namespace ktstr::init
