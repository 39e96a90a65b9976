// CRC32C (Castagnoli): check value, RFC 3720 vectors, and the slicing-by-8 path against a
// bit-at-a-time reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "ktstr/wire.hpp"

using ktstr::wire::crc32c;

namespace {

// The textbook reflected CRC, one bit at a time: slow, obviously right.
uint32_t crc32c_bitwise(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

uint32_t crc_of(const std::vector<uint8_t>& v) { return crc32c(0, v.data(), v.size()); }

}  // namespace

// The standard check value of CRC-32C over the nine ASCII digits.
TEST(Crc32c, CheckValueMatchesCastagnoli) {
  std::string_view s = "123456789";
  EXPECT_EQ(crc32c(0, s.data(), s.size()), 0xE3069283u);
}

// No bytes: the CRC of nothing is 0, and feeding nothing leaves a running value unchanged.
TEST(Crc32c, EmptyInputLeavesValueUnchanged) {
  EXPECT_EQ(crc32c(0, nullptr, 0), 0u);
  EXPECT_EQ(crc32c(0xE3069283u, nullptr, 0), 0xE3069283u);
}

// The iSCSI test vectors of RFC 3720 appendix B.4 (32-byte patterns).
TEST(Crc32c, MatchesRfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = uint8_t(i);
    down[i] = uint8_t(31 - i);
  }
  EXPECT_EQ(crc_of(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc_of(ones), 0x62A8AB43u);
  EXPECT_EQ(crc_of(up), 0x46DD794Eu);
  EXPECT_EQ(crc_of(down), 0x113FDB5Cu);
}

// A CRC continued over a split input equals the CRC over the whole, at every split point.
TEST(Crc32c, ContinuedEqualsOneShot) {
  std::vector<uint8_t> data(300);
  std::mt19937 rng(1);
  for (auto& b : data) b = uint8_t(rng());
  uint32_t whole = crc_of(data);
  for (size_t cut = 0; cut <= data.size(); ++cut)
    EXPECT_EQ(crc32c(crc32c(0, data.data(), cut), data.data() + cut, data.size() - cut), whole)
        << "cut at " << cut;
}

// Every length 0..1000 at every alignment 0..7 agrees with the bitwise reference, so both the
// 8-byte slices and the byte tail are right.
TEST(Crc32c, SlicingMatchesBitwiseReference) {
  std::vector<uint8_t> data(1008);
  std::mt19937 rng(2);
  for (auto& b : data) b = uint8_t(rng());
  for (size_t align = 0; align < 8; ++align)
    for (size_t n = 0; n + align <= 1000; ++n)
      ASSERT_EQ(crc32c(0, data.data() + align, n), crc32c_bitwise(data.data() + align, n))
          << "n=" << n << " align=" << align;
}
