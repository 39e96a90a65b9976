#include "suite_cmd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "ktstr/exit_codes.hpp"
#include "report.hpp"
#include "output_file.hpp"
#include "session_loop.hpp"
#include "output_paths.hpp"
#include "exit_status.hpp"
#include "suite_artifacts.hpp"
#include "suite_report.hpp"
#include "suite_select.hpp"
#include "vm_session.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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
  // One attempt in flight.
  struct Running {
    Pending what;
    std::string dir;
    UniqueFd out, err;
    std::unique_ptr<VmSession> session;
    Clock::time_point t0 = Clock::now();
  };

  void start(const Pending& p);
  void record(Running& r, const SessionResult& result);
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
  fs::path dir = fs::path(o_.artifacts) / artifact_folder_name(t.name) / ("attempt-" + std::to_string(p.attempt));
  r->dir = dir.string();
  RunOptions o = t.run;
  o.com2_log = (dir / "com2.bin").string();
  o.console_log = (dir / "console.log").string();
  o.sched_log = (dir / "sched.log").string();
  o.json_report = (dir / "report.json").string();
  o.output_dir = (dir / "output").string();  // every attempt's output tree (docs/output.md)
  o.junit_report.clear();
  o.attempt = p.attempt;
  if (o_.boot_timeout_s) o.boot_timeout_s = o_.boot_timeout_s;  // the host's speed, not the test's
  if (o_.cold) o.cold = true;
  try {
    // A previous suite run's folder is replaced, only if it carries our marker (checked for every
    // test before the first VM; this catches one that appeared since).
    if (p.attempt == 1) make_artifact_folder(dir.parent_path().string());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create " + r->dir + ": " + ec.message());
    r->out = UniqueFd(::open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    r->err = UniqueFd(::open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!r->out.valid() || !r->err.valid())
      throw std::runtime_error("cannot write artifacts in " + r->dir + ": " + std::strerror(errno));
    r->session = std::make_unique<VmSession>(std::move(o), VmMode::run, SessionIo{-1, r->out.get(), r->err.get()});
    r->session->prepare();
    r->session->launch(signals_.child_mask());
  } catch (const std::exception& e) {
    r->session.reset();  // its owner kills QEMU if it had started
    std::string msg = std::string("ktstr-vm: error: ") + e.what() + "\n";
    if (r->err.valid()) (void)::write(r->err.get(), msg.data(), msg.size());
    // As `run`: a program that is not there or not executable is 127/126 before boot, else 125.
    record(*r, {{status_of(e), e.what()}, nullptr});
    return;
  }
  running_.push_back(std::move(r));
}

// One attempt ended: its verdict and report (suite_attempt), then a retry or the test's outcome.
void SuiteRunner::record(Running& r, const SessionResult& result) {
  SuiteOutcome& out = outcomes_[r.what.outcome];
  out.attempts.push_back(suite_attempt(result, since(r.t0)));
  bool passed = result.verdict.exit_code == out.test->expect_exit;
  if (!passed && r.what.attempt <= o_.retries && !stopping_) {
    queue_.push_front({r.what.outcome, r.what.attempt + 1});
    return;
  }
  finished(r.what.outcome);
}

void SuiteRunner::finished(std::size_t i) {
  SuiteOutcome& out = outcomes_[i];
  ++done_;
  fs::path dir = fs::path(o_.artifacts) / artifact_folder_name(out.test->name);
  // Only our own, marked folder is removed; the summary names a folder only if there is one.
  bool removed = out.status() == SuiteOutcome::Status::passed && !o_.keep_all && remove_artifact_folder(dir.string());
  std::error_code ec;
  if (!removed && fs::exists(dir, ec)) out.artifacts = dir.string();
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
      SessionResult result = r.session->finish();
      r.session.reset();
      record(r, result);
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
    // Everything that can refuse the suite does so before the first VM boots.
    if (std::string e = same_file_error({{"--junit", o.junit}, {"--json", o.json}}); !e.empty())
      throw std::runtime_error(e);
    std::vector<std::string> folders;
    for (std::size_t i : selected) folders.push_back(artifact_folder_name(m.tests[i].name));
    if (!selected.empty())
      if (std::string e = prepare_artifacts_dir(o.artifacts, folders); !e.empty()) throw std::runtime_error(e);
    junit = OutputFile("--junit", o.junit);
    json = OutputFile("--json", o.json);
  } catch (const std::exception& e) {
    std::cerr << "ktstr-vm suite: " << e.what() << "\n";
    return exit_code::kUsage;
  }
  // Only a shard can be empty here (filters that match nothing were refused): a fair 0.
  if (selected.empty())
    std::cerr << "ktstr-vm suite: shard " << o.shard << " has no test (fewer selected tests than shards); "
              << "nothing to run\n";
  ProcessSignals signals;
  SuiteRunner runner(o, std::move(m), std::move(selected), signals, std::move(junit), std::move(json));
  return runner.run();
}

}  // namespace ktstr::host
