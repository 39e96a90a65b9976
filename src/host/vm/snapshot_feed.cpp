#include "snapshot_feed.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <vector>

#include "ktstr/posix_io.hpp"
#include "ktstr/wire.hpp"
#include "text.hpp"

namespace ktstr::host {
namespace {

constexpr size_t kBlock = size_t(1) << 20;

// The CPU's CRC32C instruction (SSE 4.2): the feed sums ~90 MB while QEMU waits for its end, and
// the table-driven wire::crc32c took ~40 ms of a ~0.2 s restore (measured against a plain `cat`).
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const char* p, size_t n) {
  uint64_t c = ~crc & 0xFFFFFFFFu;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = uint32_t(c);
  for (; n; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, uint8_t(*p));
  return ~c32;
}
constexpr size_t kHeldBack = size_t(8) << 20;

}  // namespace

uint32_t snapshot_crc32c(uint32_t crc, const void* data, size_t n) {
  static const bool hw = __builtin_cpu_supports("sse4.2");
  return hw ? crc32c_sse42(crc, static_cast<const char*>(data), n) : wire::crc32c(crc, data, n);
}

SnapshotSum sum_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw std::runtime_error(path + ": " + strerror(errno));
  std::vector<char> buf(kBlock);
  SnapshotSum s;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(path + ": " + strerror(errno));
    if (n == 0) return s;
    s.crc32c = snapshot_crc32c(s.crc32c, buf.data(), size_t(n));
    s.bytes += uint64_t(n);
  }
}

std::string sum_text(const SnapshotSum& s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRIu64 " %08x", s.bytes, s.crc32c);
  return buf;
}

bool parse_sum(const std::string& text, SnapshotSum& out) {
  unsigned long long bytes = 0;
  unsigned crc = 0;
  char tail = 0;
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  if (std::sscanf(text.c_str(), "%llu %8x%c", &bytes, &crc, &tail) < 2) return false;
  if (tail != 0 && tail != '\n') return false;
  out = {bytes, crc};
  return true;
}

int feed_snapshot(const std::string& path, const SnapshotSum& expected, int out_fd, std::string& error) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    error = path + ": " + strerror(errno);
    return 1;
  }
  // A pipe of 1 MiB (QEMU's end, when it is one): the feed runs ahead of the loader in bigger steps.
  (void)::fcntl(out_fd, F_SETPIPE_SZ, int(kBlock));
  // The tail held back: QEMU's stream ends with the device state, the EOF marker and a JSON
  // description of the devices that the loader does not read (~50 KB here). Holding back only the
  // last block let a damaged snapshot load (seen: the held block was that description alone);
  // kHeldBack holds the end of the memory pages and everything after them.
  std::deque<std::string> held;
  size_t held_bytes = 0;
  SnapshotSum seen;
  auto put = [&](const std::string& block) {
    if (write_all(out_fd, block)) return true;
    error = std::string("writing the snapshot to QEMU: ") + strerror(errno);
    return false;
  };
  std::vector<std::string> spare;  // blocks written out, read into again (no 1 MiB allocation per read)
  for (;;) {
    std::string block;
    if (!spare.empty()) {
      block = std::move(spare.back());
      spare.pop_back();
    }
    block.resize(kBlock);
    ssize_t n = ::read(fd.get(), block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": " + strerror(errno);
      return 1;
    }
    if (n == 0) break;
    block.resize(size_t(n));
    seen.crc32c = snapshot_crc32c(seen.crc32c, block.data(), block.size());
    seen.bytes += uint64_t(n);
    held_bytes += block.size();
    held.push_back(std::move(block));
    while (held_bytes - held.front().size() >= kHeldBack) {
      if (!put(held.front())) return 1;
      held_bytes -= held.front().size();
      spare.push_back(std::move(held.front()));
      held.pop_front();
    }
  }
  if (!(seen == expected)) {
    error = path + ": " + sum_text(seen) + " (bytes, CRC32C), made as " + sum_text(expected) +
            ": the file changed on disk";
    return 1;
  }
  for (const std::string& block : held)
    if (!put(block)) return 1;
  return 0;
}

std::string snapshot_incoming(const std::string& self_exe, const std::string& path, const SnapshotSum& sum) {
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", sum.crc32c);
  return "exec:" + sh_word(self_exe) + " snapshot-feed " + sh_word(path) + " " + std::to_string(sum.bytes) +
         " " + crc;
}

}  // namespace ktstr::host
