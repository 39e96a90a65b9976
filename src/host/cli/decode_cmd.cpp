// `ktstr-vm decode`: reads a COM2 capture in large blocks, feeds the streaming decoder, and writes
// one of three views on stdout (text lines, JSON lines, or one stream's raw bytes). The verdict and
// the damage report go to stderr, so stdout stays pure in every mode.
#include "decode_cmd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "frame_views.hpp"
#include "guest_json.hpp"
#include "ktstr/frame_decoder.hpp"

namespace ktstr::host {
namespace {

constexpr size_t kReadBlock = 1 << 20;  // read(2) size: few syscalls on big captures
constexpr size_t kFlushAt = 1 << 20;    // stdout is written once this much output is pending
constexpr size_t kMaxGapLines = 20;     // seq gaps listed one per line; the rest are summed
constexpr size_t kMaxWarnings = 10;     // invalid-JSON frames named one per line

std::string errno_text(int err) {
  return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

std::string_view as_chars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void say(const std::string& line) { std::fprintf(stderr, "decode: %s\n", line.c_str()); }

// Maps --stream to its tag; nullopt for anything but the four stream types.
std::optional<wire::Tag> stream_tag(std::string_view name) {
  for (wire::Tag t : {wire::kSout, wire::kSerr, wire::kSlog, wire::kIlog, wire::kHook})
    if (name == t.view()) return t;
  return std::nullopt;
}

// Buffered writer on fd 1 with write(2): byte-exact, no stdio buffering or locale in the way.
class Output {
 public:
  std::string buf;
  // Writes everything pending. Returns 0, or the errno of the failed write.
  int flush() {
    size_t off = 0;
    while (off < buf.size()) {
      ssize_t w = ::write(STDOUT_FILENO, buf.data() + off, buf.size() - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        buf.clear();
        return err;
      }
      off += size_t(w);
    }
    buf.clear();
    return 0;
  }
  int maybe_flush() { return buf.size() >= kFlushAt ? flush() : 0; }
};

// What is wrong with a DONE value by docs/protocol.md: a JSON object with an exit_code; the other
// fields are optional, but of their types when present. "" if nothing.
std::string done_value_problem(std::span<const uint8_t> value) {
  nlohmann::json done = nlohmann::json::parse(as_chars(value), nullptr, /*allow_exceptions=*/false);
  if (!done.is_object()) return "value is not a JSON object";
  if (!guest_json::uint(done, "exit_code", 255)) return "exit_code is missing or not a number 0-255";
  if (const nlohmann::json* r = guest_json::field(done, "reason"); r && !r->is_string())
    return "reason is not a string";
  if (guest_json::field(done, "frames") && !guest_json::uint(done, "frames"))
    return "frames is not a count";
  for (const char* name : {"bytes", "timings_ms"}) {
    const nlohmann::json* obj = guest_json::field(done, name);
    if (!obj) continue;
    if (!obj->is_object()) return std::string(name) + " is not an object";
    for (const auto& [key, v] : obj->items())
      if (!v.is_number_unsigned())
        return std::string(name) + "." + escape_text(as_bytes(key)) + " is not a count";
  }
  return "";
}

// The streams whose byte counts DONE reports and the host checks (as `run` does).
constexpr const char* kCountedStreams[] = {"SOUT", "SERR", "SLOG", "HOOK"};

// The frame sink: the decoder, one of the three views appended to the pending output, and the
// checks of the DONE frame against what arrived before it.
class Decode {
 public:
  Decode(const DecodeOptions& opts, std::optional<wire::Tag> only)
      : opts_(opts), only_(only), decoder_([this](const wire::Frame& f) { on_frame(f); }) {}

  wire::FrameDecoder& decoder() { return decoder_; }
  // End of input: partial text lines are written.
  void finish() {
    decoder_.finish();
    if (!only_) text_.flush(out.buf);
  }

  Output out;
  uint64_t invalid_json = 0;
  std::string done_error;  // what is wrong with the DONE frame; "" if nothing (or no DONE)

 private:
  void on_frame(const wire::Frame& f) {
    bool repeat = decoder_.arrival() == wire::Arrival::repeat;
    if (f.type == wire::kDone && !done_seen_ && !repeat) check_done(f);
    if (only_) {
      // The stream as the guest sent it once: no duplicates, nothing after DONE.
      if (f.type == *only_ && !repeat && !done_seen_)
        out.buf.append(reinterpret_cast<const char*>(f.value.data()), f.value.size());
    } else {
      bool ok = true;
      if (opts_.json) {
        out.buf += frame_to_json(f, &ok);
        out.buf += '\n';
      } else {
        text_.format(f, out.buf, &ok);
      }
      if (!ok) note_invalid(f);
    }
    if (!repeat && !done_seen_ && wire::is_stream(f.type))
      stream_bytes_[std::string(f.type.view())] += f.value.size();
    if (f.type == wire::kDone && !repeat) done_seen_ = true;
  }

  void note_invalid(const wire::Frame& f) {
    if (++invalid_json <= kMaxWarnings)
      say("warning: #" + std::to_string(f.seq) + " " + escape_text(as_bytes(f.type.view())) +
          ": value is not a JSON object");
  }

  // The DONE frame's types, then its byte counts against the stream bytes that arrived.
  void check_done(const wire::Frame& f) {
    done_error = done_value_problem(f.value);
    if (!done_error.empty()) return;
    auto done = nlohmann::json::parse(as_chars(f.value));
    const nlohmann::json* bytes = guest_json::field(done, "bytes");
    if (!bytes) return;
    for (const char* s : kCountedStreams) {
      uint64_t want = guest_json::uint(*bytes, s).value_or(0);
      uint64_t got = stream_bytes_.count(s) ? stream_bytes_.at(s) : 0;
      if (want != got) {
        done_error = std::string(s) + " bytes: guest sent " + std::to_string(want) +
                     ", capture holds " + std::to_string(got);
        return;
      }
    }
  }

  const DecodeOptions& opts_;
  std::optional<wire::Tag> only_;
  wire::FrameDecoder decoder_;
  TextFormatter text_;
  bool done_seen_ = false;
  std::map<std::string, uint64_t> stream_bytes_;  // before DONE, duplicates left out
};

std::string seq_range(const wire::SeqGap& g) {
  std::string s = "lost seq " + std::to_string(g.first);
  if (g.count > 1) s += "-" + std::to_string(uint64_t(g.first) + g.count - 1);
  return s;
}

void say_gaps(const std::vector<wire::SeqGap>& gaps) {
  for (size_t i = 0; i < gaps.size() && i < kMaxGapLines; ++i) say(seq_range(gaps[i]));
  if (gaps.size() <= kMaxGapLines) return;
  uint64_t more = 0;
  for (size_t i = kMaxGapLines; i < gaps.size(); ++i) more += gaps[i].count;
  say("... " + std::to_string(gaps.size() - kMaxGapLines) + " more gaps (" + std::to_string(more) +
      " frames)");
}

// Every reason the capture is not clean, in the order a reader looks for them.
std::vector<std::string> damage(const wire::DecodeStats& st, const std::string& done_error) {
  std::vector<std::string> why;
  if (!st.done) why.push_back("no DONE frame: capture truncated");
  if (!done_error.empty()) why.push_back("DONE frame: " + done_error);
  if (st.corrupt) why.push_back(std::to_string(st.corrupt) + " corrupt frames");
  if (st.lost) why.push_back(std::to_string(st.lost) + " lost frames");
  if (st.truncated_bytes)
    why.push_back("last frame cut off (" + std::to_string(st.truncated_bytes) + " bytes)");
  if (st.out_of_order) why.push_back(std::to_string(st.out_of_order) + " frames out of order");
  if (uint64_t dup = st.seq_backwards - st.out_of_order)
    why.push_back(std::to_string(dup) + " duplicate frames (a seq seen before)");
  if (st.unknown_types) why.push_back(std::to_string(st.unknown_types) + " frames of unknown type");
  if (st.after_done) why.push_back(std::to_string(st.after_done) + " frames after DONE");
  return why;
}

// Summary, seq gaps and warnings on stderr. Returns the exit code for the capture's verdict.
int verdict(const wire::DecodeStats& st, const Decode& d) {
  std::string summary = st.summary();
  if (d.invalid_json)
    summary += ", " + std::to_string(d.invalid_json) + " control frames not JSON (warning)";
  say(summary);
  say_gaps(st.gaps);
  std::vector<std::string> why = damage(st, d.done_error);
  if (why.empty()) return 0;
  std::string line = "capture not clean: ";
  for (size_t i = 0; i < why.size(); ++i) line += (i ? "; " : "") + why[i];
  say(line);
  return 1;
}

// --stream and --json are two different stdout formats. Returns 0, or 2 for a usage error.
int check_options(const DecodeOptions& opts, std::optional<wire::Tag>& only) {
  if (opts.stream.empty()) return 0;
  only = stream_tag(opts.stream);
  if (!only) {
    say("--stream " + opts.stream + ": expected SOUT, SERR, SLOG, ILOG or HOOK");
    return 2;
  }
  if (opts.json) {
    say("--stream and --json exclude each other");
    return 2;
  }
  return 0;
}

// A file, or stdin for "-". Returns the fd, or -1 (said why).
int open_input(const std::string& input) {
  if (input == "-") return STDIN_FILENO;
  int fd = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) say("open " + input + ": " + errno_text(errno));
  return fd;
}

struct IoErrors {
  int read = 0;   // errno of the failed read(2), or 0
  int write = 0;  // errno of the failed write(2) on stdout, or 0
};

// Read loop: large blocks into the decoder, stdout flushed as it fills, then everything written.
IoErrors pump(int fd, Decode& d) {
  std::vector<uint8_t> block(kReadBlock);
  IoErrors e;
  for (;;) {
    ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      e.read = errno;
      break;
    }
    if (n == 0) break;
    d.decoder().feed(std::span<const uint8_t>(block.data(), size_t(n)));
    if (!e.write) e.write = d.out.maybe_flush();
  }
  d.finish();
  if (!e.write) e.write = d.out.flush();
  return e;
}

}  // namespace

int run_decode(const DecodeOptions& opts) {
  std::optional<wire::Tag> only;
  if (int rc = check_options(opts, only)) return rc;
  std::string name = opts.input == "-" ? "<stdin>" : opts.input;
  int fd = open_input(opts.input);
  if (fd < 0) return 2;
  Decode d(opts, only);
  IoErrors io = pump(fd, d);
  if (fd != STDIN_FILENO) ::close(fd);
  // I/O failures first (exit 2), then the capture's own state.
  if (io.read) {
    say("read " + name + ": " + errno_text(io.read));
    return 2;
  }
  if (io.write) {
    say("write stdout: " + errno_text(io.write));
    return 2;
  }
  return verdict(d.decoder().stats(), d);
}

}  // namespace ktstr::host
