// The Ctrl-A escapes of `ktstr-vm shell`'s keyboard input.
#include "escape_keys.hpp"

#include <gtest/gtest.h>

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
