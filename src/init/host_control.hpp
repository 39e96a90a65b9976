// Host -> guest frames on COM2 (docs/protocol.md): RSIZ {"cols","rows"}, STOP {} and STDI (the
// host's stdin, raw bytes).
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

  EventLoop* loop_ = nullptr;
  UniqueFd fd_;
  Handlers handlers_;
  std::unique_ptr<wire::FrameDecoder> decoder_;
  uint64_t corrupt_seen_ = 0;
};

// Reads the unsigned integer member `key` of a flat JSON object ({"cols":80,"rows":24}).
// Returns false if it is absent, not a plain number, or above max.
bool json_uint_member(std::string_view json, std::string_view key, uint32_t max, uint32_t& out);

}  // namespace ktstr::init
