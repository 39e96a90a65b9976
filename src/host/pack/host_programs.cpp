#include "host_programs.hpp"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "host_query.hpp"
#include "ktstr/exit_codes.hpp"
#include "ktstr/initramfs.hpp"
#include "status_error.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {

void HostPrograms::add(std::string spec, std::string what, bool option, bool link) {
  queue_.push_back({std::move(spec), std::move(what), option, link});
}

bool HostPrograms::guest_has(const std::string& path) const {
  std::string r = rel(fs::path(path).lexically_normal().string());
  return l_.count(r) > 0 || closure_.files().count("/" + r) > 0;
}

// Whether the guest will find a bare name on its PATH.
bool HostPrograms::guest_finds(const std::string& name) const {
  bool found = applets_.count(name) > 0;
  for (const IncludedFile& f : included_) found |= fs::path(f.guest).filename() == name && (f.mode & 0100);
  for (const Program& h : queue_) found |= h.link && fs::path(h.spec).filename() == name;
  return found;
}

void HostPrograms::need_interpreter(const std::string& host, const std::string& what) {
  std::optional<Shebang> sb = read_shebang(host);
  if (!sb || sb->interp.empty() || sb->interp[0] != '/') return;  // not a script, or the guest's cwd decides
  std::string line = "#!" + sb->interp + (sb->arg.empty() ? "" : " " + sb->arg);
  auto need_path = [&](const std::string& p) {
    if (guest_has(p)) return;
    if (!fs::is_regular_file(p))
      throw StatusError(exit_code::kNotFound, what + ": its interpreter " + p + " (" + line +
                                                  ") is not in the guest and not on this host");
    add(p, what + ": its interpreter (" + line + ")", false, false);
  };
  need_path(sb->interp);
  if (fs::path(sb->interp).filename() != "env") return;
  // env's options (-S, -i, -u NAME is not handled) and NAME=VALUE words come before the program.
  std::istringstream words(sb->arg);
  std::string cmd;
  for (std::string w; words >> w;)
    if (w[0] != '-' && w.find('=') == std::string::npos) {
      cmd = w;
      break;
    }
  if (cmd.empty()) return;
  if (cmd.find('/') != std::string::npos) {
    if (cmd[0] == '/') need_path(cmd);
    return;
  }
  if (guest_finds(cmd)) return;
  if (find_on_host_path(cmd).empty())
    throw StatusError(exit_code::kNotFound, what + ": " + cmd + " (" + line +
                                                ") is not in the guest and not on the host PATH");
  add(cmd, what + ": " + cmd + " (" + line + ")", false, true);
}

// The /usr/local/bin/NAME link that puts a host program first on the guest's system PATH,
// whatever directory it came from. One program per NAME.
void HostPrograms::link_tool(const Program& h, const std::string& abs) {
  std::string name = fs::path(abs).filename().string();
  std::string link = std::string(initramfs::kToolDir) + "/" + name;
  auto [it, fresh] = tool_names_.try_emplace(name, abs);
  if (!fresh && it->second != abs)
    throw std::runtime_error(h.what + " (" + abs + ") and " + it->second + " would both be " + link);
  if (fresh && abs != link) add_symlink(l_, link, abs);
}

std::vector<std::string> HostPrograms::pack_all() {
  std::vector<std::string> notes;
  for (size_t i = 0; i < queue_.size(); ++i) {
    const Program h = queue_[i];  // a copy: need_interpreter grows the queue
    std::string host = h.spec.find('/') != std::string::npos ? h.spec : find_on_host_path(h.spec);
    if (host.empty())
      throw StatusError(h.option ? exit_code::kUsage : exit_code::kNotFound, h.what + ": not found on the host PATH");
    if (!fs::is_regular_file(host) || ::access(host.c_str(), X_OK) != 0)
      throw StatusError(h.option ? exit_code::kUsage : fs::exists(host) ? exit_code::kNotExecutable : exit_code::kNotFound,
                        h.what + ": " + host + " is not an executable file");
    std::string abs = fs::absolute(host).lexically_normal().string();
    if (h.link) link_tool(h, abs);
    if (!packed_.insert(abs).second) continue;
    size_t before = closure_.libraries();
    std::string file = closure_.place(abs, abs);
    closure_.add_program(file, file, h.what);
    bool auto_tool = !h.option && h.link && h.what == "program " + h.spec;
    notes.push_back((auto_tool ? h.spec + " is not in the guest: packing the host's " : h.what + ": ") + abs +
                    " and the " + std::to_string(closure_.libraries() - before) + " libraries it needs");
    need_interpreter(abs, h.what);
  }
  return notes;
}

}  // namespace ktstr::host
