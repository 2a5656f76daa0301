#include "vigil/text/age_mentions.h"

#include <array>
#include <utility>

namespace vigil::text {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr std::array<std::string_view, 20> kNumberWords = {
    "zero",    "one",     "two",       "three",    "four",     "five",    "six",
    "seven",   "eight",   "nine",      "ten",      "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};

// Markers after the number; `bracket` ones need "(" or "[" before the number.
struct Marker {
  std::string_view text;
  bool bracket;
};
constexpr std::array<Marker, 28> kMarkers = {{
    {"year olds", false}, {"yr olds", false}, {"years old", false}, {"year old", false}, {"years-old", false}, {"year-old", false},
    {"yearsold", false},  {"yearold", false},  {"yrs old", false},   {"yr old", false},
    {"yrs-old", false},   {"yr-old", false},   {"yrsold", false},    {"yrold", false},
    {"y/o", false},       {"y.o.", false},     {"y.o", false},       {"yo", false},
    {"(f)", false},       {"(m)", false},      {"[f]", false},       {"[m]", false},
    {"/f", false},        {"/m", false},       {"f)", true},         {"m)", true},
    {"f]", true},         {"m]", true},
}};

bool starts_with(std::string_view s, std::size_t at, std::string_view prefix) {
  return s.size() - at >= prefix.size() && s.compare(at, prefix.size(), prefix) == 0;
}

// Length of the marker at `at` (after up to two separators), 0 if none. `bracket` says whether
// the number was opened by "(" or "[".
std::size_t marker_at(std::string_view v, std::size_t at, bool bracket, std::size_t& marker_start) {
  std::size_t k = at;
  for (int skip = 0; skip < 2 && k < v.size() && (v[k] == ' ' || v[k] == '-' || v[k] == '_' || v[k] == '.'); ++skip) ++k;
  if (k >= v.size()) return 0;
  const char first = v[k];
  if (first != 'y' && first != '(' && first != '[' && first != '/' && first != 'f' && first != 'm') return 0;
  for (const Marker& m : kMarkers) {
    if (m.text[0] != first) continue;
    if (m.bracket && !bracket) continue;
    if (!starts_with(v, k, m.text)) continue;
    const std::size_t end = k + m.text.size();
    // A marker is a whole word: "12 yoga" is not an age.
    if (end < v.size() && is_letter(v[end])) continue;
    marker_start = k;
    return end - k;
  }
  return 0;
}

}  // namespace

void find_age_mentions(std::string_view v, std::vector<AgeMention>& out) {
  const std::size_t n = v.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = v[i];
    // Prefix form: "(f) 14", "(m)13", "f/14", "m/ 15".
    if ((c == '(' || c == '[' || c == 'f' || c == 'm') && (i == 0 || !is_letter(v[i - 1]))) {
      std::size_t k = i;
      bool ok = false;
      if ((c == '(' || c == '[') && i + 2 < n && (v[i + 1] == 'f' || v[i + 1] == 'm') &&
          v[i + 2] == (c == '(' ? ')' : ']')) {
        k = i + 3;
        ok = true;
      } else if ((c == 'f' || c == 'm') && i + 1 < n && v[i + 1] == '/') {
        k = i + 2;
        ok = true;
      }
      if (ok) {
        if (k < n && v[k] == ' ') ++k;
        std::size_t d = k;
        while (d < n && is_digit(v[d]) && d - k < 3) ++d;
        if (d > k && d - k <= 2 && (d >= n || (!is_digit(v[d]) && !is_letter(v[d])))) {
          const int age = d - k == 1 ? v[k] - '0' : (v[k] - '0') * 10 + (v[k + 1] - '0');
          if (age > 0) out.push_back(AgeMention{i, d, age});
          i = d;
          continue;
        }
      }
    }
    // Digits followed by a marker.
    if (is_digit(c) && (i == 0 || !is_digit(v[i - 1]))) {
      std::size_t d = i;
      while (d < n && is_digit(v[d])) ++d;
      if (d - i <= 2) {
        const int age = d - i == 1 ? c - '0' : (c - '0') * 10 + (v[i + 1] - '0');
        const bool bracket = i > 0 && (v[i - 1] == '(' || v[i - 1] == '[');
        std::size_t marker_start = 0;
        const std::size_t len = marker_at(v, d, bracket, marker_start);
        if (len > 0 && age > 0) {
          out.push_back(AgeMention{bracket ? i - 1 : i, marker_start + len, age});
          i = marker_start + len;
          continue;
        }
      }
      i = d;
      continue;
    }
    // Number words followed by a marker.
    if (is_letter(c) && (i == 0 || !is_letter(v[i - 1]))) {
      std::size_t w = i;
      while (w < n && is_letter(v[w])) ++w;
      const std::string_view word = v.substr(i, w - i);
      for (std::size_t k = 0; k < kNumberWords.size(); ++k) {
        // "twelveyo": the word may run straight into the marker.
        if (word.size() < kNumberWords[k].size() || word.compare(0, kNumberWords[k].size(), kNumberWords[k]) != 0) {
          continue;
        }
        const std::size_t after = i + kNumberWords[k].size();
        if (after != w && !(starts_with(v, after, "yo") || starts_with(v, after, "yr") || starts_with(v, after, "year"))) {
          continue;
        }
        std::size_t marker_start = 0;
        const std::size_t len = marker_at(v, after, false, marker_start);
        if (len > 0 && k > 0) {
          out.push_back(AgeMention{i, marker_start + len, static_cast<int>(k)});
          w = marker_start + len;
          break;
        }
      }
      i = w;
      continue;
    }
    ++i;
  }
}

}  // namespace vigil::text
