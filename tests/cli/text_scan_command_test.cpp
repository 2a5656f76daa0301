// `vigil text scan` and `vigil text normalize` run as subprocesses (VIGIL_CLI_PATH).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {
namespace fs = std::filesystem;

struct TextRun {
  int status = -1;
  std::string out;
  std::string err;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class TextCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::temp_directory_path() / ("vigil-h5-text-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  fs::path write(const std::string& name, const std::string& content) {
    const fs::path p = tmp_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  // Runs `vigil <args>` with stdin from `input`, capturing stdout and stderr in files.
  TextRun run(const std::string& args, const std::string& input = {}) {
    const fs::path in = write("stdin.txt", input);
    const fs::path out = tmp_ / "stdout.txt";
    const fs::path err = tmp_ / "stderr.txt";
    const std::string cmd = std::string("'") + VIGIL_CLI_PATH + "' " + args + " < '" + in.string() + "' > '" +
                            out.string() + "' 2> '" + err.string() + "'";
    const int raw = std::system(cmd.c_str());
    TextRun r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_all(out);
    r.err = read_all(err);
    return r;
  }

  fs::path tmp_;
};

TEST_F(TextCommandTest, ScanPrintsOneJsonObjectPerLineInOrder) {
  const fs::path input = write("items.txt", "hello there\nT.4.B.0.0 chat\r\n\nroadmap review\n13yo p3rv\n");
  const TextRun r = run("text scan --field group_name '" + input.string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u);
  std::vector<bool> flagged;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j.at("line"), i + 1);
    EXPECT_EQ(j.at("field"), "group_name");
    for (const char* key : {"flagged", "score", "categories", "matches", "handles", "lexicon_version", "notes"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
    flagged.push_back(j.at("flagged").get<bool>());
  }
  EXPECT_EQ(flagged, (std::vector<bool>{false, true, false, false, true}));
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["matches"][0]["term"], "taboo");
  EXPECT_EQ(second["matches"][0]["start"], 0);
  EXPECT_EQ(second["matches"][0]["end"], 9);
  EXPECT_GT(nlohmann::json::parse(lines[4])["categories"]["age-coded-cooccurrence"].get<double>(), 0.5);
}

TEST_F(TextCommandTest, ScanReadsStdinAndExtractsHandles) {
  const TextRun r = run("text scan -", "add me on kik quiet_fox\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(lines_of(r.out).at(0));
  EXPECT_EQ(j["handles"][0]["platform"], "kik");
  EXPECT_EQ(j["handles"][0]["handle"], "quiet_fox");
  EXPECT_EQ(j["field"], "post");
}

TEST_F(TextCommandTest, ScanUsesAnOperatorLexicon) {
  const fs::path lexicon = write("ops.toml",
                                 "[lexicon]\nname = \"ops\"\nversion = \"ops-7\"\n"
                                 "[[term]]\nterm = \"zorblax\"\ncategory = \"coded-term\"\nweight = 0.9\n");
  const TextRun r = run("text scan --lexicon '" + lexicon.string() + "' -", "z0rbl4x\nt4b00\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["lexicon_version"], "ops-7");
  EXPECT_TRUE(nlohmann::json::parse(lines[0])["flagged"].get<bool>());
  EXPECT_FALSE(nlohmann::json::parse(lines[1])["flagged"].get<bool>());
}

TEST_F(TextCommandTest, BadLexiconIsRejectedNamingTheEntry) {
  const fs::path lexicon = write("bad.toml",
                                 "[lexicon]\nname = \"ops\"\nversion = \"1\"\n"
                                 "[[regex]]\nname = \"oops\"\npattern = \"a(b\"\ncategory = \"x\"\nweight = 0.5\n");
  const TextRun r = run("text scan --lexicon '" + lexicon.string() + "' -", "hello\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("vigil: error: lexicon"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("regex #1 'oops'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(TextCommandTest, HostileLinesAreScannedWithNotes) {
  std::string input = std::string("p3rv\xFF\n", 6);
  input += std::string(300000, 'a') + "\n";
  input += "\xE2\x80\xAEtext\n";
  const TextRun r = run("text scan -", input);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("invalid UTF-8"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["line"], 2);
  EXPECT_NE(lines[2].find("bidi control"), std::string::npos);
}

TEST_F(TextCommandTest, NormalizePrintsTheNormalisedForm) {
  const TextRun r = run("text normalize -", "T.4.B.0.0\n\xEF\xBC\xAE\xEF\xBC\xAF LIMITS\nHello   World\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"t4b00", "no limits", "hello world"}));
}

TEST_F(TextCommandTest, UsageErrors) {
  EXPECT_NE(run("text scan --field bio -", "x\n").status, 0);
  const TextRun missing = run("text scan '" + (tmp_ / "missing.txt").string() + "'");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("cannot open input file"), std::string::npos) << missing.err;
}

}  // namespace
