#include "vigil/store/data_directory.h"

#include <gtest/gtest.h>

#include <fstream>

#include "bank_test_util.h"
#include "vigil/common/error.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

using testing::error_of;

TEST(DataDirectory, CreatesAPrivateDirectoryOnlyWhenAsked) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "a" / "data";
  EXPECT_NE(error_of([&] { DataDirectory d(dir, DataDirectory::Mode::open_existing); }).find("does not exist"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir));
  DataDirectory d(dir, DataDirectory::Mode::create_if_missing);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(d.store_path(), dir / "vigil.db");
  EXPECT_FALSE(d.store_exists());
  { std::ofstream(d.store_path()) << ""; }
  EXPECT_TRUE(DataDirectory(dir, DataDirectory::Mode::open_existing).store_exists());
}

TEST(DataDirectory, RefusesAFileOrAStoreThatIsADirectory) {
  TempDir tmp;
  const fs::path file = tmp.path() / "file";
  { std::ofstream(file) << "x"; }
  EXPECT_NE(error_of([&] { DataDirectory d(file, DataDirectory::Mode::create_if_missing); })
                .find("exists but is not a directory"),
            std::string::npos);
  fs::create_directories(tmp.path() / "d" / "vigil.db");
  EXPECT_NE(error_of([&] { DataDirectory d(tmp.path() / "d", DataDirectory::Mode::open_existing); })
                .find("is not a regular file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { DataDirectory d("", DataDirectory::Mode::create_if_missing); }).find("empty"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil::store
