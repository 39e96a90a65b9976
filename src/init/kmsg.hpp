// /dev/kmsg -> KMSG frames: every kernel log record of the boot, one frame each, so the host can
// judge kernel health (splats, sched_ext exits) from structured records instead of COM1 text.
// COM1 still carries the console copy; this adds the level, facility, sequence and timestamp.
//
// Reads from the oldest record still in the ring (a fresh open starts there; no seek to the end),
// so the boot's records before init started are sent too. The fd is non-blocking: each read()
// returns one record, EAGAIN means caught up.
#pragma once

#include <cstdint>
#include <string>

#include "com2.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "ktstr/sched_ext_exit.hpp"

#include <optional>

namespace ktstr::init {

// A warm boot (warm_start.hpp) sends its boot's records before it waits: they are the snapshot's,
// the same in every restore, so the host keeps them with the snapshot and each run's COM2 carries
// only its own (the boot's ~43 KB cost each run ~0.1 s of COM2 time and its drain at teardown).
// Sends every record there is now as KMSG frames and returns the seq the next one will have.
uint64_t send_boot_records(Com2& com2);
// From now on the forwarder skips records below `seq` (those send_boot_records sent).
void forward_from(uint64_t seq);

class KmsgForwarder {
 public:
  KmsgForwarder(EventLoop& loop, Com2& com2) : loop_(loop), com2_(com2) {}
  ~KmsgForwarder() { stop(); }
  KmsgForwarder(const KmsgForwarder&) = delete;
  KmsgForwarder& operator=(const KmsgForwarder&) = delete;

  // Opens /dev/kmsg and registers it with the loop; records are sent as the loop runs.
  // Best effort: returns false with the reason in `error` (nothing is registered then).
  [[nodiscard]] bool start(std::string& error);
  // Sends every record available now, until EAGAIN or deadline_ns (CLOCK_BOOTTIME), for teardown.
  // Stays registered: records logged later are still sent while the loop runs.
  // Returns true if it caught up (EAGAIN), false if the deadline came first (records pending).
  bool drain(uint64_t deadline_ns);
  // Unregisters from the loop and closes the fd. Idempotent.
  void stop();

  // Times the ring overwrote records before we read them (EPIPE); the lost count shows as a jump
  // in the records' seq.
  uint64_t overruns() const { return overruns_; }
  // The last "sched_ext: BPF scheduler ... disabled (REASON)" seen, with its message if any.
  const std::optional<SchedExitInfo>& last_sched_exit() const { return last_exit_; }

 private:
  enum class ReadResult { record, again, closed };
  // One read(): one record sent, or caught up (EAGAIN), or the fd closed after an error.
  ReadResult read_one();
  void on_readable();
  void track_sched_exit(const KmsgRecord& rec);

  EventLoop& loop_;
  Com2& com2_;
  UniqueFd fd_;
  uint64_t overruns_ = 0;
  uint64_t malformed_ = 0;
  std::optional<SchedExitInfo> last_exit_;
  bool awaiting_exit_message_ = false;
};

}  // namespace ktstr::init
