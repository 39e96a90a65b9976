#include "leftovers.hpp"

#include <signal.h>

#include <filesystem>
#include <sstream>

#include <spdlog/spdlog.h>

namespace ktstr::init {
namespace {

// User processes other than PID 1 (kernel threads excluded), as "pid (comm)".
std::vector<std::pair<pid_t, std::string>> user_processes() {
  std::vector<std::pair<pid_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || name == "1") continue;
    std::string stat;
    if (!read_file(("/proc/" + name + "/stat").c_str(), stat)) continue;
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos) continue;
    std::string comm = stat.substr(stat.find('(') + 1, rp - stat.find('(') - 1);
    // Fields after ") ": state ppid pgrp session tty_nr tpgid flags
    std::istringstream rest(stat.substr(rp + 2));
    std::string state;
    long ppid, pgrp, session, tty, tpgid;
    unsigned long flags = 0;
    rest >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags;
    constexpr unsigned long kPfKthread = 0x00200000;
    if (flags & kPfKthread) continue;
    out.emplace_back(pid_t(std::stol(name)), comm);
  }
  return out;
}

}  // namespace

void kill_leftovers(EventLoop& loop, Reaper& reaper, uint64_t wait_ms) {
  for (const auto& [pid, comm] : user_processes()) {
    spdlog::info("killing leftover process {} ({}) before reboot", pid, comm);
    ::kill(pid, SIGKILL);
  }
  if (!loop.run_until([&] { return !reaper.has_children(); }, after_ms(wait_ms)))
    spdlog::error("children still not reaped {} ms after SIGKILL", wait_ms);
}

}  // namespace ktstr::init
