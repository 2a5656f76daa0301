#include "vigil/text/lexicon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "vigil/common/error.h"

namespace {

using ::testing::HasSubstr;
using vigil::text::CompiledLexicon;

const char* kHeader = "[lexicon]\nname = \"t\"\nversion = \"v1\"\n";

std::string load_error(const std::string& toml) {
  try {
    CompiledLexicon::load_toml(toml, "test.toml");
  } catch (const vigil::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Lexicon, StarterLexiconLoads) {
  const auto lexicon = CompiledLexicon::load_toml(vigil::text::starter_lexicon_toml(), "starter");
  EXPECT_EQ(lexicon->name(), "vigil-starter");
  EXPECT_FALSE(lexicon->version().empty());
  EXPECT_GT(lexicon->entries().size(), 10u);
  EXPECT_NE(lexicon->normalized_db(), nullptr);
  EXPECT_FALSE(lexicon->allow().empty());
}

TEST(Lexicon, TermsCompileToLeetAwarePatterns) {
  EXPECT_EQ(vigil::text::term_pattern("cp"), "c+ ?p+");
  EXPECT_EQ(vigil::text::term_pattern("Taboo"), "[t7+]+ ?[a4@]+ ?[b8]+ ?[o0] ?[o0]+");
  EXPECT_EQ(vigil::text::term_pattern("no limits"), "n+ ?[o0]+ ?[l1|]+ ?[i1!|]+ ?m+ ?[i1!|]+ ?[t7+]+ ?[s5$]+");
}

TEST(Lexicon, ErrorsNameTheOffendingEntry) {
  const std::string ok_term = "[[term]]\nterm = \"alpha\"\ncategory = \"coded-term\"\nweight = 0.5\n";
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term + "[[term]]\nterm = \"beta\"\nweight = 0.5\n"),
              HasSubstr("term #2 'beta'"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term + "[[term]]\nterm = \"beta\"\ncategory = \"x\"\nweight = 2\n"),
              HasSubstr("term #2 'beta' (line 11): 'weight' must be between 0 and 1"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term +
                         "[[regex]]\nname = \"broken\"\npattern = \"(unclosed\"\ncategory = \"x\"\nweight = 0.5\n"),
              HasSubstr("regex #1 'broken' does not compile"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term +
                         "[[term]]\nterm = \"gamma\"\ncategory = \"x\"\nweight = 0.5\nmatch = \"fuzzy\"\n"),
              HasSubstr("term #2 'gamma'"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term + "[[term]]\nterm = \"!!!\"\ncategory = \"x\"\nweight = 0.5\n"),
              HasSubstr("term #2 '!!!'"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term + "[[term]]\nterm = \"d\"\ncategory = \"x\"\nweight = 0.5\nwieght = 1\n"),
              HasSubstr("unknown key 'wieght'"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term + "[[term]]\nterm = \"e\"\ncategory = \"x\"\nweight = 0.5\nfields = [\"bio\"]\n"),
              HasSubstr("unknown text field 'bio'"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term + "[allow]\nwords = [\"---\"]\n"), HasSubstr("[allow] word #1"));
  EXPECT_THAT(load_error("[lexicon]\nname = \"t\"\n" + ok_term), HasSubstr("missing 'version'"));
  EXPECT_THAT(load_error(std::string(kHeader)), HasSubstr("no [[term]] or [[regex]] entries"));
  EXPECT_THAT(load_error("this is = not toml ["), HasSubstr("not valid TOML at line 1"));
  EXPECT_THAT(load_error(std::string(kHeader) + ok_term), ::testing::IsEmpty());
}

TEST(Lexicon, MissingFileIsAClearError) {
  try {
    CompiledLexicon::load_file("/nonexistent/vigil-lexicon.toml");
    FAIL() << "expected vigil::Error";
  } catch (const vigil::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/vigil-lexicon.toml"));
    EXPECT_THAT(e.what(), HasSubstr("cannot open"));
  }
}

}  // namespace
