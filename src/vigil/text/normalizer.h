#pragma once
// Text normalisation for matching, with a map from every normalised byte back to the original.
//
// Two views of one input are built in one pass:
//  - light: per code point NFKC + case folding (ICU nfkc_cf), combining marks and invisible
//    characters (zero-width, bidi controls, other default-ignorables) removed, non-ASCII letters
//    mapped to their UTS #39 confusable skeleton. Digits, punctuation and spacing are kept.
//    Used for age mentions and messenger handles.
//  - full: the light view plus leetspeak symbols (@ $ ! | +) kept inside tokens that contain a
//    letter or digit, every run of separators (spaces, punctuation, emoji) turned into one space, separators between single letters dropped ("p.e.r.v" -> "perv"), and runs of
//    three or more of one character collapsed to two. Digits and leet symbols (@ $ ! | +) stay in
//    the full view; lexicon terms are compiled into character classes that accept them
//    (o -> [o0], a -> [a4@], ...), so age digits are never lost. Used for lexicon matching and
//    printed by `vigil text normalize`.
//
// The ASCII path uses precomputed tables; ICU is consulted only for non-ASCII code points, and
// its answers are cached per 256-code-point block for the whole process.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::text {

struct NormalizedView {
  std::string text;
  std::vector<std::uint32_t> start;  // per byte of text: original byte offset where it begins
  std::vector<std::uint32_t> end;    // per byte of text: original byte offset where it ends
  // Per byte of text (full view only): non-zero when the byte came from a non-ASCII character,
  // a collapsed repeat, a dropped separator between single letters, or a separator other than
  // one plain space or hyphen. Used to tell obfuscated hits from plain ones.
  std::vector<std::uint8_t> altered;

  void clear();
  // Original byte range [first, last) covering normalised bytes [from, to).
  std::size_t original_start(std::size_t from) const { return start[from]; }
  std::size_t original_end(std::size_t to) const { return end[to - 1]; }
};

struct NormalizeStats {
  std::size_t invalid_utf8 = 0;    // invalid sequences replaced by U+FFFD
  std::size_t invisible = 0;       // zero-width and other default-ignorable characters removed
  std::size_t bidi_controls = 0;   // bidi embedding/override/isolate marks removed
  std::size_t marks = 0;           // combining marks removed
  std::size_t mapped = 0;          // non-ASCII characters mapped (compatibility or confusable)
  std::size_t symbols = 0;         // non-ASCII symbols (emoji...) treated as separators
  std::size_t collapsed = 0;       // characters removed by repeat collapsing
};

struct Normalized {
  NormalizedView light;
  NormalizedView full;
  NormalizeStats stats;
};

// Normalises `input` (any bytes; invalid UTF-8 is replaced). Reuses `out`'s buffers.
// Time and memory are linear in the input size.
void normalize_into(std::string_view input, Normalized& out);
Normalized normalize(std::string_view input);

// True for the bytes the full view treats as letters or letter substitutes.
bool is_word_byte(unsigned char byte);

}  // namespace vigil::text
