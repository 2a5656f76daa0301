// `vigil match` run as a subprocess on a real data directory built with `vigil bank`, matching the
// benign reference images of /work/shared/testdata/pdq-reference (declared "known" here).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {
namespace fs = std::filesystem;

const fs::path kPdqData = fs::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference";
// The C++ reference PDQ of bridge-mods/aaa-orig.jpg (expected/cpp-reference-hashes.csv).
const std::string kBridgePdq = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class MatchCommand : public ::testing::Test {
 protected:
  MatchCommand() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::temp_directory_path() / ("vigil-h4-cli-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
    data_ = (tmp_ / "data").string();
  }
  ~MatchCommand() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  CliRun vigil(const std::vector<std::string>& args) {
    std::string cmd = quote(VIGIL_CLI_PATH);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " < /dev/null > " + quote((tmp_ / "out").string()) + " 2> " + quote((tmp_ / "err").string());
    const int raw = std::system(cmd.c_str());
    CliRun r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = slurp(tmp_ / "out");
    r.err = slurp(tmp_ / "err");
    return r;
  }
  void ok(const std::vector<std::string>& args) {
    const auto r = vigil(args);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  fs::path write(const std::string& name, const std::string& text) {
    const auto p = tmp_ / name;
    std::ofstream(p) << text;
    return p;
  }
  // A "known" bank holding the bridge photo's PDQ, and the given extra lines ("type value").
  void known_bank(const std::string& extra = {}) {
    ok({"bank", "create", "--data", data_, "known", "--label", "A1"});
    const auto list = write("known.txt", "pdq " + kBridgePdq + "\n" + extra);
    ok({"bank", "import", "--data", data_, "known", list.string(), "--format", "plain"});
  }
  static std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
    return v;
  }
  static std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

  fs::path tmp_;
  std::string data_;
};

TEST_F(MatchCommand, MatchesNearDuplicateImagesAndPrintsEveryField) {
  known_bank();
  const auto r = vigil({"match", "--data", data_, "--json", (kPdqData / "bridge-mods").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_GE(rows.size(), 10u);  // the blurred, sharpened, shrunk... copies all match
  for (const auto& j : rows) {
    EXPECT_EQ(j["bank"], "known");
    EXPECT_EQ(j["signal"], "pdq");
    EXPECT_EQ(j["value"], kBridgePdq);
    EXPECT_TRUE(j["path"].get<std::string>().starts_with((kPdqData / "bridge-mods").string()));
    EXPECT_TRUE(j["query"].get<std::string>().starts_with("pdq:"));
    EXPECT_LE(j["distance"].get<int>(), 31);
    EXPECT_EQ(j["labels"], nlohmann::json::array({"A1"}));
    EXPECT_EQ(j["status"], "match");
    EXPECT_TRUE(j["entry"].is_number_integer());
  }
  // TSV: the header and one row per match, same count; -j 1 and -j 2 print the same bytes.
  const auto t1 = vigil({"match", "--data", data_, "-j", "1", (kPdqData / "bridge-mods").string()});
  const auto t2 = vigil({"match", "--data", data_, "-j", "2", (kPdqData / "bridge-mods").string()});
  EXPECT_EQ(t1.status, 0);
  EXPECT_EQ(lines(t1.out), rows.size() + 1);
  EXPECT_TRUE(t1.out.starts_with("path\tquery\tbank\tentry\tsignal\tdistance\tlabels\tvalue\tstatus\n"));
  EXPECT_EQ(t1.out, t2.out);
}

TEST_F(MatchCommand, RotatedImageMatchesOnlyWithDihedral) {
  known_bank();
  const auto img = (kPdqData / "reg-test-input/dih/bridge-2-rotate-90.jpg").string();
  EXPECT_EQ(vigil({"match", "--data", data_, img}).status, 1);
  const auto r = vigil({"match", "--data", data_, "--dihedral", "--json", img});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GT(rows[0]["dihedral_variant"].get<int>(), 0);
}

TEST_F(MatchCommand, DigestsOfTheExactFileMatch) {
  const auto img = (kPdqData / "misc-images/small.jpg").string();
  const auto hashed = vigil({"hash", "--json", img});
  ASSERT_EQ(hashed.status, 0) << hashed.err;
  const auto h = nlohmann::json::parse(hashed.out);
  known_bank("md5 " + h["md5"].get<std::string>() + "\nsha256 " + h["sha256"].get<std::string>() + "\n");
  const auto r = vigil({"match", "--data", data_, "--json", img});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(rows[0]["signal"], "md5");
  EXPECT_EQ(rows[0]["distance"], 0);
  EXPECT_EQ(rows[0]["value"], h["md5"]);
  EXPECT_EQ(rows[1]["signal"], "sha256");
  // small.jpg has PDQ quality 0: the bank's min_quality (50) keeps it out of PDQ matching, and says so.
  EXPECT_NE(r.err.find("bank known not searched: PDQ quality 0 is below the bank's min_quality 50"), std::string::npos)
      << r.err;
}

TEST_F(MatchCommand, GivenHashesAndHashFiles) {
  known_bank();
  auto near = kBridgePdq;
  near[0] = '0';  // d -> 0: 3 bits
  auto r = vigil({"match", "--data", data_, "--json", "--hash", "pdq:" + near});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["query"], "pdq:" + near);
  EXPECT_EQ(rows[0]["distance"], 3);
  EXPECT_FALSE(rows[0].contains("path"));

  const auto file = write("hashes.txt", "# a comment\n\npdq:" + kBridgePdq + "\nmd5:" + std::string(32, '0') + "\n");
  r = vigil({"match", "--data", data_, "--hash-file", file.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), 2u);

  // Nothing matches: exit 1, header only.
  r = vigil({"match", "--data", data_, "--hash", "sha1:" + std::string(40, 'f')});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.out), 1u);
}

TEST_F(MatchCommand, BadInputIsAClearError) {
  known_bank();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const auto bad_file = write("bad.txt", "pdq:" + kBridgePdq + "\npdq:12345\n");
  const std::vector<Case> cases{
      {{"--hash", "pdq:xyz"}, "a pdq hash has 64 hex digits, got 3"},
      {{"--hash", "pdq:" + std::string(63, 'a') + "g"}, "character 64 is not a hex digit"},
      {{"--hash", "vpdq:" + kBridgePdq}, "unknown signal type 'vpdq'"},
      {{"--hash", kBridgePdq}, "type:value"},
      {{"--hash-file", bad_file.string()}, "line 2: a pdq hash has 64 hex digits, got 5"},
      {{"--hash-file", (tmp_ / "missing.txt").string()}, "cannot open"},
      {{"--bank", "nope", "--hash", "pdq:" + kBridgePdq}, "no bank named 'nope'"},
      {{}, "nothing to match"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"match", "--data", data_};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = vigil(args);
    EXPECT_EQ(r.status, 2) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  const auto r = vigil({"match", "--data", (tmp_ / "no-such-dir").string(), "--hash", "pdq:" + kBridgePdq});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

TEST_F(MatchCommand, UnreadableFilesAreReportedAndTheRestMatched) {
  known_bank();
  const auto junk = write("not-an-image.jpg", "this is text, not a JPEG");
  const auto r = vigil({"match", "--data", data_, junk.string(), (kPdqData / "bridge-mods/aaa-orig.jpg").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(lines(r.out), 2u) << r.out;  // header + the bridge match
  EXPECT_NE(r.err.find("not-an-image.jpg"), std::string::npos) << r.err;
}

TEST_F(MatchCommand, AllowBankSuppressesAndSaysSo) {
  known_bank();
  ok({"bank", "create", "--data", data_, "benign", "--kind", "allow", "--threshold", "10"});
  const auto list = write("allow.txt", "pdq " + kBridgePdq + "\n");
  ok({"bank", "import", "--data", data_, "benign", list.string(), "--format", "plain"});
  const auto r = vigil({"match", "--data", data_, "--json", (kPdqData / "bridge-mods/aaa-orig.jpg").string()});
  EXPECT_EQ(r.status, 1) << r.err;  // suppressed: nothing matched
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["status"], "suppressed");
  EXPECT_EQ(rows[0]["suppressed_by"]["bank"], "benign");
  EXPECT_EQ(rows[1]["status"], "allow");
  EXPECT_EQ(rows[1]["bank"], "benign");
}

TEST_F(MatchCommand, CorruptOrStaleSnapshotIsRebuilt) {
  known_bank();
  const std::vector<std::string> args{"match", "--data", data_, "--hash", "pdq:" + kBridgePdq};
  ASSERT_EQ(vigil(args).status, 0);
  const auto snap = fs::path(data_) / "match-index.snapshot";
  ASSERT_TRUE(fs::exists(snap));
  std::string bytes = slurp(snap);
  for (std::size_t i = 40; i < bytes.size(); i += 97) bytes[i] ^= 0x5a;
  std::ofstream(snap, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_EQ(vigil(args).status, 0);
  fs::resize_file(snap, 17);
  EXPECT_EQ(vigil(args).status, 0);
  // Stale: the entry is disabled after the snapshot was written; it must not match.
  const auto list = json_lines(vigil({"match", "--data", data_, "--json", "--hash", "pdq:" + kBridgePdq}).out);
  ASSERT_EQ(list.size(), 1u);
  ok({"bank", "disable", "--data", data_, "known", "--entry", std::to_string(list[0]["entry"].get<long long>()),
      "--reason", "test"});
  EXPECT_EQ(vigil(args).status, 1);
  EXPECT_EQ(vigil({"match", "--data", data_, "--no-snapshot", "--hash", "pdq:" + kBridgePdq}).status, 1);
}

}  // namespace
