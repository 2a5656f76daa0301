#include "vigil/common/hash256.h"

#include <gtest/gtest.h>

#include <string>

#include "vigil/common/error.h"

namespace vigil {
namespace {

constexpr const char* kBridge = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

TEST(Hash256, HexRoundTripKeepsCanonicalOrder) {
  const Hash256 h = Hash256::parse_hex(kBridge);
  EXPECT_EQ(h.bytes[0], 0xf8);
  EXPECT_EQ(h.bytes[31], 0x22);
  EXPECT_EQ(h.to_hex(), kBridge);
  EXPECT_EQ(Hash256::parse_hex("F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B22").to_hex(), kBridge);
}

TEST(Hash256, RejectsWrongLengthAndBadDigits) {
  EXPECT_FALSE(Hash256::from_hex("abc"));
  EXPECT_FALSE(Hash256::from_hex(std::string(63, 'a') + "g"));
  try {
    Hash256::parse_hex(std::string(63, 'a') + "g");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("character 64"), std::string::npos) << e.what();
  }
  try {
    Hash256::parse_hex("abcd");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("got 4"), std::string::npos) << e.what();
  }
}

TEST(Hash256, HammingDistanceCountsFlippedBits) {
  Hash256 a = Hash256::parse_hex(kBridge);
  Hash256 b = a;
  EXPECT_EQ(hamming_distance(a, b), 0);
  for (int i : {0, 7, 63, 64, 200, 255}) b.flip(i);
  EXPECT_EQ(hamming_distance(a, b), 6);
  EXPECT_NE(a.bit(0), b.bit(0));
  Hash256 zero, ones;
  ones.bytes.fill(0xff);
  EXPECT_EQ(hamming_distance(zero, ones), 256);
}

}  // namespace
}  // namespace vigil
