// Host -> guest frames on COM2 (docs/protocol.md): RSIZ {"cols","rows"}, STOP {}, STDI (the
// host's stdin, raw bytes) and SYRQ {"keys"} (SysRq dumps before the host kills a hung VM).
// Reads COM2's input side through its own non-blocking fd on the event loop and decodes frames
// with the same decoder the host uses: damaged or unknown frames are skipped (and logged).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "com2.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "ktstr/frame_decoder.hpp"

namespace ktstr::init {

class HostControl {
 public:
  struct Handlers {
    std::function<void(uint16_t cols, uint16_t rows)> on_resize;
    std::function<void()> on_stop;
    std::function<void(std::string_view bytes)> on_stdin;  // STDI; empty bytes = end of input
  };

  // Opens COM2's input side (Com2::reopen, non-blocking) and watches it. False with `error` if
  // it cannot be opened: then no RSIZ or STOP reaches the guest.
  [[nodiscard]] bool start(EventLoop& loop, const Com2& com2, Handlers handlers, std::string& error);
  ~HostControl();

 private:
  void on_readable();
  void on_frame(const wire::Frame& f);
  void on_sysrq(std::string_view json);

  EventLoop* loop_ = nullptr;
  UniqueFd fd_;
  Handlers handlers_;
  std::unique_ptr<wire::FrameDecoder> decoder_;
  uint64_t corrupt_seen_ = 0;
  unsigned sysrq_requests_ = 0;
};

// The SysRq keys init presses for the host (SYRQ), and nothing else: D, sched_ext's dump of every
// scheduler (through the sched_ext_dump tracepoint, which trace.cpp forwards to COM1), and w, the
// kernel's blocked (D state) tasks. A host is trusted less than the guest's own set-up: other keys
// reboot, crash or kill, so they are never pressed from here.
inline constexpr std::string_view kHostSysrqKeys = "Dw";

// Splits SYRQ's {"keys":"..."} into the allowed keys (in order, each once) and the refused ones.
// False if the value has no plain "keys" string (escapes count as refused characters).
bool sysrq_keys(std::string_view json, std::string& allowed, std::string& refused);

// Reads the unsigned integer member `key` of a flat JSON object ({"cols":80,"rows":24}).
// Returns false if it is absent, not a plain number, or above max.
bool json_uint_member(std::string_view json, std::string_view key, uint32_t max, uint32_t& out);

}  // namespace ktstr::init
