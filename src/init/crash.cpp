#include "crash.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <exception>

#include "fd.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::init::crash {
namespace {

std::atomic<int> g_com2_fd{-1};
std::atomic<int> g_com1_fd{-1};
std::atomic<uint32_t> g_seq{0};
std::atomic<const char*> g_phase{"start"};
std::atomic<bool> g_crashing{false};
alignas(16) char g_altstack[64 * 1024];

// Minimal async-signal-safe text building: no snprintf, no heap.
struct Text {
  char buf[256];
  size_t n = 0;
  void put(const char* s) {
    while (*s && n < sizeof buf - 1) buf[n++] = *s++;
  }
  void put_u64(uint64_t v, int base = 10) {
    char tmp[24];
    int i = 0;
    do {
      tmp[i++] = "0123456789abcdef"[v % unsigned(base)];
      v /= unsigned(base);
    } while (v && i < 24);
    if (base == 16) put("0x");
    while (i) {
      char c[2] = {tmp[--i], 0};
      put(c);
    }
  }
};

void raw_write(int fd, const void* p, size_t n) {
  if (fd < 0) return;
  const char* c = static_cast<const char*>(p);
  while (n) {
    ssize_t w = ::write(fd, c, n);
    if (w > 0) {
      c += w;
      n -= size_t(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      // COM2 is non-blocking while the event loop runs: wait for room (poll is signal-safe).
      pollfd pfd{fd, POLLOUT, 0};
      if (::poll(&pfd, 1, 1000) <= 0) return;
    } else {
      return;
    }
  }
}

[[noreturn]] void report_and_reboot(int sig, const void* addr) {
  // A second fault while reporting goes straight to reboot.
  if (!g_crashing.exchange(true)) {
    Text json;
    json.put("{\"signal\":");
    json.put_u64(uint64_t(sig));
    json.put(",\"addr\":\"");
    json.put_u64(reinterpret_cast<uintptr_t>(addr), 16);
    json.put("\",\"phase\":\"");
    json.put(g_phase.load());
    json.put("\"}");
    static uint8_t frame[wire::max_encoded_size(256)];
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    size_t n = wire::encode_frame(frame, sizeof frame, wire::kCrsh, g_seq.fetch_add(1),
                                  uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec),
                                  json.buf, json.n);
    // A leading delimiter: if the fault interrupted a frame, the host resynchronises here.
    const uint8_t zero = 0;
    int fd = g_com2_fd.load();
    raw_write(fd, &zero, 1);
    raw_write(fd, frame, n);
    if (fd >= 0) tcdrain(fd);
    Text line;
    line.put("ktstr-init: CRASH signal ");
    line.put_u64(uint64_t(sig));
    line.put(" in phase ");
    line.put(g_phase.load());
    line.put(", rebooting\n");
    int c1 = g_com1_fd.load();
    raw_write(c1 >= 0 ? c1 : 2, line.buf, line.n);
  }
  sync();
  reboot(RB_AUTOBOOT);
  for (;;) pause();  // reboot() cannot fail for PID 1 as root; never return into the fault
}

void on_fault(int sig, siginfo_t* info, void*) { report_and_reboot(sig, info ? info->si_addr : nullptr); }

void on_terminate() { report_and_reboot(SIGABRT, nullptr); }

}  // namespace

bool install(std::string& error) {
  std::set_terminate(on_terminate);
  stack_t ss{};
  ss.ss_sp = g_altstack;
  ss.ss_size = sizeof g_altstack;
  // Without the alternate stack a stack overflow could not be reported; the rest still can.
  if (sigaltstack(&ss, nullptr) != 0) error = errno_message("sigaltstack", errno);
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE})
    if (sigaction(sig, &sa, nullptr) != 0)
      error += (error.empty() ? "" : "; ") + errno_message("sigaction " + std::to_string(sig), errno);
  return error.empty();
}

void set_com2_fd(int fd) { g_com2_fd.store(fd); }
void set_com1_fd(int fd) { g_com1_fd.store(fd); }
int com1_fd() { return g_com1_fd.load(); }
void set_phase(const char* p) { g_phase.store(p); }
const char* phase() { return g_phase.load(); }
uint32_t next_seq() { return g_seq.fetch_add(1); }
uint32_t peek_seq() { return g_seq.load(); }
void reset_seq() { g_seq.store(0); }

}  // namespace ktstr::init::crash
