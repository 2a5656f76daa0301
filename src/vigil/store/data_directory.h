#pragma once
// The `--data DIR` layout shared by every command and the service:
//
//   DIR/            created with mode 0700 (it holds hash lists and, later, case data)
//   DIR/vigil.db    the SQLite store (WAL: vigil.db-wal and vigil.db-shm appear next to it)
//
// SQLite's own locking serialises writers across processes, so there is no separate lock file.
#include <filesystem>

namespace vigil::store {

class DataDirectory {
 public:
  enum class Mode { open_existing, create_if_missing };

  // Throws vigil::Error naming the path if DIR is missing (open_existing), is not a directory,
  // cannot be created, or holds a `vigil.db` that is not a regular file.
  DataDirectory(const std::filesystem::path& dir, Mode mode);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path store_path() const { return root_ / kStoreFileName; }
  bool store_exists() const;

  static constexpr const char* kStoreFileName = "vigil.db";

 private:
  std::filesystem::path root_;
};

}  // namespace vigil::store
