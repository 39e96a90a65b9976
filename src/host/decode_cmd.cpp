// `ktstr-vm decode`: reads a COM2 capture in large blocks, feeds the streaming decoder, and writes
// one of three views on stdout (text lines, JSON lines, or one stream's raw bytes). The verdict and
// the damage report go to stderr, so stdout stays pure in every mode.
#include "decode_cmd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "frame_format.hpp"
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

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void say(const std::string& line) { std::fprintf(stderr, "decode: %s\n", line.c_str()); }

// Maps --stream to its tag; nullopt for anything but the four stream types.
std::optional<wire::Tag> stream_tag(std::string_view name) {
  for (wire::Tag t : {wire::kSout, wire::kSerr, wire::kSlog, wire::kIlog})
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

std::string seq_range(const wire::SeqGap& g) {
  std::string s = "lost seq " + std::to_string(g.first);
  if (g.count > 1) s += "-" + std::to_string(uint64_t(g.first) + g.count - 1);
  return s;
}

// Summary, seq gaps and warnings on stderr. Returns the exit code for the capture's verdict.
int report(const wire::DecodeStats& st, uint64_t invalid_json) {
  std::string summary = st.summary();
  if (invalid_json)
    summary += ", " + std::to_string(invalid_json) + " control frames not JSON (warning)";
  say(summary);
  for (size_t i = 0; i < st.gaps.size() && i < kMaxGapLines; ++i) say(seq_range(st.gaps[i]));
  if (st.gaps.size() > kMaxGapLines) {
    uint64_t more = 0;
    for (size_t i = kMaxGapLines; i < st.gaps.size(); ++i) more += st.gaps[i].count;
    say("... " + std::to_string(st.gaps.size() - kMaxGapLines) + " more gaps (" +
        std::to_string(more) + " frames)");
  }
  if (st.clean()) return 0;
  std::vector<std::string> why;
  if (!st.done) why.push_back("no DONE frame: capture truncated");
  if (st.corrupt) why.push_back(std::to_string(st.corrupt) + " corrupt frames");
  if (st.lost) why.push_back(std::to_string(st.lost) + " lost frames");
  if (st.truncated_bytes)
    why.push_back("last frame cut off (" + std::to_string(st.truncated_bytes) + " bytes)");
  if (st.seq_backwards)
    why.push_back(std::to_string(st.seq_backwards) + " frames duplicated or out of order");
  if (st.unknown_types) why.push_back(std::to_string(st.unknown_types) + " frames of unknown type");
  if (st.after_done) why.push_back(std::to_string(st.after_done) + " frames after DONE");
  std::string line = "capture not clean: ";
  for (size_t i = 0; i < why.size(); ++i) line += (i ? "; " : "") + why[i];
  say(line);
  return 1;
}

}  // namespace

int run_decode(const DecodeOptions& opts) {
  // Options: --stream and --json are two different stdout formats.
  std::optional<wire::Tag> only;
  if (!opts.stream.empty()) {
    only = stream_tag(opts.stream);
    if (!only) {
      say("--stream " + opts.stream + ": expected SOUT, SERR, SLOG or ILOG");
      return 2;
    }
    if (opts.json) {
      say("--stream and --json exclude each other");
      return 2;
    }
  }

  // Input: a file, or stdin for "-".
  int fd = STDIN_FILENO;
  std::string name = opts.input == "-" ? "<stdin>" : opts.input;
  if (opts.input != "-") {
    fd = ::open(opts.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      say("open " + name + ": " + errno_text(errno));
      return 2;
    }
  }

  // The frame sink: one of the three views, appended to the pending output.
  Output out;
  TextFormatter text;
  uint64_t invalid_json = 0;
  auto note_invalid = [&](const wire::Frame& f) {
    if (++invalid_json <= kMaxWarnings)
      say("warning: #" + std::to_string(f.seq) + " " + escape_text(as_bytes(f.type.view())) +
          ": value is not a JSON object");
  };
  wire::FrameDecoder decoder([&](const wire::Frame& f) {
    if (only) {
      if (f.type == *only)
        out.buf.append(reinterpret_cast<const char*>(f.value.data()), f.value.size());
      return;
    }
    bool ok = true;
    if (opts.json) {
      out.buf += frame_to_json(f, &ok);
      out.buf += '\n';
    } else {
      text.format(f, out.buf, &ok);
    }
    if (!ok) note_invalid(f);
  });

  // Read loop: large blocks, stdout flushed as it fills.
  std::vector<uint8_t> block(kReadBlock);
  int read_err = 0, write_err = 0;
  for (;;) {
    ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      read_err = errno;
      break;
    }
    if (n == 0) break;
    decoder.feed(std::span<const uint8_t>(block.data(), size_t(n)));
    if (!write_err) write_err = out.maybe_flush();
  }
  if (fd != STDIN_FILENO) ::close(fd);
  decoder.finish();
  if (!only) text.flush(out.buf);
  if (!write_err) write_err = out.flush();

  // Verdict: I/O failures first (exit 2), then the capture's own state.
  if (read_err) {
    say("read " + name + ": " + errno_text(read_err));
    return 2;
  }
  if (write_err) {
    say("write stdout: " + errno_text(write_err));
    return 2;
  }
  return report(decoder.stats(), invalid_json);
}

}  // namespace ktstr::host
