#include "payload.hpp"

#include <signal.h>

#include <algorithm>

#include <sstream>

#include <spdlog/spdlog.h>

#include "ktstr/json_str.hpp"
#include "ktstr/initramfs.hpp"
#include "log.hpp"
#include "spawn.hpp"
#include "stop_process.hpp"

namespace ktstr::init {

bool Payload::read_argv(std::vector<std::string>& argv, std::string& error) {
  std::string text;
  if (!read_file(initramfs::kArgs, text)) {
    error = errno_message(std::string("read ") + initramfs::kArgs, errno);
    return false;
  }
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) argv.push_back(initramfs::unescape_arg(l));
  // A trailing empty line is the file's final newline, not an empty argument.
  while (!argv.empty() && argv.back().empty()) argv.pop_back();
  if (argv.empty() || argv[0].empty()) {
    error = std::string(initramfs::kArgs) + " is empty: no program to run";
    return false;
  }
  return true;
}

bool Payload::spawn(const std::vector<std::string>& argv, int stdin_fd) {
  UniqueFd out_r, out_w, err_r, err_w;
  if (!make_pipe(out_r, out_w) || !make_pipe(err_r, err_w)) {
    spdlog::error("{}", errno_message("pipe for payload output", errno));
    return false;
  }
  SpawnSpec spec{argv, true, out_w.get(), err_w.get(), &reaper_.child_mask()};
  spec.stdin_fd = stdin_fd;
  start_ns_ = boottime_ns();
  SpawnResult r = init::spawn(spec);
  out_w.reset();
  err_w.reset();
  out_ = std::make_unique<Pump>(loop_, com2_, wire::kSout, std::move(out_r));
  err_ = std::make_unique<Pump>(loop_, com2_, wire::kSerr, std::move(err_r));
  if (r.pid < 0) {
    spdlog::error("payload: {}", r.error);
    return false;
  }
  pid_ = r.pid;
  exec_errno_ = r.exec_errno;
  if (exec_errno_) spdlog::error("payload: {}", r.error);
  reaper_.watch(pid_, "payload", [this](pid_t, const ExitStatus& s) { handle_exit(s); });
  return true;
}

int Payload::exit_code() const { return status_.exit_code(); }

void Payload::handle_exit(const ExitStatus& s) {
  exited_ = true;
  exit_ns_ = boottime_ns();
  status_ = s;
}

void Payload::terminate(uint32_t grace_ms) {
  if (pid_ <= 0 || exited_) return;
  stop_process(loop_, -pid_, SIGTERM, grace_ms, [&] { return exited_; }, "payload");
}

void Payload::drain(uint32_t idle_ms, uint64_t deadline_ns) {
  if (!out_) return;
  // Common case: both pipes hit EOF right after the exit.
  uint64_t idle_deadline = std::min<uint64_t>(deadline_ns, boottime_ns() + uint64_t(idle_ms) * 1000000ull);
  loop_.run_until([&] { return output_drained(); }, idle_deadline);
  if (!output_drained() && pid_ > 0) {
    // Background children of the payload still hold the pipes: end them, then read to EOF.
    spdlog::info("payload left processes holding its output open: killing its process group");
    kill(-pid_, SIGKILL);
    loop_.run_until([&] { return output_drained(); }, deadline_ns);
  }
  out_->read_available();
  err_->read_available();
  if (!output_drained()) spdlog::warn("payload output not at EOF by the deadline: closing it");
  out_->close();
  err_->close();
}

}  // namespace ktstr::init
