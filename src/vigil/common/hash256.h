#pragma once
// A 256-bit perceptual hash (PDQ), stored in the byte order of its canonical hex form:
// bytes[0] is the first two hex digits of the 64-digit lowercase string that Meta's reference
// prints. Hamming distance is the only metric Vigil uses on it.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

struct alignas(8) Hash256 {
  std::array<std::uint8_t, 32> bytes{};

  // The four 64-bit words (native endianness) that popcount-based code works on.
  std::array<std::uint64_t, 4> words() const {
    std::array<std::uint64_t, 4> w;
    std::memcpy(w.data(), bytes.data(), 32);
    return w;
  }
  bool bit(int i) const { return (bytes[i >> 3] >> (7 - (i & 7))) & 1; }  // i = 0 is the leftmost hex bit
  void flip(int i) { bytes[i >> 3] ^= static_cast<std::uint8_t>(1u << (7 - (i & 7))); }

  std::string to_hex() const;
  // Parses exactly 64 hex digits (either case). Returns nullopt on any other input.
  static std::optional<Hash256> from_hex(std::string_view hex);
  // Like from_hex, but throws vigil::Error naming the problem (length, bad character).
  static Hash256 parse_hex(std::string_view hex);

  friend bool operator==(const Hash256&, const Hash256&) = default;
  friend auto operator<=>(const Hash256&, const Hash256&) = default;
};

inline int hamming_distance(const Hash256& a, const Hash256& b) {
  const auto x = a.words();
  const auto y = b.words();
  return std::popcount(x[0] ^ y[0]) + std::popcount(x[1] ^ y[1]) + std::popcount(x[2] ^ y[2]) +
         std::popcount(x[3] ^ y[3]);
}

}  // namespace vigil
