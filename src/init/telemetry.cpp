#include "telemetry.hpp"

#include <fcntl.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cctype>
#include <map>

#include <spdlog/spdlog.h>

#include "bpf_btf.hpp"
#include "ktstr/json_str.hpp"

namespace ktstr::init {
namespace {

constexpr const char* kStatsSysctl = "/proc/sys/kernel/bpf_stats_enabled";
constexpr const char* kScxEvents = "/sys/kernel/sched_ext/root/events";
constexpr const char* kScxDir = "/sys/kernel/sched_ext/";
// A PROG frame must stay well inside kMaxValue: ~200 bytes per program.
constexpr size_t kMaxPrograms = 200;

bool write_text(const char* path, const std::string& text, int& err) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  if (!fd.valid() || !write_all(fd.get(), text.data(), text.size())) {
    err = errno;
    return false;
  }
  return true;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "NAME" and "value" of one line, or false.
bool split_counter(const std::string& line, std::string& name, std::string& value) {
  size_t sp = line.find_first_of(" \t");
  if (sp == std::string::npos || sp == 0) return false;
  name = line.substr(0, sp);
  size_t v = line.find_first_not_of(" \t", sp);
  if (v == std::string::npos) return false;
  value = trim_trailing_space(line.substr(v));
  if (!all_digits(value)) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::string events_json_members(const std::string& text) {
  std::string out, name, value;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    if (!split_counter(line, name, value)) continue;
    if (!out.empty()) out += ',';
    out += json_str(name) + ":" + value;
  }
  return out;
}

void Telemetry::start() {
  if (started_) return;
  started_ = true;
  std::string old;
  int err = 0;
  if (!read_file(kStatsSysctl, old)) {
    stats_note_ = errno_message(std::string("not available: ") + kStatsSysctl, errno);
  } else if (trim_trailing_space(old) != "1" && !write_text(kStatsSysctl, "1\n", err)) {
    stats_note_ = errno_message(std::string("not available: writing 1 to ") + kStatsSysctl, err);
  } else {
    saved_stats_ = trim_trailing_space(old) + "\n";
  }
  if (!stats_note_.empty()) spdlog::warn("telemetry: BPF run stats {}", stats_note_);
}

void Telemetry::restore_stats() {
  if (saved_stats_.empty()) return;
  int err = 0;
  if (saved_stats_ != "1\n" && !write_text(kStatsSysctl, saved_stats_, err))
    spdlog::warn("telemetry: {}", errno_message(std::string("restoring ") + kStatsSysctl, err));
  saved_stats_.clear();
}

void Telemetry::attached(pid_t sched_pid, uint32_t period_ms) {
  // The scheduler's programs: every struct_ops program (in this VM, only the scheduler loads
  // them) and every program it holds an fd of (helpers it loaded beside its callbacks).
  std::vector<uint32_t> held = bpf::prog_ids_held_by(sched_pid);
  uint32_t id = bpf::next_prog_id(0);
  for (; id && progs_.size() < kMaxPrograms; id = bpf::next_prog_id(id)) {
    Prog p;
    p.fd = bpf::prog_fd_by_id(id);
    if (!p.fd.valid() || !bpf::prog_info(p.fd.get(), p.info, true)) continue;  // unloaded meanwhile
    p.held = std::binary_search(held.begin(), held.end(), id);
    if (p.info.type == BPF_PROG_TYPE_STRUCT_OPS || p.held) progs_.push_back(std::move(p));
  }
  if (!id && errno != ENOENT) spdlog::warn("telemetry: {}", errno_message("BPF_PROG_GET_NEXT_ID", errno));
  name_programs();
  send_programs();
  sampling_ = true;
  sample("attach");
  if (!period_ms) return;
  if (std::string err; timer_.create(loop_, [this] { sample("periodic"); }, err))
    timer_.arm_in_ms(period_ms, period_ms);
  else
    spdlog::warn("telemetry: no periodic samples, only the first and the last: {}", err);
}

// The kernel keeps 15 characters of a name; the BTF of the program's object has the whole
// function name (simple_select_cpu, not simple_select_c). One BTF read per object.
void Telemetry::name_programs() {
  std::map<uint32_t, std::string> btfs;
  for (auto& p : progs_) {
    if (!p.info.btf_id || !p.info.func_type_id) continue;
    auto it = btfs.find(p.info.btf_id);
    if (it == btfs.end()) {
      std::string data;
      if (!bpf::read_btf(p.info.btf_id, data)) {
        spdlog::debug("telemetry: {}", errno_message("BTF " + std::to_string(p.info.btf_id), errno));
        data.clear();
      }
      it = btfs.emplace(p.info.btf_id, std::move(data)).first;
    }
    std::string full = bpf::btf_type_name(it->second, p.info.func_type_id);
    // Only a longer form of the kernel's name: anything else means the BTF was misread.
    if (full.size() > p.info.name.size() && full.starts_with(p.info.name)) p.info.name = full;
  }
}

void Telemetry::send_programs() {
  std::string v = "{\"programs\":[";
  for (size_t i = 0; i < progs_.size(); ++i) {
    const auto& p = progs_[i].info;
    if (i) v += ',';
    v += "{\"id\":" + std::to_string(p.id) + ",\"name\":" + json_str(p.name) + ",\"type\":" +
         json_str(bpf::prog_type_name(p.type)) + ",\"verified_insns\":" + std::to_string(p.verified_insns) +
         ",\"jited_len\":" + std::to_string(p.jited_len) + ",\"xlated_len\":" + std::to_string(p.xlated_len) +
         ",\"held_by_scheduler\":" + (progs_[i].held ? "true" : "false") + "}";
  }
  v += "],\"run_stats\":" + (stats_note_.empty() ? std::string("\"on\"") : json_str(stats_note_));
  if (progs_.size() >= kMaxPrograms) v += ",\"truncated\":true";
  v += "}";
  com2_.send(wire::kProg, v);
}

void Telemetry::sample(const char* why) {
  std::string v = "{\"sample\":" + std::to_string(samples_++) + ",\"why\":\"" + why + "\",\"events\":";
  std::string text;
  if (read_file(kScxEvents, text)) {
    v += "{" + events_json_members(text) + "}";
  } else {
    v += "null,\"events_note\":" + json_str(errno_message(std::string("not available: ") + kScxEvents, errno));
  }
  v += ",\"sched_ext\":{";
  bool first = true;
  for (const char* name : {"nr_rejected", "hotplug_seq", "enable_seq"}) {
    std::string val;
    if (!read_file((std::string(kScxDir) + name).c_str(), val) || !all_digits(trim_trailing_space(val))) continue;
    v += std::string(first ? "" : ",") + "\"" + name + "\":" + trim_trailing_space(val);
    first = false;
  }
  v += "},\"progs\":[";
  first = true;
  for (const auto& p : progs_) {
    bpf::ProgInfo now;
    if (!bpf::prog_info(p.fd.get(), now)) continue;
    v += std::string(first ? "" : ",") + "[" + std::to_string(now.id) + "," + std::to_string(now.run_cnt) + "," +
         std::to_string(now.run_time_ns) + "]";
    first = false;
  }
  v += "]}";
  com2_.send(wire::kStat, v);
}

void Telemetry::finish() {
  if (sampling_) {
    timer_.disarm();
    sample("final");
    sampling_ = false;
    progs_.clear();
  }
  restore_stats();
}

}  // namespace ktstr::init
