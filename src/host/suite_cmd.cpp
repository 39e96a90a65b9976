#include "suite_cmd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "ktstr/exit_codes.hpp"
#include "report.hpp"
#include "vm_process.hpp"
#include "session_loop.hpp"
#include "status_error.hpp"
#include "suite_report.hpp"
#include "suite_select.hpp"
#include "vm_session.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A test's folder name: its name with '/' (a matrix variant's topology/profile) made '+', and
// anything unprintable '_'.
std::string folder_name(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '/' ? '+' : (c > ' ' && c < 127 ? c : '_');
  return out;
}

class SuiteRunner {
 public:
  // The report files are open already: a path that cannot be written is refused before any VM.
  SuiteRunner(const SuiteOptions& o, SuiteManifest m, std::vector<std::size_t> selected, ProcessSignals& signals,
              OutputFile junit, OutputFile json)
      : o_(o), m_(std::move(m)), signals_(signals), junit_(std::move(junit)), json_(std::move(json)),
        tty_(isatty(STDOUT_FILENO)) {
    for (std::size_t i : selected) {
      outcomes_.push_back(SuiteOutcome{.test = &m_.tests[i], .attempts = {}, .artifacts = {}});
      queue_.push_back({outcomes_.size() - 1, 1});
    }
    jobs_ = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  }

  int run();

 private:
  struct Pending {
    std::size_t outcome;
    unsigned attempt;
  };
  // One attempt in flight: its options outlive its session, which keeps a reference to them.
  struct Running {
    Pending what;
    std::string dir;
    std::unique_ptr<RunOptions> opts;
    UniqueFd out, err;
    std::unique_ptr<VmSession> session;
    Clock::time_point t0 = Clock::now();
  };

  void start(const Pending& p);
  void record(Running& r, int exit_code, const std::string& setup_error);
  void finished(std::size_t outcome);
  void on_signal(int signo);
  void show_status(bool force);
  void print_line(const std::string& line);
  int conclude();

  const SuiteOptions& o_;
  SuiteManifest m_;
  ProcessSignals& signals_;
  OutputFile junit_, json_;
  std::vector<SuiteOutcome> outcomes_;
  std::deque<Pending> queue_;
  std::vector<std::unique_ptr<Running>> running_;
  unsigned jobs_ = 1, done_ = 0, failures_ = 0;
  bool stopping_ = false;
  int signal_ = 0;  // the first signal that stopped the suite; 0 = none
  const bool tty_;
  Clock::time_point t0_ = Clock::now(), last_status_{};
};

void SuiteRunner::start(const Pending& p) {
  const SuiteTest& t = *outcomes_[p.outcome].test;
  auto r = std::make_unique<Running>();
  r->what = p;
  fs::path dir = fs::path(o_.artifacts) / folder_name(t.name) / ("attempt-" + std::to_string(p.attempt));
  std::error_code ec;
  if (p.attempt == 1) fs::remove_all(dir.parent_path(), ec);  // a previous suite run's files
  fs::create_directories(dir, ec);
  r->dir = dir.string();
  r->opts = std::make_unique<RunOptions>(t.run);
  RunOptions& o = *r->opts;
  o.com2_log = (dir / "com2.bin").string();
  o.console_log = (dir / "console.log").string();
  o.sched_log = (dir / "sched.log").string();
  o.json_report = (dir / "report.json").string();
  o.junit_report.clear();
  o.guest_keys.push_back("KTSTR_ATTEMPT=" + std::to_string(p.attempt));
  if (o_.boot_timeout_s) o.boot_timeout_s = o_.boot_timeout_s;  // the host's speed, not the test's
  r->out = UniqueFd(::open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  r->err = UniqueFd(::open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  try {
    if (!r->out.valid() || !r->err.valid()) throw std::runtime_error("cannot write artifacts in " + r->dir);
    r->session = std::make_unique<VmSession>(o, VmMode::run, SessionIo{-1, r->out.get(), r->err.get()});
    r->session->prepare();
    r->session->launch(signals_.child_mask());
  } catch (const std::exception& e) {
    r->session.reset();  // its owner kills QEMU if it had started
    std::string msg = std::string("ktstr-vm: error: ") + e.what() + "\n";
    if (r->err.valid()) (void)::write(r->err.get(), msg.data(), msg.size());
    // As `run`: a program that is not there or not executable is 127/126 before boot, else 125.
    auto* status = dynamic_cast<const StatusError*>(&e);
    record(*r, status ? status->status : exit_code::kInfrastructure, e.what());
    return;
  }
  running_.push_back(std::move(r));
}

// One attempt ended: its status, reason and output tails (from its own JSON report), then a
// retry or the test's outcome.
void SuiteRunner::record(Running& r, int status, const std::string& setup_error) {
  SuiteOutcome& out = outcomes_[r.what.outcome];
  SuiteAttempt a;
  a.exit_code = status;
  a.wall_s = since(r.t0);
  a.reason = setup_error;
  if (std::ifstream f(r.opts->json_report); f) {
    a.report = nlohmann::json::parse(f, nullptr, false);
    if (a.report.is_discarded() || !a.report.is_object()) a.report = nlohmann::json::object();
  }
  if (auto it = a.report.find("reason"); a.reason.empty() && it != a.report.end() && it->is_string())
    a.reason = it->get<std::string>();
  out.attempts.push_back(std::move(a));
  bool passed = status == out.test->expect_exit;
  if (!passed && r.what.attempt <= o_.retries && !stopping_) {
    queue_.push_front({r.what.outcome, r.what.attempt + 1});
    return;
  }
  finished(r.what.outcome);
}

void SuiteRunner::finished(std::size_t i) {
  SuiteOutcome& out = outcomes_[i];
  ++done_;
  fs::path dir = fs::path(o_.artifacts) / folder_name(out.test->name);
  if (out.status() == SuiteOutcome::Status::passed && !o_.keep_all) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else {
    out.artifacts = dir.string();
  }
  if (out.status() == SuiteOutcome::Status::failed) {
    ++failures_;
    if (o_.fail_fast) stopping_ = true;
  }
  print_line(progress_line(out));
}

void SuiteRunner::on_signal(int signo) {
  if (signo == SIGWINCH) return;
  stopping_ = true;
  if (!signal_) signal_ = signo;
  for (auto& r : running_) r->session->on_signal(signo);  // the first asks each guest to STOP
}

void SuiteRunner::print_line(const std::string& line) {
  std::string s = (tty_ ? "\r\033[K" : "") + line + "\n";
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
  show_status(true);
}

// On a terminal, one live line: done/total, what runs, failures so far, elapsed.
void SuiteRunner::show_status(bool force) {
  if (!tty_ || (!force && since(last_status_) < 0.5)) return;
  last_status_ = Clock::now();
  std::string names;
  for (const auto& r : running_) names += (names.empty() ? "" : ", ") + outcomes_[r->what.outcome].test->name;
  char head[160];
  std::snprintf(head, sizeof head, "[%u/%zu] %u failed, %.0fs, running: ", done_, outcomes_.size(), failures_,
                since(t0_));
  std::string s = "\r\033[K" + std::string(head) + (names.empty() ? "-" : names);
  if (s.size() > 160) s = s.substr(0, 157) + "...";
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

int SuiteRunner::run() {
  while (!running_.empty() || (!queue_.empty() && !stopping_)) {
    while (!stopping_ && running_.size() < jobs_ && !queue_.empty()) {
      Pending p = queue_.front();
      queue_.pop_front();
      start(p);
    }
    std::vector<VmSession*> sessions;
    for (auto& r : running_) sessions.push_back(r->session.get());
    if (!sessions.empty()) poll_round(sessions, signals_, [this](int signo) { on_signal(signo); });
    for (std::size_t k = 0; k < running_.size();) {
      Running& r = *running_[k];
      if (!r.session->finished()) {
        ++k;
        continue;
      }
      int status = r.session->finish();
      r.session.reset();
      record(r, status, "");
      running_.erase(running_.begin() + std::ptrdiff_t(k));
    }
    show_status(false);
  }
  return conclude();
}

int SuiteRunner::conclude() {
  if (tty_) std::fputs("\r\033[K", stdout);
  SuiteTotals t = totals(outcomes_, since(t0_));
  bool interrupted = signal_ != 0;
  std::string summary = summary_text(outcomes_, t, interrupted);
  std::fwrite(summary.data(), 1, summary.size(), stdout);
  std::fflush(stdout);
  int rc = interrupted ? exit_code::for_signal(signal_) : (t.failed || t.not_run) ? 1 : 0;
  if (junit_.is_open()) junit_.write(suite_junit_text(m_, outcomes_, t));
  if (json_.is_open()) json_.write(json_report_text(suite_json(m_, outcomes_, t, interrupted)));
  for (const OutputFile* f : {&junit_, &json_}) {
    if (f->error().empty()) continue;
    std::cerr << "ktstr-vm suite: " << f->error() << "\n";
    if (rc == 0) rc = 1;
  }
  return rc;
}

}  // namespace

int suite_command(const SuiteOptions& o) {
  std::vector<std::size_t> selected;
  SuiteManifest m;
  OutputFile junit, json;
  try {
    m = load_manifest(o.manifest);
    selected = select_tests(m.tests, o.filters, o.shard.empty() ? Shard{} : parse_shard(o.shard));
    if (o.list) {
      for (std::size_t i : selected) std::cout << m.tests[i].name << "\n";
      return exit_code::kOk;
    }
    junit = OutputFile("--junit", o.junit);
    json = OutputFile("--json", o.json);
  } catch (const std::exception& e) {
    std::cerr << "ktstr-vm suite: " << e.what() << "\n";
    return exit_code::kUsage;
  }
  if (selected.empty()) std::cerr << "ktstr-vm suite: no test matches the filters and shard\n";
  ProcessSignals signals;
  SuiteRunner runner(o, std::move(m), std::move(selected), signals, std::move(junit), std::move(json));
  return runner.run();
}

}  // namespace ktstr::host
