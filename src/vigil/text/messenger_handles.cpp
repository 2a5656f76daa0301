#include "vigil/text/messenger_handles.h"

#include <array>
#include <set>
#include <utility>

namespace vigil::text {
namespace {

bool is_letter(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_letter(c) || is_digit(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_handle_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }

// `strong` keywords are unusual enough as words that a bare "kik name" counts; the others need a
// connector (":", "=", "@", "-", ">", "id", "username"...) or "me on <keyword>" before them.
struct Platform {
  std::string_view keyword;
  std::string_view platform;
  bool strong;
};
// Longer keywords first where one is a prefix of another.
constexpr std::array<Platform, 20> kPlatforms = {{
    {"wickrme", "wickr", true},    {"wickr", "wickr", true},          {"kik", "kik", true},
    {"telegram", "telegram", false}, {"tg", "telegram", false},       {"tele", "telegram", false},
    {"session", "session", false}, {"snapchat", "snapchat", false},   {"snap", "snapchat", false},
    {"signal", "signal", false},   {"threema", "threema", true},      {"teleguard", "teleguard", true},
    {"whatsapp", "whatsapp", false}, {"discord", "discord", false},   {"element", "matrix", false},
    {"matrix", "matrix", false},   {"instagram", "instagram", false}, {"insta", "instagram", false},
    {"ig", "instagram", false},    {"skype", "skype", false},
}};

const std::set<std::string_view>& stop_words() {
  static const std::set<std::string_view> words = {
      "me",   "and",  "or",   "the",  "for",  "only", "pls",  "please", "dm",    "pm",   "add",    "at",
      "on",   "is",   "id",   "my",   "chat", "group", "here", "now",   "if",    "to",   "with",   "you",
      "it",   "this", "that", "too",  "also", "username", "user", "handle", "name", "a", "an", "in", "of",
      "not",  "no",   "just", "then", "than", "but",  "so",   "via",   "thru",  "through", "app"};
  return words;
}

bool is_platform_word(std::string_view w) {
  for (const Platform& p : kPlatforms) {
    if (w == p.keyword) return true;
  }
  return false;
}

bool starts_with(std::string_view s, std::size_t at, std::string_view prefix) {
  return s.size() - at >= prefix.size() && s.compare(at, prefix.size(), prefix) == 0;
}

// Reads an optional "@" and a handle at `k`; returns [start, end) or start==end if none.
std::pair<std::size_t, std::size_t> read_handle(std::string_view v, std::size_t k, bool allow_colon) {
  const std::size_t n = v.size();
  if (k < n && v[k] == '@') ++k;
  if (k >= n || !is_alnum(v[k])) return {k, k};
  std::size_t e = k;
  while (e < n && e - k < 96 && (is_handle_char(v[e]) || (allow_colon && v[e] == ':'))) ++e;
  while (e > k && (v[e - 1] == '.' || v[e - 1] == '-' || v[e - 1] == '_' || v[e - 1] == ':')) --e;
  return {k, e};
}

}  // namespace

void find_messenger_handles(std::string_view v, std::vector<HandleHit>& out) {
  const std::size_t n = v.size();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& hit : out) seen.emplace(hit.platform, hit.handle);
  auto add = [&](std::string_view platform, std::size_t s, std::size_t e) {
    std::string handle(v.substr(s, e - s));
    if (seen.emplace(std::string(platform), handle).second) {
      out.push_back(HandleHit{std::string(platform), std::move(handle), s, e});
    }
  };
  std::size_t i = 0;
  while (i < n) {
    if (!is_letter(v[i]) || (i > 0 && is_alnum(v[i - 1]))) {
      ++i;
      continue;
    }
    // Every keyword starts with one of these letters; skip other words quickly.
    const char first = v[i];
    if (first != 'w' && first != 'k' && first != 't' && first != 's' && first != 'i' && first != 'd' &&
        first != 'e' && first != 'm') {
      while (i < n && is_alnum(v[i])) ++i;
      continue;
    }
    // t.me/<name> links.
    if (first == 't' && starts_with(v, i, "t.me/")) {
      const auto [s, e] = read_handle(v, i + 5, false);
      if (e - s >= 3) add("telegram", s, e);
      i = std::max(e, i + 5);
      continue;
    }
    const Platform* platform = nullptr;
    for (const Platform& p : kPlatforms) {
      if (p.keyword[0] != first) continue;
      if (starts_with(v, i, p.keyword) && (i + p.keyword.size() >= n || !is_alnum(v[i + p.keyword.size()]))) {
        platform = &p;
        break;
      }
    }
    std::size_t w = i;
    while (w < n && is_alnum(v[w])) ++w;
    if (platform == nullptr) {
      i = w;
      continue;
    }
    const bool after_me_on = i >= 6 && v.substr(i - 6, 6) == "me on ";
    // Skip connectors and filler words: "kik me: name", "wickr id - name", "telegram @name".
    std::size_t k = i + platform->keyword.size();
    bool connector = false;
    for (int guard = 0; guard < 8 && k < n; ++guard) {
      const char c = v[k];
      if (c == ' ' || c == '\t') {
        ++k;
      } else if (c == ':' || c == '=' || c == '-' || c == '>' || c == '|' || c == ',') {
        connector = true;
        ++k;
      } else if (c == '@') {
        connector = true;
        break;
      } else if (is_letter(c)) {
        std::size_t e = k;
        while (e < n && is_alnum(v[e])) ++e;
        const std::string_view word = v.substr(k, e - k);
        if (word == "id" || word == "username" || word == "user" || word == "handle" || word == "is") {
          if (word != "is") connector = true;
          k = e;
        } else if (word == "me" || word == "my" || word == "acc" || word == "account") {
          k = e;
        } else {
          break;
        }
      } else {
        break;
      }
    }
    const auto [s, e] = read_handle(v, k, platform->platform == "matrix");
    const std::string_view handle = v.substr(s, e - s);
    bool ok = false;
    if (platform->platform == "session") {
      // Session IDs: "05" followed by 64 hex digits.
      ok = handle.size() == 66 && handle[0] == '0' && handle[1] == '5';
      for (char c : handle) ok = ok && is_hex(c);
    } else if (handle.size() >= 3 && (connector || platform->strong || after_me_on)) {
      ok = !stop_words().count(handle) && !is_platform_word(handle);
    }
    if (ok) {
      add(platform->platform, s, e);
      i = e;
    } else {
      i = w;
    }
  }
}

}  // namespace vigil::text
