#include "vigil/text/normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include <array>
#include <memory>
#include <mutex>

namespace vigil::text {
namespace {

enum class Kind : std::uint8_t { normal, mapped, invisible, bidi, mark };

// What one non-ASCII code point becomes.
struct Folded {
  std::u32string out;
  Kind kind = Kind::normal;
};

bool is_bidi_control(char32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

bool is_mark(char32_t cp) {
  const auto type = u_charType(static_cast<UChar32>(cp));
  return type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_COMBINING_SPACING_MARK;
}

bool is_ignorable(char32_t cp) {
  return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
         u_charType(static_cast<UChar32>(cp)) == U_FORMAT_CHAR;
}

// ICU objects shared by every thread; all of them are safe for concurrent const use, and the
// spoof checker is only used under the block mutex below.
class IcuFolder {
 public:
  IcuFolder() {
    UErrorCode status = U_ZERO_ERROR;
    nfkc_cf_ = icu::Normalizer2::getNFKCCasefoldInstance(status);
    nfd_ = icu::Normalizer2::getNFDInstance(status);
    spoof_ = uspoof_open(&status);
    ok_ = U_SUCCESS(status) && nfkc_cf_ != nullptr && nfd_ != nullptr && spoof_ != nullptr;
  }
  ~IcuFolder() {
    if (spoof_ != nullptr) uspoof_close(spoof_);
  }
  IcuFolder(const IcuFolder&) = delete;
  IcuFolder& operator=(const IcuFolder&) = delete;

  Folded fold(char32_t cp) {
    Folded result;
    if (is_bidi_control(cp)) {
      result.kind = Kind::bidi;
      return result;
    }
    if (is_ignorable(cp)) {
      result.kind = Kind::invisible;
      return result;
    }
    if (is_mark(cp)) {
      result.kind = Kind::mark;
      return result;
    }
    if (!ok_) {
      result.out.push_back(cp);
      return result;
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString s(static_cast<UChar32>(cp));
    s = strip(nfd_->normalize(nfkc_cf_->normalize(s, status), status));
    if (U_SUCCESS(status) && !is_ascii(s)) {
      icu::UnicodeString skeleton;
      uspoof_getSkeletonUnicodeString(spoof_, 0, s, skeleton, &status);
      if (U_SUCCESS(status)) s = strip(nfd_->normalize(nfkc_cf_->normalize(skeleton, status), status));
    }
    if (U_FAILURE(status)) {
      result.out.push_back(cp);
      return result;
    }
    for (int32_t i = 0; i < s.length();) {
      const UChar32 c = s.char32At(i);
      result.out.push_back(static_cast<char32_t>(c));
      i += U16_LENGTH(c);
      if (result.out.size() >= 8) break;  // a few code points expand to long strings
    }
    if (result.out.empty()) {
      result.kind = Kind::invisible;
    } else if (result.out.size() != 1 || result.out[0] != cp) {
      result.kind = Kind::mapped;
    }
    return result;
  }

 private:
  static bool is_ascii(const icu::UnicodeString& s) {
    for (int32_t i = 0; i < s.length(); ++i) {
      if (s.charAt(i) >= 0x80) return false;
    }
    return true;
  }
  static icu::UnicodeString strip(const icu::UnicodeString& s) {
    icu::UnicodeString out;
    for (int32_t i = 0; i < s.length();) {
      const UChar32 c = s.char32At(i);
      i += U16_LENGTH(c);
      const auto cp = static_cast<char32_t>(c);
      if (is_mark(cp) || is_ignorable(cp) || is_bidi_control(cp)) continue;
      out.append(c);
    }
    return out;
  }

  const icu::Normalizer2* nfkc_cf_ = nullptr;
  const icu::Normalizer2* nfd_ = nullptr;
  USpoofChecker* spoof_ = nullptr;
  bool ok_ = false;
};

// Process-wide cache of folded code points, filled one 256-code-point block at a time.
constexpr char32_t kCachedLimit = 0x30000;
constexpr std::size_t kBlocks = kCachedLimit / 256;

class FoldCache {
 public:
  const Folded& get(char32_t cp) {
    const std::size_t block = cp >> 8;
    std::call_once(once_[block], [&] {
      auto fresh = std::make_unique<std::array<Folded, 256>>();
      std::lock_guard lock(icu_mutex_);
      for (char32_t i = 0; i < 256; ++i) (*fresh)[i] = folder_.fold(static_cast<char32_t>(block << 8) | i);
      blocks_[block] = std::move(fresh);
    });
    return (*blocks_[block])[cp & 0xFF];
  }
  Folded fold_uncached(char32_t cp) {
    std::lock_guard lock(icu_mutex_);
    return folder_.fold(cp);
  }

 private:
  std::mutex icu_mutex_;
  IcuFolder folder_;
  std::array<std::once_flag, kBlocks> once_;
  std::array<std::unique_ptr<std::array<Folded, 256>>, kBlocks> blocks_;
};

FoldCache& fold_cache() {
  static FoldCache cache;
  return cache;
}

// Character classes in the full view.
enum Cls : std::uint8_t { kSpace = 0, kLetter = 1, kDigit = 2, kLeet = 3 };

struct AsciiTables {
  std::array<char, 128> lower{};
  std::array<std::uint8_t, 128> cls{};
  constexpr AsciiTables() {
    for (int i = 0; i < 128; ++i) {
      lower[i] = static_cast<char>(i >= 'A' && i <= 'Z' ? i + 32 : i);
      cls[i] = kSpace;
      if ((i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z')) cls[i] = kLetter;
      if (i >= '0' && i <= '9') cls[i] = kDigit;
    }
    for (char c : {'@', '$', '!', '|', '+'}) cls[static_cast<unsigned char>(c)] = kLeet;
  }
};
constexpr AsciiTables kAscii;

std::uint8_t class_of(char32_t c) {
  if (c < 0x80) return kAscii.cls[c];
  return u_isalnum(static_cast<UChar32>(c)) ? kLetter : kSpace;
}

// Decodes one UTF-8 code point at `i`; invalid sequences yield U+FFFD over one byte.
char32_t decode(std::string_view s, std::size_t& i, bool& invalid) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  invalid = false;
  auto cont = [&](std::size_t k) { return k < s.size() && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; };
  auto cb = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[k]) & 0x3F); };
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(i + 1)) {
    const char32_t cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | cb(i + 1);
    i += 2;
    return cp;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(i + 1) && cont(i + 2)) {
    const char32_t cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (cb(i + 1) << 6) | cb(i + 2);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
      i += 3;
      return cp;
    }
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    const char32_t cp =
        (static_cast<char32_t>(b0 & 0x07) << 18) | (cb(i + 1) << 12) | (cb(i + 2) << 6) | cb(i + 3);
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      i += 4;
      return cp;
    }
  }
  ++i;
  invalid = true;
  return 0xFFFD;
}

int encode_utf8(char32_t c, char* buf) {
  int n = 0;
  if (c < 0x80) {
    buf[n++] = static_cast<char>(c);
  } else if (c < 0x800) {
    buf[n++] = static_cast<char>(0xC0 | (c >> 6));
    buf[n++] = static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    buf[n++] = static_cast<char>(0xE0 | (c >> 12));
    buf[n++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (c & 0x3F));
  } else {
    buf[n++] = static_cast<char>(0xF0 | (c >> 18));
    buf[n++] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (c & 0x3F));
  }
  return n;
}

void append_utf8(NormalizedView& view, char32_t c, std::uint32_t s, std::uint32_t e) {
  char buf[4];
  const int n = encode_utf8(c, buf);
  for (int k = 0; k < n; ++k) {
    view.text.push_back(buf[k]);
    view.start.push_back(s);
    view.end.push_back(e);
  }
}

struct Unit {
  char32_t c;
  std::uint32_t s;
  std::uint32_t e;
  std::uint8_t cls;
  std::uint8_t altered;
  std::uint8_t single = 0;  // belongs to a token with at most one letter or digit
};

thread_local std::vector<Unit> t_units;
thread_local std::vector<Unit> t_units2;

}  // namespace

void NormalizedView::clear() {
  text.clear();
  start.clear();
  end.clear();
  altered.clear();
}

bool is_word_byte(unsigned char byte) { return byte >= 0x80 || (byte >= 'a' && byte <= 'z'); }

void normalize_into(std::string_view input, Normalized& out) {
  out.light.clear();
  out.full.clear();
  out.stats = NormalizeStats{};
  std::vector<Unit>& units = t_units;
  units.clear();
  units.reserve(input.size());
  out.light.text.reserve(input.size());
  out.light.start.reserve(input.size());
  out.light.end.reserve(input.size());

  // 1. Decode and fold each code point; build the light view as we go.
  for (std::size_t i = 0; i < input.size();) {
    const auto s = static_cast<std::uint32_t>(i);
    const auto b = static_cast<unsigned char>(input[i]);
    if (b < 0x80) {
      // A run of ASCII: table lookups, written in place.
      std::size_t j = i + 1;
      while (j < input.size() && static_cast<unsigned char>(input[j]) < 0x80) ++j;
      const std::size_t len = j - i;
      const std::size_t at = out.light.text.size();
      out.light.text.resize(at + len);
      out.light.start.resize(at + len);
      out.light.end.resize(at + len);
      const std::size_t uat = units.size();
      units.resize(uat + len);
      char* lt = out.light.text.data() + at;
      std::uint32_t* ls = out.light.start.data() + at;
      std::uint32_t* le = out.light.end.data() + at;
      Unit* u = units.data() + uat;
      for (std::size_t k = 0; k < len; ++k) {
        const auto byte = static_cast<unsigned char>(input[i + k]);
        const char c = kAscii.lower[byte];
        const auto pos = static_cast<std::uint32_t>(i + k);
        lt[k] = c;
        ls[k] = pos;
        le[k] = pos + 1;
        u[k] = Unit{static_cast<char32_t>(static_cast<unsigned char>(c)), pos, pos + 1, kAscii.cls[byte], 0, 0};
      }
      i = j;
      continue;
    }
    bool invalid = false;
    const char32_t cp = decode(input, i, invalid);
    const auto e = static_cast<std::uint32_t>(i);
    if (invalid) ++out.stats.invalid_utf8;
    Folded uncached;
    const Folded* folded = nullptr;
    if (cp < kCachedLimit) {
      folded = &fold_cache().get(cp);
    } else {
      uncached = fold_cache().fold_uncached(cp);
      folded = &uncached;
    }
    switch (folded->kind) {
      case Kind::invisible: ++out.stats.invisible; break;
      case Kind::bidi: ++out.stats.bidi_controls; break;
      case Kind::mark: ++out.stats.marks; break;
      case Kind::mapped: ++out.stats.mapped; break;
      case Kind::normal: break;
    }
    if (folded->out.empty()) {
      // A removed character inside a word marks its neighbour as altered ("pe<ZWSP>rv").
      if (!units.empty()) units.back().altered = 1;
      continue;
    }
    for (char32_t c : folded->out) {
      append_utf8(out.light, c, s, e);
      const std::uint8_t cls = class_of(c);
      if (cls == kSpace && c >= 0x80) ++out.stats.symbols;
      units.push_back(Unit{c, s, e, cls, 1, 0});
    }
  }

  // 2. Tokens. A token of leet symbols only ("!!!", "$$") is a separator, unless it is one
  //    symbol next to another one-character token ("t.@.b"). A token with at most one letter or
  //    digit ("p", "v!", "@") is "single": separators between single tokens are dropped below.
  const std::size_t n = units.size();
  struct Token {
    std::size_t b, e, alnum;
  };
  thread_local std::vector<Token> t_tokens;
  std::vector<Token>& tokens = t_tokens;
  tokens.clear();
  for (std::size_t t = 0; t < n;) {
    if (units[t].cls == kSpace) {
      ++t;
      continue;
    }
    std::size_t u = t;
    std::size_t alnum = 0;
    while (u < n && units[u].cls != kSpace) alnum += units[u++].cls != kLeet ? 1 : 0;
    tokens.push_back(Token{t, u, alnum});
    t = u;
  }
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const Token& tok = tokens[k];
    const bool single = tok.alnum <= 1 && tok.e - tok.b <= 2;
    if (tok.alnum == 0) {
      const bool lone = tok.e - tok.b == 1;
      const bool prev_single = k > 0 && tokens[k - 1].alnum <= 1 && tokens[k - 1].e - tokens[k - 1].b <= 2;
      const bool next_single =
          k + 1 < tokens.size() && tokens[k + 1].alnum <= 1 && tokens[k + 1].e - tokens[k + 1].b <= 2;
      if (!(lone && (prev_single || next_single))) {
        for (std::size_t q = tok.b; q < tok.e; ++q) units[q].cls = kSpace;
        continue;
      }
    }
    for (std::size_t q = tok.b; q < tok.e; ++q) units[q].single = single ? 1 : 0;
  }
  if (tokens.capacity() > (1u << 16)) std::vector<Token>().swap(tokens);

  // 3. Separator runs -> one space; no leading or trailing space.
  std::vector<Unit>& words = t_units2;
  words.clear();
  words.reserve(n);
  for (std::size_t t = 0; t < n;) {
    if (units[t].cls != kSpace) {
      words.push_back(units[t++]);
      continue;
    }
    std::size_t u = t;
    bool plain = true;
    while (u < n && units[u].cls == kSpace) {
      if (units[u].c != ' ' && units[u].c != '-') plain = false;
      ++u;
    }
    if (u - t > 1) plain = false;
    if (!words.empty() && u < n) {
      words.push_back(Unit{' ', units[t].s, units[u - 1].e, kSpace, static_cast<std::uint8_t>(plain ? 0 : 1), 0});
    }
    t = u;
  }

  // 4. Separators between single characters are dropped ("p.e.r.v" -> "perv").
  units.clear();
  const std::size_t m = words.size();
  for (std::size_t k = 0; k < m; ++k) {
    if (words[k].cls == kSpace) {
      if (k >= 1 && k + 1 < m && words[k - 1].single && words[k + 1].single) {
        words[k + 1].altered = 1;
        if (!units.empty()) units.back().altered = 1;
        continue;
      }
    }
    units.push_back(words[k]);
  }

  // 5. Runs of three or more of one character collapse to two; emit the full view.
  NormalizedView& full = out.full;
  std::size_t bound = 0;
  for (const Unit& u : units) bound += u.c < 0x80 ? 1 : 4;
  full.text.resize(bound);
  full.start.resize(bound);
  full.end.resize(bound);
  full.altered.resize(bound);
  std::size_t w = 0;
  auto emit = [&](char32_t c, std::uint32_t s, std::uint32_t e, std::uint8_t altered) {
    if (c < 0x80) {
      full.text[w] = static_cast<char>(c);
      full.start[w] = s;
      full.end[w] = e;
      full.altered[w] = altered;
      ++w;
      return;
    }
    char buf[4];
    const int len = encode_utf8(c, buf);
    for (int q = 0; q < len; ++q, ++w) {
      full.text[w] = buf[q];
      full.start[w] = s;
      full.end[w] = e;
      full.altered[w] = altered;
    }
  };
  for (std::size_t k = 0; k < units.size();) {
    std::size_t r = k + 1;
    if (units[k].cls != kSpace) {
      while (r < units.size() && units[r].c == units[k].c) ++r;
    }
    const std::size_t run = r - k;
    if (run <= 2) {
      for (std::size_t q = k; q < r; ++q) emit(units[q].c, units[q].s, units[q].e, units[q].altered);
    } else {
      out.stats.collapsed += run - 2;
      emit(units[k].c, units[k].s, units[k].e, 1);
      emit(units[k + 1].c, units[k + 1].s, units[r - 1].e, 1);
    }
    k = r;
  }
  full.text.resize(w);
  full.start.resize(w);
  full.end.resize(w);
  full.altered.resize(w);
  // Do not keep megabytes of per-thread buffers after one large item.
  if (units.capacity() > (1u << 16)) std::vector<Unit>().swap(units);
  if (words.capacity() > (1u << 16)) std::vector<Unit>().swap(words);
}

Normalized normalize(std::string_view input) {
  Normalized out;
  normalize_into(input, out);
  return out;
}

}  // namespace vigil::text
