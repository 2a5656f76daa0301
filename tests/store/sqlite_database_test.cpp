#include "vigil/store/sqlite_database.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "vigil/common/error.h"

namespace vigil::store {
namespace {

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-sqlite-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

const std::vector<Migration> kWidgets = {
    {1, "CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"},
    {2, "ALTER TABLE widgets ADD COLUMN size INTEGER NOT NULL DEFAULT 0"},
};

TEST_F(SqliteDatabaseTest, MigratesOncePerComponentAndPersists) {
  const auto path = dir_ / "v.db";
  {
    SqliteDatabase db(path);
    db.migrate("widgets", kWidgets);
    EXPECT_EQ(db.schema_version("widgets"), 2);
    EXPECT_EQ(db.schema_version("other"), 0);
    db.prepare("INSERT INTO widgets(name, size) VALUES(?, ?)").bind(1, "a").bind(2, 7).run();
  }
  SqliteDatabase db(path);
  db.migrate("widgets", kWidgets);  // no-op: already at 2
  auto st = db.prepare("SELECT name, size FROM widgets");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "a");
  EXPECT_EQ(st.column_int(1), 7);
  EXPECT_FALSE(st.step());
}

TEST_F(SqliteDatabaseTest, RefusesSchemaNewerThanKnown) {
  const auto path = dir_ / "v.db";
  {
    SqliteDatabase db(path);
    db.migrate("widgets", kWidgets);
  }
  SqliteDatabase db(path);
  try {
    db.migrate("widgets", {kWidgets[0]});
    FAIL() << "expected refusal";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("version 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
  }
  EXPECT_EQ(db.schema_version("widgets"), 2);
}

TEST_F(SqliteDatabaseTest, TransactionRollsBackOnThrow) {
  SqliteDatabase db(dir_ / "v.db");
  db.migrate("widgets", kWidgets);
  EXPECT_THROW(db.transaction([&] {
    db.prepare("INSERT INTO widgets(name) VALUES('x')").run();
    db.transaction([&] { db.prepare("INSERT INTO widgets(name) VALUES('y')").run(); });
    db.prepare("INSERT INTO widgets(name) VALUES('x')").run();  // UNIQUE violation
  }),
               Error);
  auto st = db.prepare("SELECT COUNT(*) FROM widgets");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 0);
}

TEST_F(SqliteDatabaseTest, NotADatabaseIsAClearError) {
  const auto path = dir_ / "junk.db";
  std::ofstream(path) << std::string(4096, 'x');
  try {
    SqliteDatabase db(path);
    db.migrate("widgets", kWidgets);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a database"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vigil::store
