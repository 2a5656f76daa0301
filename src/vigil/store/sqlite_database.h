#pragma once
// A thin RAII layer over one SQLite file: WAL journal, foreign keys on, a busy timeout, prepared
// statements, transactions, and versioned schema migrations kept per component (so the bank
// store and the service's queue evolve their own tables independently in one file).
//
// Errors become vigil::Error with SQLite's message and the file path. A file whose schema for a
// component is newer than this build knows is refused, never "downgraded".
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::store {

class SqliteDatabase;

// A prepared statement. Bind indices are 1-based as in SQLite; column indices 0-based.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDatabase& db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;

  SqliteStatement& bind(int index, std::int64_t value);
  SqliteStatement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  SqliteStatement& bind(int index, double value);
  SqliteStatement& bind(int index, std::string_view text);
  SqliteStatement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  SqliteStatement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  SqliteStatement& bind_blob(int index, const void* data, std::size_t size);
  SqliteStatement& bind_null(int index);
  template <typename T>
  SqliteStatement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances to the next row; false when done. Throws on error.
  bool step();
  // Runs a statement that returns no rows (or ignores them).
  void run();
  void reset();

  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::vector<std::uint8_t> column_blob(int column) const;
  std::optional<std::string> column_optional_text(int column) const;
  std::optional<std::int64_t> column_optional_int(int column) const;

  sqlite3_stmt* handle() { return stmt_; }

 private:
  SqliteDatabase* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// One schema step: applied once, in order, inside a transaction.
struct Migration {
  int version;           // 1, 2, 3, ... per component
  std::string sql;       // one or more statements
};

class SqliteDatabase {
 public:
  // Opens (creating if needed) the file. ":memory:" works for tests.
  explicit SqliteDatabase(const std::filesystem::path& path);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Brings `component`'s schema up to the newest migration. Throws if the file holds a newer
  // version of it than `migrations` knows (a store from a newer Vigil), naming both versions.
  void migrate(std::string_view component, const std::vector<Migration>& migrations);
  int schema_version(std::string_view component);

  void exec(std::string_view sql);
  SqliteStatement prepare(std::string_view sql) { return SqliteStatement(*this, sql); }
  std::int64_t last_insert_rowid() const;
  int changes() const;

  // Runs fn inside BEGIN IMMEDIATE ... COMMIT; rolls back and rethrows if fn throws.
  // Nested calls join the outer transaction.
  void transaction(const std::function<void()>& fn);

  sqlite3* handle() { return db_; }
  const std::filesystem::path& path() const { return path_; }
  [[noreturn]] void fail(std::string_view what, int rc) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  int transaction_depth_ = 0;
};

}  // namespace vigil::store
