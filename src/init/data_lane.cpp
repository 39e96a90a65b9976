#include "data_lane.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <utility>

#include "host_control.hpp"  // json_uint_member
#include "ktstr/json_str.hpp"
#include "ktstr/lane.hpp"

namespace ktstr::init {

std::string find_lane_port(const std::string& sysfs_dir) {
  DIR* d = ::opendir(sysfs_dir.c_str());
  if (!d) return "";
  std::string found;
  while (dirent* e = ::readdir(d)) {
    std::string port = e->d_name;
    if (port.empty() || port[0] == '.') continue;
    std::string name;
    if (!read_file((sysfs_dir + "/" + port + "/name").c_str(), name)) continue;
    if (trim_trailing_space(name) == lane::kPortName) {
      found = "/dev/" + port;
      break;
    }
  }
  ::closedir(d);
  return found;
}

bool LaneWriter::open(const std::string& path, std::string& error) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    error = errno_message("open " + path, errno);
    return false;
  }
  adopt(std::move(fd), path);
  return true;
}

void LaneWriter::adopt(UniqueFd fd, std::string name) {
  fd_ = std::move(fd);
  name_ = std::move(name);
  fcntl(fd_.get(), F_SETFL, fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
}

bool LaneWriter::fail(std::string why) {
  error_ = std::move(why);
  return false;
}

bool LaneWriter::write(wire::Tag type, const void* value, size_t n) {
  if (failed()) return false;
  if (!fd_.valid()) return fail("the lane is not open");
  if (n > lane::kLaneMaxValue) return fail("a value of " + std::to_string(n) + " bytes, above the lane's maximum");
  uint8_t header[wire::kHeaderSize];
  lane::encode_header(header, type, uint32_t(n), seq_, boottime_ns());
  uint32_t crc = lane::frame_crc(header, value, n);
  uint8_t crc_le[wire::kCrcSize] = {uint8_t(crc), uint8_t(crc >> 8), uint8_t(crc >> 16), uint8_t(crc >> 24)};
  iovec iov[3] = {{header, sizeof header}, {const_cast<void*>(value), n}, {crc_le, sizeof crc_le}};
  iovec* cur = iov;
  int left = 3;
  while (left > 0) {
    if (cur->iov_len == 0) {
      ++cur, --left;
      continue;
    }
    ssize_t w = ::writev(fd_.get(), cur, left);
    if (w > 0) {
      size_t done = size_t(w);
      while (left > 0 && done >= cur->iov_len) done -= cur->iov_len, ++cur, --left;
      if (left > 0) {
        cur->iov_base = static_cast<char*>(cur->iov_base) + done;
        cur->iov_len -= done;
      }
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) return fail(errno_message("write " + name_, errno));
    // Full (the host has not read yet): wait for room, up to the deadline.
    int timeout_ms = -1;
    if (deadline_ns_) {
      uint64_t now = boottime_ns();
      if (now >= deadline_ns_) return fail("deadline passed while writing " + name_ + " (the host stopped reading?)");
      timeout_ms = int(std::min<uint64_t>((deadline_ns_ - now + 999999) / 1000000, 1000));
    }
    pollfd pfd{fd_.get(), POLLOUT, 0};
    int r = ::poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno != EINTR) return fail(errno_message("poll " + name_, errno));
    if (r > 0 && (pfd.revents & (POLLERR | POLLNVAL))) return fail("poll " + name_ + ": error on the port");
    // POLLHUP: no host on the other end (yet, or any more); writes fail with EAGAIN until one
    // connects. Wait without spinning, up to the deadline.
    if (r > 0 && !(pfd.revents & POLLOUT)) {
      timespec pause{0, 10 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
    }
  }
  ++seq_;
  bytes_[std::string(type.view())] += n;
  return true;
}

bool LaneWriter::wait_ack(uint64_t deadline_ns, std::string& error) {
  if (!fd_.valid()) {
    error = "the lane is not open";
    return false;
  }
  bool got = false;
  uint32_t acked_frames = 0;
  lane::LaneDecoder decoder([&](const wire::Frame& f) {
    if (f.type != wire::kLack || got) return;
    got = true;
    std::string_view json(reinterpret_cast<const char*>(f.value.data()), f.value.size());
    if (!json_uint_member(json, "frames", UINT32_MAX, acked_frames)) acked_frames = UINT32_MAX;
  });
  decoder.set_first_seq(ack_seq_);
  char buf[4096];
  while (!got && !decoder.damaged()) {
    ssize_t r = ::read(fd_.get(), buf, sizeof buf);
    if (r > 0) {
      decoder.feed(std::string_view(buf, size_t(r)));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno != EAGAIN) {
      error = errno_message("read " + name_, errno);
      return false;
    }
    uint64_t now = boottime_ns();
    if (now >= deadline_ns) {
      error = "no acknowledgement from the host";
      return false;
    }
    pollfd pfd{fd_.get(), POLLIN, 0};
    int wait_ms = int(std::min<uint64_t>((deadline_ns - now + 999999) / 1000000, 1000));
    if (::poll(&pfd, 1, wait_ms) > 0 && !(pfd.revents & POLLIN)) {
      timespec pause{0, 10 * 1000 * 1000};  // POLLHUP without a host: do not spin
      ::nanosleep(&pause, nullptr);
    }
  }
  if (!got) {
    error = "the host's acknowledgement was damaged: " + decoder.damage();
    return false;
  }
  if (acked_frames != seq_) {
    error = "the host acknowledged " + std::to_string(acked_frames) + " frames of " + std::to_string(seq_);
    return false;
  }
  acked_ = true;
  return true;
}

namespace {
OpenLane g_open_lane;  // init is single-threaded
}  // namespace

void keep_open_lane(OpenLane lane) { g_open_lane = std::move(lane); }

OpenLane take_open_lane() { return std::exchange(g_open_lane, OpenLane{}); }

std::string LaneWriter::done_json() const {
  std::string bytes;
  for (const auto& [type, n] : bytes_) bytes += (bytes.empty() ? "" : ",") + json_str(type) + ":" + std::to_string(n);
  std::string v = "{\"frames\":" + std::to_string(seq_) + ",\"bytes\":{" + bytes + "}";
  v += std::string(",\"acked\":") + (acked_ ? "true" : "false");
  if (failed()) v += ",\"error\":" + json_str(error_);
  return v + "}";
}

}  // namespace ktstr::init
