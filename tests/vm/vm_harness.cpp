#include "vm_harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;
namespace fs = std::filesystem;

namespace ktstr::vmtest {
std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string make_temp_dir(const std::string& prefix) {
  std::string t = (fs::temp_directory_path() / (prefix + ".XXXXXX")).string();
  if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
  return t;
}

pid_t spawn_vm_with_stdout_pipe(const std::vector<std::string>& args, int& out_fd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");  // the child keeps no read end
  std::vector<std::string> argv = {KTSTR_VM_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);  // as from a shell, whatever this test process does with it
    dup2(p[1], 1);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);  // not the test runner's stdin: a pipe there would be forwarded to the payload
    dup2(null, 2);
    execv(a[0], a.data());
    _exit(127);
  }
  close(p[1]);
  out_fd = p[0];
  return pid;
}

std::vector<const FrameRec*> VmResult::of(const std::string& type) const {
  std::vector<const FrameRec*> v;
  for (const auto& f : frames)
    if (f.type == type) v.push_back(&f);
  return v;
}

const FrameRec* VmResult::event(const std::string& type, const std::string& name) const {
  for (const auto& f : frames)
    if (f.type == type && f.json.is_object() &&
        (f.json.value("event", "") == name || f.json.value("phase", "") == name))
      return &f;
  return nullptr;
}

std::string VmResult::stream(const std::string& type) const {
  std::string s;
  for (const auto& f : frames)
    if (f.type == type) s += f.bytes;
  return s;
}

std::string VmResult::describe() const {
  std::string s = "exit " + std::to_string(exit_code) + "; " + stats.summary() + "\n--- control frames:\n";
  for (const auto& f : frames)
    if (!f.json.is_null() && f.type != "BEAT") s += f.type + " " + f.json.dump() + "\n";
  s += "--- ILOG:\n" + stream("ILOG") + "--- stderr (last 2000):\n" +
       (err.size() > 2000 ? err.substr(err.size() - 2000) : err) + "\n--- console (last 3000):\n" +
       (console.size() > 3000 ? console.substr(console.size() - 3000) : console);
  return s;
}

bool wait_until(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

int run_captured(const std::vector<std::string>& argv, const std::string& dir, const std::string& stdin_path) {
  std::vector<std::string> copy = argv;
  std::vector<char*> a;
  for (auto& s : copy) a.push_back(s.data());
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, (dir + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + strerror(rc));
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

VmResult run_vm(const std::vector<std::string>& args) {
  std::string dir = make_temp_dir("ktstr-vmtest");
  std::vector<std::string> argv = {KTSTR_VM_BIN, "run", "--com2-log", dir + "/com2.bin", "--console-log",
                                   dir + "/console.log", "--json", dir + "/report.json"};
  argv.insert(argv.end(), args.begin(), args.end());
  VmResult r;
  r.exit_code = run_captured(argv, dir);
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  r.console = slurp(dir + "/console.log");
  std::string report = slurp(dir + "/report.json");
  r.report = nlohmann::json::parse(report, nullptr, false);
  std::string cap = slurp(dir + "/com2.bin");
  wire::FrameDecoder dec([&](const wire::Frame& f) {
    FrameRec rec{std::string(f.type.view()), f.seq, f.t_ns,
                 std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size()), nullptr};
    if (!wire::is_raw(f.type)) rec.json = nlohmann::json::parse(rec.bytes, nullptr, false);
    r.frames.push_back(std::move(rec));
  });
  dec.feed(std::span(reinterpret_cast<const uint8_t*>(cap.data()), cap.size()));
  dec.finish();
  r.stats = dec.stats();
  fs::remove_all(dir);
  return r;
}

std::string temp_file(const std::string& name, const std::string& content, unsigned mode) {
  static std::string dir = make_temp_dir("ktstr-vmtest");
  std::string p = dir + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  chmod(p.c_str(), mode);
  return p;
}

}  // namespace ktstr::vmtest
