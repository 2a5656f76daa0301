// `vigil bank ...` run as a subprocess (VIGIL_CLI_PATH) against a data directory in a temp folder.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/store/sqlite_database.h"

namespace {
namespace fs = std::filesystem;

const fs::path kData = fs::path(VIGIL_TESTDATA_DIR) / "store";
constexpr const char* kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class BankCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::temp_directory_path() / ("vigil-h3-cli-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
    data_ = (tmp_ / "data").string();
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Runs vigil with args (plus --data DIR unless no_data); stdin from `input`; cwd = tmp_.
  RunResult vigil(std::vector<std::string> args, const std::string& input = {}, bool no_data = false) {
    if (!no_data) {
      args.push_back("--data");
      args.push_back(data_);
    }
    const fs::path in = tmp_ / "stdin", out = tmp_ / "stdout", err = tmp_ / "stderr";
    { std::ofstream(in, std::ios::binary) << input; }
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::chdir(tmp_.c_str()) != 0) ::_exit(127);
      const int fi = ::open(in.c_str(), O_RDONLY);
      const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fi, 0);
      ::dup2(fo, 1);
      ::dup2(fe, 2);
      std::vector<char*> argv{const_cast<char*>(VIGIL_CLI_PATH)};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(VIGIL_CLI_PATH, argv.data());
      ::_exit(127);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    RunResult r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  nlohmann::json show(const std::string& bank) {
    const auto r = vigil({"bank", "show", bank, "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  std::string export_bank(const std::string& bank, const std::string& format = "jsonl") {
    const auto r = vigil({"bank", "export", bank, "--format", format});
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  fs::path tmp_;
  std::string data_;
};

std::string without_entry_ids(const std::string& jsonl) {
  std::string out;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    j.erase("entry_id");
    out += j.dump() + "\n";
  }
  return out;
}

TEST_F(BankCommandTest, LifecycleCreateImportShowExportDisableEnableDelete) {
  auto r = vigil({"bank", "create", "known", "--label", "A1", "--threshold", "20", "--description", "test images"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(fs::path(data_) / "vigil.db"));
  EXPECT_EQ(fs::status(data_).permissions() & fs::perms::all, fs::perms::owner_all);
  r = vigil({"bank", "create", "memes", "--kind", "allow"});
  ASSERT_EQ(r.status, 0) << r.err;

  r = vigil({"bank", "import", "known", (kData / "plain_mixed.txt").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("4 records, 4 added, 0 duplicates merged"), std::string::npos) << r.out;
  r = vigil({"bank", "import", "known", (kData / "te_dataset.csv").string(), "--label", "te"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("3 records, 1 added, 2 duplicates merged"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("ignored columns: collab, category"), std::string::npos) << r.err;

  auto j = show("known");
  EXPECT_EQ(j["entries"], 5);
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["pdq_threshold"], 20);
  EXPECT_EQ(j["min_quality"], 50);
  EXPECT_EQ(j["kind"], "match");
  EXPECT_EQ(j["default_labels"], nlohmann::json::array({"A1"}));
  EXPECT_EQ(j["by_signal_type"]["pdq"], 3);
  EXPECT_EQ(j["by_signal_type"]["sha1"], 1);

  r = vigil({"bank", "list", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "known");
  EXPECT_EQ(list[1]["name"], "memes");
  EXPECT_EQ(list[1]["kind"], "allow");
  r = vigil({"bank", "list"});
  EXPECT_EQ(r.out.rfind("NAME", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("memes  allow"), std::string::npos) << r.out;

  // Disable one entry by id (from the export), with a reason.
  const auto exported = export_bank("known");
  const auto first = nlohmann::json::parse(exported.substr(0, exported.find('\n')));
  const std::string id = std::to_string(first["entry_id"].get<long long>());
  r = vigil({"bank", "disable", "known", "--entry", id});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("needs --reason"), std::string::npos) << r.err;
  r = vigil({"bank", "disable", "known", "--entry", id, "--reason", "matches a stock photo"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = vigil({"bank", "disable", "memes", "--entry", id, "--reason", "x"});  // not this bank's entry
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bank 'memes' has no entry with id " + id), std::string::npos) << r.err;
  j = show("known");
  EXPECT_EQ(j["disabled_entries"], 1);
  EXPECT_EQ(j["version"], 4);
  const auto after = export_bank("known");
  EXPECT_NE(after.find("\"disabled\":true,\"disabled_reason\":\"matches a stock photo\""), std::string::npos);
  EXPECT_EQ(vigil({"bank", "export", "known", "--enabled-only"}).out.find("stock photo"), std::string::npos);
  r = vigil({"bank", "enable", "known", "--entry", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(show("known")["disabled_entries"], 0);

  // Whole bank.
  ASSERT_EQ(vigil({"bank", "disable", "known"}).status, 0);
  EXPECT_EQ(show("known")["enabled"], false);
  ASSERT_EQ(vigil({"bank", "enable", "known"}).status, 0);
  EXPECT_EQ(show("known")["enabled"], true);

  r = vigil({"bank", "delete", "known"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("holds 5 entries; pass --yes"), std::string::npos) << r.err;
  ASSERT_EQ(vigil({"bank", "delete", "known", "--yes"}).status, 0);
  r = vigil({"bank", "show", "known"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no bank named 'known'"), std::string::npos) << r.err;
  ASSERT_EQ(vigil({"bank", "delete", "memes"}).status, 0);  // empty: no --yes needed
}

TEST_F(BankCommandTest, ExportRoundTripsLosslesslyThroughEveryFullFormat) {
  ASSERT_EQ(vigil({"bank", "create", "src"}).status, 0);
  const std::string jsonl =
      "{\"signal_type\":\"pdq\",\"value\":\"d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22\","
      "\"quality\":100,\"labels\":[\"A1\",\"meme\"],\"source_id\":\"te:42\",\"added_at\":1600000000,"
      "\"added_by\":\"analyst\",\"note\":\"a note, with \\\"quotes\\\"\\nand a newline\",\"disabled\":true,"
      "\"disabled_reason\":\"stock photo\",\"curation\":\"disputed\"}\n"
      "{\"signal_type\":\"md5\",\"value\":\"d41d8cd98f00b204e9800998ecf8427e\",\"curation\":\"confirmed\","
      "\"added_at\":1600000001}\n";
  auto r = vigil({"bank", "import", "src", "-", "--format", "jsonl"}, jsonl);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto original = without_entry_ids(export_bank("src"));
  for (const std::string format : {"jsonl", "csv", "tsv"}) {
    SCOPED_TRACE(format);
    const std::string bank = "copy-" + format;
    ASSERT_EQ(vigil({"bank", "create", bank}).status, 0);
    const fs::path file = tmp_ / ("export." + format);
    r = vigil({"bank", "export", "src", file.string()});  // format from the extension
    ASSERT_EQ(r.status, 0) << r.err;
    r = vigil({"bank", "import", bank, file.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(without_entry_ids(export_bank(bank)), original);
  }
}

TEST_F(BankCommandTest, ABadLastLineAbortsTheImportAndLeavesTheStoreUnchanged) {
  ASSERT_EQ(vigil({"bank", "create", "b"}).status, 0);
  ASSERT_EQ(vigil({"bank", "import", "b", "-", "--type", "md5"}, std::string(kEmptyMd5) + "\n").status, 0);
  const auto before = export_bank("b");
  const auto version = show("b")["version"];

  auto r = vigil({"bank", "import", "b", (kData / "plain_bad_last.txt").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("plain_bad_last.txt: line 4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;
  EXPECT_EQ(export_bank("b"), before);
  EXPECT_EQ(show("b")["version"], version);

  r = vigil({"bank", "import", "b", (kData / "plain_bad_last.txt").string(), "--skip-bad"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("line 4:"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("4 records, 2 added, 1 duplicates merged, 1 bad lines skipped"), std::string::npos) << r.out;
  EXPECT_EQ(show("b")["entries"], 3);
}

TEST_F(BankCommandTest, BadInputIsAClearErrorAndChangesNothing) {
  ASSERT_EQ(vigil({"bank", "create", "b"}).status, 0);
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"md5 d41d8cd98f00b204e9800998ecf8427z\n", "line 1: md5 value: character 'z' at position 32 is not a hex digit"},
      {"sha1 d41d8cd98f00b204e9800998ecf8427e\n", "line 1: sha1 value has 32 hex digits, expected 40"},
      {"vpdq d41d8cd98f00b204e9800998ecf8427e\n", "line 1: unknown signal type 'vpdq'"},
      {"{\"value\": \"d41d8cd98f00b204e9800998ecf8427e\", \"quality\": \"high\"}\n", "line 1: 'quality' must be"},
  };
  for (const auto& c : cases) {
    const auto r = vigil({"bank", "import", "b", "-"}, c.input);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  }
  EXPECT_EQ(show("b")["entries"], 0);
  EXPECT_EQ(show("b")["version"], 1);

  auto r = vigil({"bank", "import", "missing", "-"}, std::string(kEmptyMd5) + "\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no bank named 'missing'"), std::string::npos) << r.err;
  r = vigil({"bank", "import", "b", (tmp_ / "nope.txt").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos) << r.err;
  r = vigil({"bank", "create", "x", "--threshold", "64"});
  EXPECT_EQ(r.status, 2);
  r = vigil({"bank", "list"}, {}, true);  // default ./vigil-data, which does not exist here
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("data directory ./vigil-data does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(show("b")["version"], 1);
}

TEST_F(BankCommandTest, CurateAnEntryAndChangeBankSettings) {
  ASSERT_EQ(vigil({"bank", "create", "b", "--label", "A1"}).status, 0);
  ASSERT_EQ(vigil({"bank", "import", "b", "-", "--type", "md5"}, std::string(kEmptyMd5) + "\n").status, 0);
  const auto first = nlohmann::json::parse(export_bank("b"));
  const std::string id = std::to_string(first["entry_id"].get<long long>());
  auto r = vigil({"bank", "curate", "b", "--entry", id, "--state", "confirmed"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(export_bank("b"))["curation"], "confirmed");
  r = vigil({"bank", "curate", "b", "--entry", id, "--state", "maybe"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("'maybe' is not unreviewed, confirmed or disputed"), std::string::npos) << r.err;

  r = vigil({"bank", "set", "b", "--threshold", "12", "--min-quality", "70", "--label", "B2"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = show("b");
  EXPECT_EQ(j["pdq_threshold"], 12);
  EXPECT_EQ(j["min_quality"], 70);
  EXPECT_EQ(j["default_labels"], nlohmann::json::array({"A1", "B2"}));
  EXPECT_EQ(j["version"], 4);
  r = vigil({"bank", "set", "b", "--clear-labels", "--label", "C3"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(show("b")["default_labels"], nlohmann::json::array({"C3"}));
  r = vigil({"bank", "set", "b"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("nothing to change"), std::string::npos) << r.err;
  EXPECT_EQ(show("b")["version"], 5);
}

TEST_F(BankCommandTest, DefaultDataDirectoryIsVigilDataInTheWorkingDirectory) {
  ASSERT_EQ(vigil({"bank", "create", "here"}, {}, true).status, 0);
  EXPECT_TRUE(fs::is_regular_file(tmp_ / "vigil-data" / "vigil.db"));
  const auto r = vigil({"bank", "list", "--json"}, {}, true);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at(0)["name"], "here");
}

TEST_F(BankCommandTest, RefusesAStoreFromANewerVigil) {
  ASSERT_EQ(vigil({"bank", "create", "b"}).status, 0);
  {
    vigil::store::SqliteDatabase db(fs::path(data_) / "vigil.db");
    db.exec("UPDATE schema_versions SET version = 7 WHERE component = 'banks'");
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"bank", "list"}, {"bank", "import", "b", "-"}, {"bank", "create", "c"}}) {
    const auto r = vigil(args, std::string(kEmptyMd5) + "\n");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("'banks' schema version 7, newer than this build of Vigil knows (1)"), std::string::npos)
        << r.err;
  }
  vigil::store::SqliteDatabase db(fs::path(data_) / "vigil.db");
  EXPECT_EQ(db.schema_version("banks"), 7);
  auto st = db.prepare("SELECT COUNT(*) FROM banks");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 1);
}

TEST_F(BankCommandTest, AStoreFileThatIsNotADatabase) {
  fs::create_directories(data_);
  const fs::path db = fs::path(data_) / "vigil.db";
  { std::ofstream(db, std::ios::binary) << "name,value\nthis is a CSV file, not a database\n" << std::string(2000, 'z'); }
  const auto bytes = slurp(db);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"bank", "list"}, {"bank", "create", "c"}}) {
    const auto r = vigil(args);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("not a database"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  }
  EXPECT_EQ(slurp(db), bytes);
}

}  // namespace
