// A session's output tree (docs/output.md): the data lane's stream (its decoder), the tree frames
// from the lane or, when the guest has no lane, from COM2, one receiver that writes them under
// --output DIR (OutputTree), and the checks at the end against DONE: the lane's totals
// ("data lane: ...") and the tree's own ("output tree: ..."). The session (vm_session.cpp) feeds
// it and hands its error to the verdict as a HostFact (docs/exit-codes.md, rule 1).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core_file.hpp"
#include "ktstr/frame_decoder.hpp"
#include "ktstr/lane.hpp"
#include "output_tree.hpp"

namespace ktstr::host {

// Why DONE's account of the lane ("lane": {"frames", "bytes": {TYPE: n}, "error"}) does not match
// what `lane` delivered, or "" if it does (also when neither side used the lane).
std::string lane_done_error(const nlohmann::json& done, const lane::LaneDecoder& lane);
// Why COM2's tree frames (the fallback) do not match DONE's "bytes" counts of FENT, FDAT, FSKP
// and FEND, or "".
std::string com2_tree_bytes_error(const nlohmann::json& done, const wire::DecodeStats& com2);

class OutputCollector {
 public:
  OutputCollector();
  ~OutputCollector();

  // Takes the tree into `dir` (made if absent; throws std::runtime_error if it cannot be opened
  // or is not empty), at most `limit` bytes of file data.
  void take(const std::string& dir, uint64_t limit);
  bool taken() const { return tree_ != nullptr; }

  // Bytes from the lane's socket.
  void on_lane(std::string_view bytes);
  // The LACK frame to write on the lane once (the tree's FEND arrived on it, or it is damaged),
  // then "" (docs/protocol.md, "The data lane"): the guest waits for it before DONE.
  std::string take_ack();
  // The host -> guest direction of the lane already carried `seq` frames (a warm start's ARCH
  // frames, warm_spec.hpp): the LACK continues after them, as the guest's decoder expects.
  void set_first_ack_seq(uint32_t seq) { ack_seq_ = seq; }
  // A tree frame (OutputTree::is_tree_frame) that came on COM2.
  void on_com2_frame(const wire::Frame& f);
  // Every channel is closed. `done`: DONE arrived, so the guest says it sent the whole tree.
  // Reads the cores' notes.
  void finish(bool done);

  // The first failed check, "data lane: ..." or "output tree: ...", or "".
  std::string error(const nlohmann::json& done, const wire::DecodeStats& com2) const;
  // The report's "output" object; null when no tree was taken.
  nlohmann::json report(const std::string& error) const;
  // The lines for stderr: "output: 3 files (50.0 MB), ... -> DIR" and one "core: ..." per core.
  std::string summary_lines(const std::string& error) const;

  const lane::LaneDecoder& lane() const { return lane_; }

 private:
  enum class Via { none, lane, com2 };
  void on_tree_frame(const wire::Frame& f, Via via);

  std::string dir_;
  std::unique_ptr<OutputTree> tree_;
  lane::LaneDecoder lane_;
  Via via_ = Via::none;
  bool ack_due_ = false, ack_sent_ = false;
  uint32_t ack_seq_ = 0;  // the host -> guest direction of the lane counts its own frames
  std::string lane_foreign_;  // the first frame type on the lane that is not the tree's
  uint64_t stray_ = 0;        // tree frames when no tree was taken
  std::vector<std::pair<std::string, CoreInfo>> cores_;
};

}  // namespace ktstr::host
