#include "vigil/store/sqlite_database.h"

#include <fmt/format.h>

#include "vigil/common/error.h"

namespace vigil::store {

SqliteStatement::SqliteStatement(SqliteDatabase& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(fmt::format("preparing '{}'", sql.substr(0, 60)), rc);
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

#define VIGIL_SQLITE_BIND(call)                                   \
  do {                                                            \
    const int rc_ = (call);                                       \
    if (rc_ != SQLITE_OK) db_->fail("binding a parameter", rc_);  \
  } while (0)

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
  VIGIL_SQLITE_BIND(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}
SqliteStatement& SqliteStatement::bind(int index, double value) {
  VIGIL_SQLITE_BIND(sqlite3_bind_double(stmt_, index, value));
  return *this;
}
SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
  // An empty std::string_view may have a null data(), which SQLite would bind as NULL, not ''.
  VIGIL_SQLITE_BIND(sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "", text.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
  return *this;
}
SqliteStatement& SqliteStatement::bind_blob(int index, const void* data, std::size_t size) {
  VIGIL_SQLITE_BIND(sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT));
  return *this;
}
SqliteStatement& SqliteStatement::bind_null(int index) {
  VIGIL_SQLITE_BIND(sqlite3_bind_null(stmt_, index));
  return *this;
}
#undef VIGIL_SQLITE_BIND

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  db_->fail("executing a statement", rc);
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool SqliteStatement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::int64_t SqliteStatement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
double SqliteStatement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string SqliteStatement::column_text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}
std::vector<std::uint8_t> SqliteStatement::column_blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}
std::optional<std::string> SqliteStatement::column_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_text(column);
}
std::optional<std::int64_t> SqliteStatement::column_optional_int(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_int(column);
}

SqliteDatabase::SqliteDatabase(const std::filesystem::path& path) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("cannot open store {}: {}", path.string(), msg));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  try {
    // A file that is not a database fails here, on first read, with SQLITE_NOTADB.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA foreign_keys=ON");
    exec("PRAGMA synchronous=NORMAL");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

void SqliteDatabase::fail(std::string_view what, int rc) const {
  throw Error(fmt::format("store {}: {} failed: {} ({})", path_.string(), what,
                          db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc), sqlite3_errstr(rc)));
}

void SqliteDatabase::exec(std::string_view sql) {
  std::string owned(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw Error(fmt::format("store {}: {}", path_.string(), msg));
  }
}

std::int64_t SqliteDatabase::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDatabase::changes() const { return sqlite3_changes(db_); }

void SqliteDatabase::transaction(const std::function<void()>& fn) {
  if (transaction_depth_ > 0) {
    ++transaction_depth_;
    try {
      fn();
    } catch (...) {
      --transaction_depth_;
      throw;
    }
    --transaction_depth_;
    return;
  }
  exec("BEGIN IMMEDIATE");
  transaction_depth_ = 1;
  try {
    fn();
    exec("COMMIT");
    transaction_depth_ = 0;
  } catch (...) {
    transaction_depth_ = 0;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

int SqliteDatabase::schema_version(std::string_view component) {
  exec("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
  auto st = prepare("SELECT version FROM schema_versions WHERE component = ?");
  st.bind(1, component);
  return st.step() ? static_cast<int>(st.column_int(0)) : 0;
}

void SqliteDatabase::migrate(std::string_view component, const std::vector<Migration>& migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;
  transaction([&] {
    const int current = schema_version(component);
    if (current > known) {
      throw Error(fmt::format(
          "store {} holds '{}' schema version {}, newer than this build of Vigil knows ({}); "
          "upgrade Vigil to open it",
          path_.string(), component, current, known));
    }
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      exec(m.sql);
      auto st = prepare(
          "INSERT INTO schema_versions(component, version) VALUES(?, ?) "
          "ON CONFLICT(component) DO UPDATE SET version = excluded.version");
      st.bind(1, component).bind(2, m.version).run();
    }
  });
}

}  // namespace vigil::store
