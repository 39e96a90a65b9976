#include "output_collector.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "guest_json.hpp"
#include "output_dir.hpp"

namespace ktstr::host {
namespace {

constexpr const char* kTreeTypes[] = {"FENT", "FDAT", "FSKP", "FEND"};

std::string sent_received(const std::string& what, uint64_t sent, uint64_t received) {
  return what + ": the guest sent " + std::to_string(sent) + ", the host received " + std::to_string(received);
}

}  // namespace

std::string lane_done_error(const nlohmann::json& done, const lane::LaneDecoder& lane) {
  const nlohmann::json* account = guest_json::field(done, "lane");
  if (!account) {
    if (lane.bytes_in() == 0) return "";
    return "data lane: " + std::to_string(lane.bytes_in()) + " bytes arrived on the lane, and DONE does not account "
           "for it";
  }
  if (!account->is_object()) return "data lane: DONE's lane is not an object";
  if (auto e = guest_json::string(*account, "error", 4096)) return "data lane: the guest stopped writing: " + *e;
  if (lane.damaged()) return "data lane: damaged: " + lane.damage();
  if (lane.truncated_bytes())
    return "data lane: truncated: " + std::to_string(lane.truncated_bytes()) + " bytes of an incomplete frame";
  auto frames = guest_json::uint(*account, "frames");
  if (!frames) return "data lane: DONE's lane.frames is not a count";
  if (*frames != lane.frames()) return sent_received("data lane: frames", *frames, lane.frames());
  const nlohmann::json* bytes = guest_json::object(*account, "bytes");
  if (!bytes || !bytes->is_object()) return "data lane: DONE's lane.bytes is not an object";
  for (const auto& [type, n] : bytes->items()) {
    auto want = guest_json::uint_value(n);
    if (!want) return "data lane: DONE's lane.bytes." + type + " is not a count";
    auto it = lane.value_bytes().find(type);
    uint64_t got = it == lane.value_bytes().end() ? 0 : it->second;
    if (*want != got) return sent_received("data lane: " + type + " bytes", *want, got);
  }
  for (const auto& [type, got] : lane.value_bytes())
    if (!bytes->contains(type)) return sent_received("data lane: " + type + " bytes", 0, got);
  return "";
}

std::string com2_tree_bytes_error(const nlohmann::json& done, const wire::DecodeStats& com2) {
  const nlohmann::json* bytes = guest_json::object(done, "bytes");
  if (!bytes || !bytes->is_object()) return "";  // the verdict's own DONE checks name this
  for (const char* type : kTreeTypes) {
    auto it = com2.value_bytes.find(type);
    uint64_t got = it == com2.value_bytes.end() ? 0 : it->second;
    auto want = guest_json::field(*bytes, type) ? guest_json::uint(*bytes, type) : std::optional<uint64_t>(0);
    if (!want) return std::string("output tree: DONE's bytes.") + type + " is not a count";
    if (*want != got) return sent_received(std::string("output tree: ") + type + " bytes over COM2", *want, got);
  }
  return "";
}

OutputCollector::OutputCollector()
    : lane_([this](const wire::Frame& f) {
        if (OutputTree::is_tree_frame(f.type)) on_tree_frame(f, Via::lane);
        else if (lane_foreign_.empty()) lane_foreign_ = std::string(f.type.view());
        if (f.type == wire::kFend) ack_due_ = true;
      }) {}

OutputCollector::~OutputCollector() = default;

void OutputCollector::take(const std::string& dir, uint64_t limit) {
  dir_ = dir;
  tree_ = std::make_unique<OutputTree>(open_output_dir(dir), limit);
}

void OutputCollector::on_lane(std::string_view bytes) {
  lane_.feed(bytes);
  if (lane_.damaged()) ack_due_ = true;  // nothing more will be read: let the guest go on
}

std::string OutputCollector::take_ack() {
  if (!ack_due_ || ack_sent_) return "";
  ack_sent_ = true;
  std::string v = "{\"frames\":" + std::to_string(lane_.frames());
  if (lane_.damaged()) v += ",\"error\":" + nlohmann::json(lane_.damage()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  v += "}";
  std::string frame;
  lane::append_frame(frame, wire::kLack, ack_seq_++, boottime_ns(), v);
  return frame;
}

void OutputCollector::on_com2_frame(const wire::Frame& f) { on_tree_frame(f, Via::com2); }

void OutputCollector::on_tree_frame(const wire::Frame& f, Via via) {
  if (!tree_) {
    ++stray_;
    return;
  }
  if (via_ == Via::none) via_ = via;
  if (via_ != via) tree_->fail("tree frames on both COM2 and the data lane");
  tree_->on_frame(f);
}

void OutputCollector::finish(bool done) {
  lane_.finish();
  if (!tree_) return;
  tree_->finish(done);
  // The cores: each read through the tree's own directory fd, never following a link.
  for (const std::string& path : tree_->core_files()) {
    CoreInfo info;
    UniqueFd cores(::openat(tree_->dir_fd(), "cores", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd fd(cores.valid() ? ::openat(cores.get(), path.substr(6).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1);
    if (fd.valid()) info = read_core_info(fd.get());
    else info.error = std::strerror(errno);
    cores_.emplace_back(path, info);
  }
}

std::string OutputCollector::error(const nlohmann::json& done, const wire::DecodeStats& com2) const {
  if (std::string e = lane_done_error(done, lane_); !e.empty()) return e;
  if (!lane_foreign_.empty())
    return "data lane: a " + OutputTree::printable(lane_foreign_) + " frame (only the output tree rides the lane)";
  if (std::string e = com2_tree_bytes_error(done, com2); !e.empty()) return e;
  if (stray_) return "output tree: " + std::to_string(stray_) + " tree frames arrived, but no tree was asked for";
  return tree_ ? tree_->error() : "";
}

nlohmann::json OutputCollector::report(const std::string& error) const {
  if (!tree_) return nullptr;
  nlohmann::json r = tree_->report();
  r["dir"] = dir_;
  r["via"] = via_ == Via::lane ? nlohmann::json("lane") : via_ == Via::com2 ? nlohmann::json("com2") : nlohmann::json(nullptr);
  r["complete"] = tree_->complete() && error.empty();
  r["error"] = error;
  // A run that ended before the guest finished (no DONE) is failed for its own reason; the tree
  // still says why it is not whole.
  if (error.empty() && !tree_->complete())
    r["error"] = tree_->started() ? "the run ended before the tree's end (no FEND)" : "the run ended before the tree was sent";
  r["cores"] = nlohmann::json::array();
  for (const auto& [path, info] : cores_) {
    nlohmann::json c = {{"path", OutputTree::printable(path)}};
    c["program"] = info.program.empty() ? nlohmann::json(nullptr) : nlohmann::json(OutputTree::printable(info.program));
    c["pid"] = info.pid >= 0 ? nlohmann::json(info.pid) : nlohmann::json(nullptr);
    c["signal"] = info.signal ? nlohmann::json(info.signal) : nlohmann::json(nullptr);
    c["signal_name"] = info.signal ? nlohmann::json(signal_name(info.signal)) : nlohmann::json(nullptr);
    if (!info.error.empty()) c["error"] = info.error;
    r["cores"].push_back(c);
  }
  return r;
}

std::string OutputCollector::summary_lines(const std::string& error) const {
  if (!tree_) return "";
  std::string s = "ktstr-vm: output: " + tree_->summary() + " -> " + dir_ +
                  (tree_->complete() && error.empty() ? "" : " (incomplete)") + "\n";
  for (const auto& [path, info] : cores_) {
    s += "ktstr-vm: core: " + OutputTree::printable(path);
    if (!info.program.empty() || info.signal)
      s += " (" + OutputTree::printable(info.program) + (info.signal ? ", " + signal_name(info.signal) : "") + ")";
    else if (!info.error.empty())
      s += " (" + info.error + ")";
    s += "\n";
  }
  return s;
}

}  // namespace ktstr::host
