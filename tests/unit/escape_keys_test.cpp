// The Ctrl-A escapes of `ktstr-vm shell`'s keyboard input.
#include "escape_keys.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

using ktstr::host::EscapeFilter;
using Action = EscapeFilter::Action;

// Plain keys, Ctrl-C included, pass unchanged.
TEST(EscapeFilter, PlainBytesPassUnchanged) {
  EscapeFilter f;
  Action a;
  EXPECT_EQ(f.feed("ls -l\r\x03\x04", a), "ls -l\r\x03\x04");
  EXPECT_EQ(a, Action::none);
}

// Ctrl-A X quits and drops what follows; lowercase and uppercase both work.
TEST(EscapeFilter, CtrlAXQuits) {
  for (const char* in : {"ab\x01xcd", "ab\x01Xcd"}) {
    EscapeFilter f;
    Action a;
    EXPECT_EQ(f.feed(in, a), "ab");
    EXPECT_EQ(a, Action::quit);
  }
}

// Ctrl-A Ctrl-A sends one Ctrl-A, even when the two bytes arrive in separate reads.
TEST(EscapeFilter, DoubleCtrlASendsOneAcrossReads) {
  EscapeFilter f;
  Action a;
  EXPECT_EQ(f.feed("a\x01", a), "a");
  EXPECT_EQ(a, Action::none);
  EXPECT_EQ(f.feed("\x01" "b", a), "\x01" "b");
  EXPECT_EQ(a, Action::none);
}

// Ctrl-A then X split over two reads still quits.
TEST(EscapeFilter, QuitAcrossReads) {
  EscapeFilter f;
  Action a;
  EXPECT_EQ(f.feed("\x01", a), "");
  EXPECT_EQ(f.feed("x", a), "");
  EXPECT_EQ(a, Action::quit);
}

// Ctrl-A followed by another key sends both bytes; Ctrl-A H asks for help and sends nothing.
TEST(EscapeFilter, OtherKeysAfterCtrlAPassAndHelpIsConsumed) {
  EscapeFilter f;
  Action a;
  EXPECT_EQ(f.feed("\x01" "c", a), "\x01" "c");
  EXPECT_EQ(a, Action::none);
  EXPECT_EQ(f.feed("\x01h", a), "");
  EXPECT_EQ(a, Action::help);
}

// A disabled filter (stdin not a terminal) passes every byte, Ctrl-A X included, and never acts.
TEST(EscapeFilter, DisabledFilterTypesEveryByteInOrder) {
  EscapeFilter f(false);
  Action a;
  EXPECT_EQ(f.feed("echo a\x01xecho b\nexit 3\n", a), "echo a\x01xecho b\nexit 3\n");
  EXPECT_EQ(a, Action::none);
  EXPECT_EQ(f.feed("\x01", a), "\x01");
  EXPECT_EQ(f.feed("h\x01\x01", a), "h\x01\x01");
  EXPECT_EQ(a, Action::none);
}

// The choice: escapes only for a terminal; a pipe, a regular file or /dev/null is data (N116).
TEST(EscapeFilter, EscapesOnlyWhenTheInputIsATerminal) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(EscapeFilter::for_input(p[0]).enabled());
  close(p[0]);
  close(p[1]);
  int null = open("/dev/null", O_RDONLY);
  ASSERT_GE(null, 0);
  EXPECT_FALSE(EscapeFilter::for_input(null).enabled());
  close(null);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  EXPECT_TRUE(EscapeFilter::for_input(slave).enabled());
  close(slave);
  close(master);
}
