#include "vigil/store/data_directory.h"

#include <fmt/format.h>

#include <system_error>

#include "vigil/common/error.h"

namespace vigil::store {

namespace fs = std::filesystem;

DataDirectory::DataDirectory(const fs::path& dir, Mode mode) : root_(dir) {
  if (dir.empty()) throw Error("the data directory path is empty");
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) {
    if (mode == Mode::open_existing) {
      throw Error(fmt::format("data directory {} does not exist (create a bank first, or pass --data DIR)",
                              dir.string()));
    }
    fs::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cannot create data directory {}: {}", dir.string(), ec.message()));
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) throw Error(fmt::format("cannot restrict permissions of data directory {}: {}", dir.string(), ec.message()));
  } else if (ec) {
    throw Error(fmt::format("cannot access data directory {}: {}", dir.string(), ec.message()));
  } else if (status.type() != fs::file_type::directory) {
    throw Error(fmt::format("data directory {} exists but is not a directory", dir.string()));
  }
  const auto store_status = fs::status(store_path(), ec);
  if (store_status.type() != fs::file_type::not_found && store_status.type() != fs::file_type::regular) {
    throw Error(fmt::format("store {} exists but is not a regular file", store_path().string()));
  }
}

bool DataDirectory::store_exists() const {
  std::error_code ec;
  return fs::is_regular_file(store_path(), ec);
}

}  // namespace vigil::store
