#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vigil/text/age_mentions.h"
#include "vigil/text/messenger_handles.h"

namespace {

using vigil::text::AgeMention;
using vigil::text::HandleHit;

std::vector<int> ages(std::string_view s) {
  std::vector<AgeMention> out;
  vigil::text::find_age_mentions(s, out);
  std::vector<int> values;
  for (const auto& a : out) values.push_back(a.age);
  return values;
}

TEST(AgeMentions, DigitsAndNumberWordsNextToMarkers) {
  EXPECT_EQ(ages("12yo"), std::vector<int>{12});
  EXPECT_EQ(ages("a 13 y/o here"), std::vector<int>{13});
  EXPECT_EQ(ages("fourteen year old"), std::vector<int>{14});
  EXPECT_EQ(ages("twelveyo"), std::vector<int>{12});
  EXPECT_EQ(ages("15(f)"), std::vector<int>{15});
  EXPECT_EQ(ages("(m) 13 and [14f]"), (std::vector<int>{13, 14}));
  EXPECT_EQ(ages("my 9-year-old"), std::vector<int>{9});
  EXPECT_EQ(ages("books for 12 year olds"), std::vector<int>{12});
}

TEST(AgeMentions, NotAgesWithoutAMarker) {
  EXPECT_TRUE(ages("12 yoga classes").empty());
  EXPECT_TRUE(ages("12 years of experience").empty());
  EXPECT_TRUE(ages("room 14f, f14 jets, route 66").empty());
  EXPECT_TRUE(ages("123yo").empty());
  EXPECT_TRUE(ages("someone yo").empty());
}

TEST(AgeMentions, OffsetsCoverNumberAndMarker) {
  std::vector<AgeMention> out;
  vigil::text::find_age_mentions("hey 12 y/o!", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, 4u);
  EXPECT_EQ(out[0].end, 10u);
}

std::vector<std::pair<std::string, std::string>> handles(std::string_view s) {
  std::vector<HandleHit> out;
  vigil::text::find_messenger_handles(s, out);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& h : out) pairs.emplace_back(h.platform, h.handle);
  return pairs;
}

TEST(MessengerHandles, CommonAdvertisingForms) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(handles("wickr: quiet.fox"), (P{{"wickr", "quiet.fox"}}));
  EXPECT_EQ(handles("add me on kik bluebird_7"), (P{{"kik", "bluebird_7"}}));
  EXPECT_EQ(handles("telegram @night_owl."), (P{{"telegram", "night_owl"}}));
  EXPECT_EQ(handles("snap: river.stone"), (P{{"snapchat", "river.stone"}}));
  EXPECT_EQ(handles("join t.me/some_channel now"), (P{{"telegram", "some_channel"}}));
  EXPECT_EQ(handles("find me on signal jane.01"), (P{{"signal", "jane.01"}}));
  EXPECT_EQ(handles("kik me: a_b_c, kik me: a_b_c"), (P{{"kik", "a_b_c"}}));
  const std::string id = "05" + std::string(64, 'a');
  EXPECT_EQ(handles("session id " + id), (P{{"session", id}}));
}

TEST(MessengerHandles, OrdinarySentencesAreNotHandles) {
  EXPECT_TRUE(handles("the signal is weak here").empty());
  EXPECT_TRUE(handles("telegram is blocked in some countries").empty());
  EXPECT_TRUE(handles("session 2 starts at 10").empty());
  EXPECT_TRUE(handles("session id 05abc").empty());  // not a Session ID
  EXPECT_TRUE(handles("kik the can").empty());
  EXPECT_TRUE(handles("my snapshot").empty());
}

TEST(MessengerHandles, OffsetsPointAtTheHandle) {
  std::vector<HandleHit> out;
  const std::string s = "kik: abcde";
  vigil::text::find_messenger_handles(s, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(s.substr(out[0].start, out[0].end - out[0].start), "abcde");
}

}  // namespace
