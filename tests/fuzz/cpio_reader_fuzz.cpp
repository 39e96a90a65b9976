// libFuzzer target for the warm start's archive reader (src/common/cpio_reader.cpp). The first
// byte seeds the piece size; the rest is an archive. It is read in pieces and at once, and these
// invariants are checked (abort on violation):
//   - both reads deliver the same entries, data and verdict (chunking is invisible);
//   - a delivered path is relative and has no "", "." or ".." component ("." alone is the root);
//   - a regular file's data pieces add up to its size, and every entry is ended before the next;
//   - a read that succeeded saw the trailer; one that did not has an error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ktstr/cpio_reader.hpp"

namespace c = ktstr::cpio;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail) {
  fprintf(stderr, "%s: %s\n", what, detail.c_str());
  abort();
}

void check_path(const std::string& p) {
  if (p == ".") return;
  if (p.empty() || p[0] == '/') die("bad path", p);
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") die("bad component", p);
    start = end + 1;
  }
}

struct Run {
  std::string log;  // every event, serialised
  bool ok = false;
  std::string error;
};

Run read(std::string_view in, size_t piece) {
  Run r;
  c::Limits limits;
  limits.file = 1 << 20;
  bool open = false;
  uint64_t want = 0, got = 0;
  c::Reader reader(
      [&](const c::Entry& e, std::string&) {
        if (open) die("entry inside an entry", e.path);
        check_path(e.path);
        open = true;
        want = e.type() == c::kRegular ? e.size : 0;
        got = 0;
        r.log += "E" + e.path + ":" + std::to_string(e.mode) + ":" + std::to_string(e.size) + ":" + e.link_target + "\n";
        return true;
      },
      [&](std::string_view p, std::string&) {
        if (!open) die("data outside an entry", std::string(p));
        got += p.size();
        r.log.append(p);
        return true;
      },
      [&](std::string&) {
        if (!open || got != want) die("end", std::to_string(got) + " of " + std::to_string(want));
        open = false;
        r.log += "\n.\n";
        return true;
      },
      limits);
  bool fed = true;
  for (size_t i = 0; i < in.size() && fed; i += piece) fed = reader.feed(in.substr(i, piece));
  r.ok = fed && reader.finish();
  r.error = reader.error();
  if (r.ok != reader.complete()) die("ok without the trailer", r.error);
  if (!r.ok && r.error.empty()) die("failed without an error", "");
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t piece = size_t(data[0]) % 131 + 1;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  Run pieces = read(in, piece), whole = read(in, in.size() ? in.size() : 1);
  if (pieces.ok != whole.ok || pieces.log != whole.log || pieces.error != whole.error)
    die("chunking changed the result", pieces.error + " / " + whole.error);
  return 0;
}
