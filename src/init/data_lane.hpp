// The data lane, guest side (docs/protocol.md, "The data lane"): finding the virtio-serial port
// QEMU named org.ktstr.lane, and a writer that frames values on it (include/ktstr/lane.hpp) with
// its own seq and the per-type byte counts COM2's DONE reports. Writes block, bounded by a
// deadline: a host that stops reading cannot hold the guest forever.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::init {

// "/dev/<port>" of the port whose sysfs `name` is lane::kPortName, looked up under `sysfs_dir`
// (/sys/class/virtio-ports); empty when the guest has no lane.
std::string find_lane_port(const std::string& sysfs_dir = "/sys/class/virtio-ports");

class LaneWriter {
 public:
  // Opens the port (non-blocking: waits go through poll and the deadline); reads are the host's
  // acknowledgement (wait_ack).
  [[nodiscard]] bool open(const std::string& path, std::string& error);
  // Writes on an fd already open (tests: a pipe). The writer owns it.
  void adopt(UniqueFd fd, std::string name);
  bool is_open() const { return fd_.valid(); }
  // CLOCK_BOOTTIME ns after which a write gives up; 0 = none.
  void set_deadline(uint64_t deadline_ns) { deadline_ns_ = deadline_ns; }

  // Writes one whole frame (header, value, CRC) with one writev, without copying the value.
  // n <= lane::kLaneMaxValue. False once the writer failed (an error, the deadline): every later
  // call is then a no-op that returns false, so a stream is never continued after a hole.
  bool write(wire::Tag type, const void* value, size_t n);
  bool write(wire::Tag type, std::string_view value) { return write(type, value.data(), value.size()); }

  // After the last frame: waits (bounded by `deadline_ns`) for the host's LACK on the lane's other
  // direction saying it received every frame written. False, with `error`, if none came, it was
  // damaged, or it counts other than frames().
  [[nodiscard]] bool wait_ack(uint64_t deadline_ns, std::string& error);
  // The host already sent this many frames on the other direction (a warm start's ARCH frames):
  // its LACK then has this seq.
  void set_ack_seq(uint32_t seq) { ack_seq_ = seq; }
  bool acked() const { return acked_; }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Whole frames written, and their value bytes per type.
  uint32_t frames() const { return seq_; }
  const std::map<std::string, uint64_t>& value_bytes() const { return bytes_; }
  // DONE's "lane" object: {"frames":N,"bytes":{"FENT":n,...}} plus "error" if the writer failed.
  std::string done_json() const;

 private:
  bool fail(std::string why);

  UniqueFd fd_;
  std::string name_;
  uint64_t deadline_ns_ = 0;
  uint32_t seq_ = 0;
  std::map<std::string, uint64_t> bytes_;
  std::string error_;
  bool acked_ = false;
  uint32_t ack_seq_ = 0;
};

// The lane port a warm start opened to take the run archive (test_archive.hpp). A virtio port can
// be open only once, so the output tree (output_send.cpp) takes this fd instead of opening the
// port again. `host_frames`: the frames the host sent on it, which the LACK's seq follows.
struct OpenLane {
  UniqueFd fd;
  std::string path;
  uint32_t host_frames = 0;
};
void keep_open_lane(OpenLane lane);
// The kept lane (fd invalid when there is none); it is no longer kept.
OpenLane take_open_lane();

}  // namespace ktstr::init
