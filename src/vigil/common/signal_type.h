#pragma once
// The kinds of signal a bank entry or a query can carry. Open for more (vpdq) later.
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

enum class SignalType { pdq, md5, sha1, sha256 };

inline std::string_view to_string(SignalType t) {
  switch (t) {
    case SignalType::pdq: return "pdq";
    case SignalType::md5: return "md5";
    case SignalType::sha1: return "sha1";
    case SignalType::sha256: return "sha256";
  }
  return "unknown";
}

inline std::optional<SignalType> parse_signal_type(std::string_view s) {
  if (s == "pdq") return SignalType::pdq;
  if (s == "md5") return SignalType::md5;
  if (s == "sha1") return SignalType::sha1;
  if (s == "sha256") return SignalType::sha256;
  return std::nullopt;
}

// Length in hex digits of a value of this type (pdq: 64, md5: 32, sha1: 40, sha256: 64).
inline std::size_t hex_length(SignalType t) {
  switch (t) {
    case SignalType::pdq: return 64;
    case SignalType::md5: return 32;
    case SignalType::sha1: return 40;
    case SignalType::sha256: return 64;
  }
  return 0;
}

}  // namespace vigil
