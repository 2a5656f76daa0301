#pragma once
// ASCII case folding for protocol text (hex digits, signal type names, query flags, HTTP header
// values, host names). Locale-independent, unlike std::tolower; non-ASCII bytes are left as they
// are. (User-visible text is normalised with ICU in src/vigil/text, never with this.)
#include <string>
#include <string_view>

namespace vigil {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace vigil
