#include "vigil/text/normalizer.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using vigil::text::normalize;

std::string full(std::string_view s) { return normalize(s).full.text; }

// The original substring behind normalised bytes [from, to).
std::string original(std::string_view input, const vigil::text::NormalizedView& view, std::size_t from, std::size_t to) {
  return std::string(input.substr(view.original_start(from), view.original_end(to) - view.original_start(from)));
}

TEST(Normalizer, CaseFoldsAndKeepsPlainAsciiWords) {
  EXPECT_EQ(full("Hello World"), "hello world");
  EXPECT_EQ(full("roadmap for Q3"), "roadmap for q3");
}

TEST(Normalizer, FullwidthAndMathAlphanumericsBecomeAscii) {
  EXPECT_EQ(full("\xEF\xBC\xB4\xEF\xBC\xA1\xEF\xBC\xA2"), "tab");                     // ＴＡＢ
  EXPECT_EQ(full("\xF0\x9D\x90\xA9\xF0\x9D\x90\x9E\xF0\x9D\x90\xAB\xF0\x9D\x90\xAF"), "perv");  // 𝐩𝐞𝐫𝐯
}

TEST(Normalizer, ConfusablesMapToTheirLatinSkeleton) {
  // Cyrillic а, о, р, с; Greek ο.
  EXPECT_EQ(full("t\xD0\xB0" "b\xD0\xBEo"), "taboo");
  EXPECT_EQ(full("\xD1\x81\xD1\x80"), "cp");
  EXPECT_EQ(full("t\xCE\xBF"), "to");
}

TEST(Normalizer, InvisibleCharactersBidiControlsAndMarksAreRemovedAndCounted) {
  const auto n = normalize("pe\xE2\x80\x8Brv \xE2\x80\xAEtext\xE2\x80\xAC ca\xCC\x81" "fe");
  EXPECT_EQ(n.full.text, "perv text cafe");
  EXPECT_EQ(n.stats.invisible, 1u);
  EXPECT_EQ(n.stats.bidi_controls, 2u);
  EXPECT_EQ(n.stats.marks, 1u);
}

TEST(Normalizer, SeparatorsBetweenSingleLettersAreDroppedWordsStaySeparate) {
  EXPECT_EQ(full("p.e.r.v"), "perv");
  EXPECT_EQ(full("n o l i m i t s"), "nolimits");
  EXPECT_EQ(full("t\xE2\x9C\xA8" "a\xE2\x9C\xA8" "b"), "tab");  // emoji between letters
  EXPECT_EQ(full("cool_name.here"), "cool name here");
  EXPECT_EQ(full("  a map  of   town "), "a map of town");
}

TEST(Normalizer, LeetspeakStaysAsDigitsAndSymbolsForTheMatcher) {
  EXPECT_EQ(full("T4B00"), "t4b00");
  EXPECT_EQ(full("pr!vy$"), "pr!vy$");
  EXPECT_EQ(full("wow !!! ok"), "wow ok");  // a token of symbols only is a separator
  EXPECT_EQ(full("t.@.b.0.0"), "t@b00");     // unless it stands for a letter between single ones
  EXPECT_EQ(full("p.e.r.v!"), "perv!");
}

TEST(Normalizer, RunsOfThreeOrMoreCollapseToTwo) {
  const auto n = normalize("tabooooo prvvvy aam");
  EXPECT_EQ(n.full.text, "taboo prvvy aam");
  EXPECT_EQ(n.stats.collapsed, 4u);
}

TEST(Normalizer, OffsetsMapBackToTheOriginalText) {
  const std::string input = "Hi \xEF\xBC\xB0.\xEF\xBC\xA5.R.V!";  // "Hi Ｐ.Ｅ.R.V!"
  const auto n = normalize(input);
  ASSERT_EQ(n.full.text, "hi perv!");
  const auto pos = n.full.text.find("perv");
  EXPECT_EQ(original(input, n.full, pos, pos + 4), "\xEF\xBC\xB0.\xEF\xBC\xA5.R.V");
  // Collapsed repeats map to the whole run.
  const std::string repeated = "xx taaaaboo";
  const auto r = normalize(repeated);
  ASSERT_EQ(r.full.text, "xx taaboo");
  EXPECT_EQ(original(repeated, r.full, 3, 9), "taaaaboo");
}

TEST(Normalizer, LightViewKeepsDigitsAndPunctuation) {
  const auto n = normalize("Kik: Some.Name 12 Y/O");
  EXPECT_EQ(n.light.text, "kik: some.name 12 y/o");
  EXPECT_EQ(n.light.start.size(), n.light.text.size());
}

TEST(Normalizer, InvalidUtf8IsReplacedAndCounted) {
  const std::string bad = std::string("ab\xFF\xC0\xAF" "c\xED\xA0\x80" "d\xE2\x82", 11);
  const auto n = normalize(bad);
  EXPECT_EQ(n.stats.invalid_utf8, 7u);
  EXPECT_EQ(n.full.text, "ab cd");  // U+FFFD separates; single letters join
  for (std::size_t i = 0; i < n.full.text.size(); ++i) EXPECT_LE(n.full.end[i], bad.size());
}

TEST(Normalizer, OutputStaysLinearForFloodsOfMarks) {
  std::string flood = "a";
  for (int i = 0; i < 100000; ++i) flood += "\xCC\x81";  // combining acute
  const auto n = normalize(flood);
  EXPECT_EQ(n.full.text, "a");
  EXPECT_EQ(n.stats.marks, 100000u);
}

}  // namespace
