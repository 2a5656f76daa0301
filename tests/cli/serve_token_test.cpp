// `vigil token create|list|revoke`: the secret is printed once and never listed; revocation
// and bad input give clear errors; `vigil serve` refuses a bad config file naming the key.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string out;
};

Result run(const std::string& args) {
  Result r;
  FILE* p = popen((std::string(VIGIL_CLI_PATH) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) r.out += buf;
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class ServeTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("vigil-token-" + std::to_string(rd()) + std::to_string(rd()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ServeTokenTest, CreateListRevoke) {
  const std::string data = " --data " + dir_.string();
  Result created = run("token create --role reviewer --name alice" + data);
  ASSERT_EQ(created.status, 0) << created.out;
  const auto pos = created.out.find("vgl_");
  ASSERT_NE(pos, std::string::npos);
  const std::string secret = created.out.substr(pos, 47);

  Result listed = run("token list" + data);
  EXPECT_EQ(listed.status, 0);
  EXPECT_NE(listed.out.find("alice\treviewer"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("active"), std::string::npos);
  EXPECT_EQ(listed.out.find(secret), std::string::npos);  // never listed

  Result dup = run("token create --role ingest --name alice" + data);
  EXPECT_EQ(dup.status, 2);
  EXPECT_NE(dup.out.find("already exists"), std::string::npos) << dup.out;

  EXPECT_EQ(run("token revoke --name alice" + data).status, 0);
  EXPECT_NE(run("token list" + data).out.find("revoked"), std::string::npos);
  Result again = run("token revoke --name alice" + data);
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.out.find("no active token named 'alice'"), std::string::npos) << again.out;

  Result bad_role = run("token create --role boss --name bob" + data);
  EXPECT_EQ(bad_role.status, 2);
  EXPECT_NE(bad_role.out.find("--role must be one of"), std::string::npos) << bad_role.out;

  // The secret is stored only as a hash: it does not appear in the store file.
  for (const char* name : {"vigil.db", "vigil.db-wal"}) {
    std::ifstream db(dir_ / name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(secret), std::string::npos) << name;
  }
}

TEST_F(ServeTokenTest, ServeRefusesABadConfigNamingTheKey) {
  fs::create_directories(dir_);
  {
    std::ofstream cfg(dir_ / "bad.toml");
    cfg << "[queue]\nworkerz = 3\n";
  }
  Result r = run("serve --data " + (dir_ / "data").string() + " --config " + (dir_ / "bad.toml").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("unknown setting queue.workerz"), std::string::npos) << r.out;
  Result listen = run("serve --data " + (dir_ / "data").string() + " --listen nonsense");
  EXPECT_EQ(listen.status, 2);
  EXPECT_NE(listen.out.find("must be host:port"), std::string::npos) << listen.out;
}

}  // namespace
