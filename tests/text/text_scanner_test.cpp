#include "vigil/text/text_scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/error.h"

namespace {

using ::testing::HasSubstr;
using vigil::text::TextField;
using vigil::text::TextScanner;
using vigil::text::TextScanResult;

std::string lexicon_toml(const std::string& version, const std::string& term, const std::string& extra = "") {
  return "[lexicon]\nname = \"test\"\nversion = \"" + version + "\"\n" + extra +
         "[[term]]\nterm = \"" + term + "\"\ncategory = \"coded-term\"\nweight = 0.6\n";
}

bool has_note(const TextScanResult& r, const std::string& needle) {
  for (const auto& n : r.notes) {
    if (n.find(needle) != std::string::npos) return true;
  }
  return false;
}

const TextScanner& starter() {
  static const TextScanner scanner = TextScanner::with_starter_lexicon();
  return scanner;
}

TEST(TextScanner, ParsesFields) {
  EXPECT_EQ(vigil::text::parse_text_field("group_name"), TextField::group_name);
  EXPECT_EQ(vigil::text::to_string(TextField::display_name), "display_name");
  EXPECT_THROW(vigil::text::parse_text_field("bio"), vigil::Error);
}

TEST(TextScanner, ObfuscatedCodedTermIsFlaggedWithOriginalOffsets) {
  const std::string text = "hello T.4.B.0.0 friends";
  const auto r = starter().scan(text, TextField::display_name);
  EXPECT_TRUE(r.flagged);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].term, "taboo");
  EXPECT_EQ(r.matches[0].category, "coded-term");
  EXPECT_TRUE(r.matches[0].obfuscated);
  EXPECT_EQ(text.substr(r.matches[0].start, r.matches[0].end - r.matches[0].start), "T.4.B.0.0");
  EXPECT_EQ(r.lexicon_version, starter().lexicon_version());
}

TEST(TextScanner, PlainAmbiguousWordsAreBelowTheThreshold) {
  for (const char* text : {"city map", "taboo topics", "CP raid in the game", "no limits to learning"}) {
    const auto r = starter().scan(text, TextField::post);
    EXPECT_FALSE(r.flagged) << text;
  }
  EXPECT_TRUE(starter().scan("m.a.p", TextField::username).flagged);
}

TEST(TextScanner, AllowListSuppressesPlainBenignWordsOnlyAndSaysSo) {
  const auto benign = starter().scan("perverse incentives", TextField::post);
  EXPECT_FALSE(benign.flagged);
  EXPECT_TRUE(benign.matches.empty());
  EXPECT_TRUE(has_note(benign, "allow-list word 'perverse'"));
  const auto disguised = starter().scan("p3rverse", TextField::username);
  EXPECT_TRUE(disguised.flagged);
}

TEST(TextScanner, NumbersAloneAreNotLeetspeak) {
  EXPECT_TRUE(starter().scan("order 74800 shipped, call 0800 555", TextField::post).matches.empty());
  EXPECT_FALSE(starter().scan("74b00", TextField::username).matches.empty());
}

TEST(TextScanner, WholeWordTermsDoNotMatchInsideWords) {
  EXPECT_TRUE(starter().scan("roadm4p cpu4ever", TextField::username).matches.empty());
  EXPECT_FALSE(starter().scan("c.p", TextField::username).matches.empty());
}

TEST(TextScanner, AgeMentionWithCodedTermScoresHigherThanEither) {
  const auto age = starter().scan("13yo", TextField::display_name);
  const auto term = starter().scan("t@b00", TextField::display_name);
  const auto both = starter().scan("13yo t@b00", TextField::display_name);
  EXPECT_GT(age.score, 0.0);
  EXPECT_FALSE(age.flagged);
  EXPECT_GT(both.score, age.score);
  EXPECT_GT(both.score, term.score);
  EXPECT_EQ(both.categories.count("age-coded-cooccurrence"), 1u);
  EXPECT_EQ(starter().scan("25 yo t@b00", TextField::display_name).categories.count("age-mention"), 0u);
}

TEST(TextScanner, HandlesAreExtractedWithOriginalOffsets) {
  const std::string text = "n0l1m1ts, add me on kik Blue_Bird7";
  const auto r = starter().scan(text, TextField::post);
  ASSERT_EQ(r.handles.size(), 1u);
  EXPECT_EQ(r.handles[0].platform, "kik");
  EXPECT_EQ(r.handles[0].handle, "blue_bird7");
  EXPECT_EQ(text.substr(r.handles[0].start, r.handles[0].end - r.handles[0].start), "Blue_Bird7");
  EXPECT_GT(r.categories.at("messenger-handle"), 0.0);
}

TEST(TextScanner, JsonHasEveryField) {
  const auto j = vigil::text::to_json(starter().scan("p3rv wickr: abc_d", TextField::post));
  for (const char* key : {"flagged", "score", "categories", "matches", "handles", "lexicon_version", "notes"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["matches"][0]["term"], "perv");
  EXPECT_EQ(j["matches"][0]["start"], 0);
  EXPECT_EQ(j["matches"][0]["end"], 4);
  EXPECT_EQ(j["handles"][0]["platform"], "wickr");
}

TEST(TextScanner, FieldRestrictionsAndRawEntries) {
  const auto scanner = TextScanner::from_toml(
      "[lexicon]\nname = \"t\"\nversion = \"1\"\n"
      "[[term]]\nterm = \"zorp\"\ncategory = \"coded-term\"\nweight = 0.6\nfields = [\"username\"]\n"
      "[[term]]\nterm = \"XQ\"\ncategory = \"coded-term\"\nweight = 0.6\ntext = \"raw\"\ncaseless = false\n"
      "[[regex]]\nname = \"zz-digits\"\npattern = \"zz[0-9]{3}\"\ncategory = \"trading\"\nweight = 0.7\n");
  EXPECT_TRUE(scanner.scan("zorp", TextField::username).flagged);
  EXPECT_FALSE(scanner.scan("zorp", TextField::post).flagged);
  EXPECT_TRUE(scanner.scan("an XQ here", TextField::post).flagged);
  EXPECT_FALSE(scanner.scan("an xq here", TextField::post).flagged);
  EXPECT_FALSE(scanner.scan("anXQhere", TextField::post).flagged);
  const auto r = scanner.scan("ZZ123", TextField::post);
  EXPECT_TRUE(r.flagged);
  EXPECT_EQ(r.matches.at(0).term, "zz-digits");
}

TEST(TextScanner, ReloadSwapsAndAFailedReloadKeepsTheOldLexicon) {
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-text-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "lexicon.toml";
  std::ofstream(path) << lexicon_toml("v1", "alpha");
  TextScanner scanner(path);
  EXPECT_EQ(scanner.lexicon_version(), "v1");
  EXPECT_TRUE(scanner.scan("alpha", TextField::post).flagged);

  std::ofstream(path) << lexicon_toml("v2", "beta") +
                             "[[regex]]\nname = \"bad-one\"\npattern = \"(\"\ncategory = \"x\"\nweight = 0.5\n";
  try {
    scanner.reload(path);
    FAIL() << "expected vigil::Error";
  } catch (const vigil::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("regex #1 'bad-one'"));
  }
  EXPECT_EQ(scanner.lexicon_version(), "v1");
  EXPECT_TRUE(scanner.scan("alpha", TextField::post).flagged);

  std::ofstream(path) << lexicon_toml("v2", "beta");
  scanner.reload(path);
  EXPECT_EQ(scanner.lexicon_version(), "v2");
  EXPECT_FALSE(scanner.scan("alpha", TextField::post).flagged);
  EXPECT_TRUE(scanner.scan("beta", TextField::post).flagged);
  std::filesystem::remove_all(dir);
}

TEST(TextScanner, ScansFromManyThreadsWhileReloading) {
  TextScanner scanner = TextScanner::from_toml(lexicon_toml("v1", "alpha"));
  std::atomic<bool> stop{false};
  std::atomic<int> inconsistent{0};
  std::atomic<int> scans{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const auto r = scanner.scan("alpha beta", TextField::post);
        ASSERT_EQ(r.matches.size(), 1u);
        const std::string want = r.lexicon_version == "v1" ? "alpha" : "beta";
        if (r.matches[0].term != want) ++inconsistent;
        ++scans;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    scanner.reload_from_toml(lexicon_toml(i % 2 == 0 ? "v2" : "v1", i % 2 == 0 ? "beta" : "alpha"));
  }
  while (scans.load() < 200) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(inconsistent.load(), 0);
}

TEST(TextScannerBadInput, InvalidUtf8IsReplacedAndNoted) {
  const auto r = starter().scan(std::string("p3rv\xFF\xFE", 6), TextField::username);
  EXPECT_TRUE(has_note(r, "invalid UTF-8: 2 invalid bytes replaced"));
  EXPECT_TRUE(r.flagged);
  EXPECT_NO_THROW((void)vigil::text::to_json(r).dump());
}

TEST(TextScannerBadInput, BidiOverridesAreRemovedAndNoted) {
  const auto r = starter().scan("\xE2\x80\xAEvrep\xE2\x80\xAC \xE2\x80\xAEp\xE2\x80\x8B" "e\xE2\x80\x8B" "rv", TextField::post);
  EXPECT_TRUE(has_note(r, "bidi control"));
  EXPECT_TRUE(has_note(r, "invisible"));
  EXPECT_TRUE(r.flagged);
}

TEST(TextScannerBadInput, FloodsOfEmojiAndMarksAreNoted) {
  std::string emoji;
  for (int i = 0; i < 20000; ++i) emoji += "\xF0\x9F\x94\xA5";
  const auto e = starter().scan(emoji, TextField::post);
  EXPECT_FALSE(e.flagged);
  EXPECT_TRUE(has_note(e, "emoji or other symbols treated as separators"));
  std::string marks = "x";
  for (int i = 0; i < 50000; ++i) marks += "\xCC\x81";
  EXPECT_TRUE(has_note(starter().scan(marks, TextField::post), "50000 combining marks removed"));
}

TEST(TextScannerBadInput, MegabyteStringsAreScannedWhole) {
  std::string big;
  while (big.size() < (1u << 20)) big += "perfectly ordinary words about maps and cpus ";
  big += " t4b00";
  const auto r = starter().scan(big, TextField::post);
  EXPECT_TRUE(r.flagged);
  ASSERT_FALSE(r.matches.empty());
  EXPECT_EQ(r.matches.back().end, big.size());
  std::string spam;
  while (spam.size() < (1u << 20)) spam += "p3rv ";
  const auto s = starter().scan(spam, TextField::post);
  EXPECT_EQ(s.matches.size(), 1000u);
  EXPECT_TRUE(has_note(s, "further matches not listed"));
}

TEST(TextScannerBadInput, InputsBeyondTheLimitAreCutWithANote) {
  const auto scanner =
      TextScanner::from_toml(lexicon_toml("v1", "alpha", "[scoring]\nmax_input_bytes = 64\n"));
  std::string text(100, 'x');
  text += " alpha";
  const auto r = scanner.scan(text, TextField::post);
  EXPECT_FALSE(r.flagged);
  EXPECT_TRUE(has_note(r, "only the first 64 bytes were scanned"));
}

}  // namespace
