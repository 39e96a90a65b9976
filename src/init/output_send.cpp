#include "output_send.hpp"

#include <fcntl.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "data_lane.hpp"
#include "fd.hpp"
#include "ktstr/initramfs.hpp"
#include "ktstr/lane.hpp"
#include "output_tree.hpp"

namespace ktstr::init {
namespace {

// How long the tree may take: 60 s, plus 1 s per 8 MiB of the limit (the lane carries ~350 MB/s
// under TCG, so this is a bound for a host that stopped reading, never a pace), at most a day.
constexpr uint64_t kBaseS = 60;
constexpr uint64_t kBytesPerS = 8ull << 20;
constexpr uint64_t kMaxS = 24 * 3600;
// BEAT on COM2 while the lane carries the tree: the host's silence watchdog watches COM2.
constexpr uint64_t kBeatNs = 1000ull * 1000 * 1000;
// The host's LACK after the tree: it answers as soon as FEND arrives, so this bounds only a host
// that does not answer (the wait costs that much once, and DONE's lane.acked says false).
constexpr uint64_t kAckWaitNs = 5ull * 1000 * 1000 * 1000;

uint64_t deadline_for(uint64_t limit) {
  uint64_t s = std::min(kBaseS + limit / kBytesPerS, kMaxS);
  return boottime_ns() + s * 1000000000ull;
}

std::string mb(uint64_t bytes) { return fmt::format("{:.1f} MB", double(bytes) / 1e6); }

}  // namespace

void send_output_tree(const Config& config, Com2& com2, RunResult& result) {
  if (config.output_limit == 0) return;
  enter_phase(com2, "output");
  com2.flush();  // what the loop queued goes first; from here COM2 is written through
  const uint64_t deadline = deadline_for(config.output_limit);
  const uint64_t start = boottime_ns();

  LaneWriter lane;
  if (OpenLane kept = take_open_lane(); kept.fd.valid()) {
    // A warm start took its archive on the lane: the port is open already (it opens only once).
    lane.adopt(std::move(kept.fd), kept.path);
    lane.set_ack_seq(kept.host_frames);
    lane.set_deadline(deadline);
  } else if (std::string port = find_lane_port(); !port.empty()) {
    if (std::string err; !lane.open(port, err)) spdlog::error("data lane: {}; the tree goes over COM2", err);
    else lane.set_deadline(deadline);
  }
  TreeSink sink;
  std::string com2_error;
  uint64_t last_beat = start;
  if (lane.is_open()) {
    sink.chunk = lane::kLaneMaxValue;
    sink.send = [&](wire::Tag type, std::string_view v) {
      if (config.heartbeat_ms && boottime_ns() - last_beat >= kBeatNs) {
        last_beat = boottime_ns();
        com2.send(wire::kBeat, "{}");
        com2.flush();
      }
      return lane.write(type, v);
    };
  } else {
    sink.chunk = wire::kStreamChunk;
    sink.send = [&](wire::Tag type, std::string_view v) {
      if (boottime_ns() >= deadline) {
        com2_error = "deadline passed while sending the output tree on COM2";
        return false;
      }
      com2.send(type, v);
      com2.flush();
      return true;
    };
  }

  UniqueFd root(::open(initramfs::kOutputDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) spdlog::warn("output tree: {}: sending an empty tree", errno_message(std::string("open ") + initramfs::kOutputDir, errno));
  TreeLimits limits;
  limits.bytes = config.output_limit;
  TreeTotals t = send_tree(root.get(), limits, sink);

  const uint64_t ms = (boottime_ns() - start) / 1000000;
  const char* via = lane.is_open() ? "the data lane" : "COM2";
  if (lane.is_open() && t.complete) {
    // Until the host has it all: the reboot after DONE would drop what QEMU still holds.
    if (std::string err; !lane.wait_ack(boottime_ns() + kAckWaitNs, err)) spdlog::warn("data lane: {}", err);
  }
  if (lane.is_open()) result.lane_json = lane.done_json();
  if (!t.complete) {
    spdlog::error("output tree: {}; the tree is incomplete", lane.is_open() ? lane.error() : com2_error);
    return;
  }
  spdlog::info("output tree: {} files ({}), {} dirs, {} symlinks, {} skipped, {} cut, {} changed; {} in {} ms ({}/s)",
               t.files, mb(t.bytes), t.dirs, t.symlinks, t.skipped, t.cut, t.changed.size(), via, ms,
               mb(ms ? t.bytes * 1000 / ms : t.bytes));
}

}  // namespace ktstr::init
