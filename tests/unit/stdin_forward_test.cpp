// The host side of stdin forwarding: which stdin is forwarded, and the credit accounting that
// keeps at most one window in flight whatever the guest says (docs/protocol.md, STDI/SACK).
#include "stdin_forward.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

using ktstr::host::stdin_forwardable;
using ktstr::host::StdinForwarder;

namespace {

std::string ack(uint64_t taken, uint64_t window, bool closed = false) {
  return "{\"taken\":" + std::to_string(taken) + ",\"window\":" + std::to_string(window) +
         ",\"closed\":" + (closed ? "true" : "false") + "}";
}

}  // namespace

// A pipe and a regular file are forwarded; a terminal and /dev/null (a device) are not.
TEST(StdinForward, PipesAndFilesAreForwardedTerminalsAndDevicesAreNot) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_TRUE(stdin_forwardable(p[0]));
  close(p[0]);
  close(p[1]);
  FILE* f = tmpfile();
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(stdin_forwardable(fileno(f)));
  fclose(f);
  int null = open("/dev/null", O_RDONLY);
  EXPECT_FALSE(stdin_forwardable(null));
  close(null);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  EXPECT_FALSE(stdin_forwardable(slave));
  close(slave);
  close(master);
  EXPECT_FALSE(stdin_forwardable(-1));
}

// Nothing is read before the guest's first SACK; then at most the window beyond what it took,
// one stream chunk (8 KiB) per frame.
TEST(StdinForward, ReadsOnlyWithinTheWindow) {
  StdinForwarder f;
  std::string err;
  EXPECT_EQ(f.room(), 0u);
  ASSERT_TRUE(f.on_ack(ack(0, 20000), err)) << err;
  EXPECT_EQ(f.room(), 8192u);
  f.sent(8192);
  f.sent(8192);
  EXPECT_EQ(f.room(), 20000u - 16384u);
  f.sent(20000 - 16384);
  EXPECT_EQ(f.room(), 0u);  // the window is full until the guest takes some
  ASSERT_TRUE(f.on_ack(ack(5000, 20000), err)) << err;
  EXPECT_EQ(f.room(), 5000u);
  f.sent(0);  // the end of stdin
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.room(), 0u);
}

// An untrusted guest cannot make the host queue more than its own cap, take back what it took,
// or take bytes that were never sent.
TEST(StdinForward, GuestCannotWidenTheWindowOrAckUnsentBytes) {
  StdinForwarder f;
  std::string err;
  ASSERT_TRUE(f.on_ack(ack(0, uint64_t(1) << 40), err)) << err;
  uint64_t total = 0;
  while (size_t n = f.room()) {
    f.sent(n);
    total += n;
    ASSERT_LE(total, StdinForwarder::kMaxWindow);
  }
  EXPECT_EQ(total, StdinForwarder::kMaxWindow);
  EXPECT_FALSE(f.on_ack(ack(total + 1, 1000), err));
  EXPECT_NE(err.find("only 65536 were sent"), std::string::npos) << err;
  ASSERT_TRUE(f.on_ack(ack(total, 1000), err));
  ASSERT_TRUE(f.on_ack(ack(10, 1000), err));  // an old acknowledgement does not move it back
  EXPECT_EQ(f.room(), 1000u);
  for (const char* bad : {"", "[]", "{\"taken\":1}", "{\"taken\":-1,\"window\":1,\"closed\":false}",
                          "{\"taken\":\"1\",\"window\":1,\"closed\":false}"})
    EXPECT_FALSE(f.on_ack(bad, err)) << bad;
}

// The guest's reader is gone: nothing more is read.
TEST(StdinForward, GuestClosedStopsReading) {
  StdinForwarder f;
  std::string err;
  ASSERT_TRUE(f.on_ack(ack(0, 65536), err));
  f.sent(100);
  ASSERT_TRUE(f.on_ack(ack(100, 65536, true), err));
  EXPECT_TRUE(f.guest_closed());
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.room(), 0u);
}
