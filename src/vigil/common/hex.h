#pragma once
// Lowercase hex encoding and strict decoding, shared by hashes and digests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

std::string hex_encode(const std::uint8_t* data, std::size_t size);
// Decodes hex.size()/2 bytes into out; false if the length is odd or any character is not hex.
bool hex_decode(std::string_view hex, std::uint8_t* out);
// Position of the first character that is not a hex digit, or npos.
std::size_t find_non_hex(std::string_view text);

}  // namespace vigil
