#include "vigil/common/hash256.h"

#include <fmt/format.h>

#include "vigil/common/error.h"
#include "vigil/common/hex.h"

namespace vigil {

std::string Hash256::to_hex() const { return hex_encode(bytes.data(), bytes.size()); }

std::optional<Hash256> Hash256::from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Hash256 h;
  if (!hex_decode(hex, h.bytes.data())) return std::nullopt;
  return h;
}

Hash256 Hash256::parse_hex(std::string_view hex) {
  if (hex.size() != 64) {
    throw Error(fmt::format("a PDQ hash has 64 hex digits, got {}", hex.size()));
  }
  if (auto pos = find_non_hex(hex); pos != std::string_view::npos) {
    throw Error(fmt::format("a PDQ hash is hexadecimal; character {} is not a hex digit", pos + 1));
  }
  return *from_hex(hex);
}

}  // namespace vigil
