// Numeric option values: a clear message for text that is not a number, not a whole number, or
// out of range (red-team A4e, N106: CLI11 said "Value abc not in range 0 to 604800").
#include <gtest/gtest.h>

#include "cli_numbers.hpp"

using ktstr::host::number_error;

TEST(CliNumbers, AcceptsNumbersInRange) {
  EXPECT_EQ(number_error("0", 0, 604800, true), "");
  EXPECT_EQ(number_error("604800", 0, 604800, true), "");
  EXPECT_EQ(number_error("12.5", 0, 10000, false), "");
  EXPECT_EQ(number_error("10000", 0, 10000, false), "");
  EXPECT_EQ(number_error("4294967295", 0, 4294967295.0, true), "");
}

TEST(CliNumbers, SaysWhatIsWrong) {
  EXPECT_EQ(number_error("abc", 0, 604800, true), "abc is not a number");
  EXPECT_EQ(number_error("abc", 0, 10000, false), "abc is not a number");
  EXPECT_EQ(number_error("", 0, 10, true), " is not a number");
  EXPECT_EQ(number_error("5s", 0, 10, true), "5s is not a number");
  EXPECT_EQ(number_error(" 5", 0, 10, true), " 5 is not a number");
  EXPECT_EQ(number_error("inf", 0, 10, false), "inf is not a number");
  EXPECT_EQ(number_error("nan", 0, 10, false), "nan is not a number");
  EXPECT_EQ(number_error("1.5", 0, 10, true), "1.5 is not a whole number");
  EXPECT_EQ(number_error("1e3", 0, 10000, true), "1e3 is not a whole number");
  EXPECT_EQ(number_error("700000", 0, 604800, true), "700000 is not in the range 0 to 604800");
  EXPECT_EQ(number_error("-1", 0, 604800, true), "-1 is not in the range 0 to 604800");
  EXPECT_EQ(number_error("-0.5", 0, 10000, false), "-0.5 is not in the range 0 to 10000");
  EXPECT_EQ(number_error("99999999999999999999", 1, 64, true), "99999999999999999999 is not in the range 1 to 64");
  EXPECT_EQ(number_error("1e999", 0, 10000, false), "1e999 is not in the range 0 to 10000");
}
