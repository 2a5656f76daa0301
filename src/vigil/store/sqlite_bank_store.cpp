#include "vigil/store/sqlite_bank_store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

#include "vigil/common/error.h"

namespace vigil::store {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE banks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  kind TEXT NOT NULL CHECK (kind IN ('match', 'allow')),
  pdq_threshold INTEGER NOT NULL CHECK (pdq_threshold BETWEEN 0 AND 63),
  min_quality INTEGER NOT NULL CHECK (min_quality BETWEEN 0 AND 100),
  source TEXT NOT NULL CHECK (source IN ('manual', 'file_import', 'exchange')),
  default_labels TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE bank_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
  signal_type TEXT NOT NULL,
  value TEXT NOT NULL,
  quality INTEGER CHECK (quality IS NULL OR quality BETWEEN 0 AND 100),
  labels TEXT NOT NULL DEFAULT '[]',
  source_id TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  disabled_reason TEXT NOT NULL DEFAULT '',
  curation TEXT NOT NULL DEFAULT 'unreviewed' CHECK (curation IN ('unreviewed', 'confirmed', 'disputed')),
  changed_version INTEGER NOT NULL,
  UNIQUE (bank_id, signal_type, value)
);
CREATE INDEX bank_entries_by_change ON bank_entries (bank_id, changed_version);
CREATE TABLE bank_entry_tombstones (
  bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
  entry_id INTEGER NOT NULL,
  signal_type TEXT NOT NULL,
  value TEXT NOT NULL,
  deleted_version INTEGER NOT NULL
);
CREATE INDEX bank_entry_tombstones_by_version ON bank_entry_tombstones (bank_id, deleted_version);
)sql";

constexpr const char* kBankColumns =
    "id, name, description, enabled, kind, pdq_threshold, min_quality, source, default_labels, created_at, "
    "updated_at, version";
constexpr const char* kEntryColumns =
    "id, bank_id, signal_type, value, quality, labels, source_id, added_at, added_by, note, disabled, "
    "disabled_reason, curation";

std::string labels_to_json(const std::vector<std::string>& labels) { return nlohmann::json(labels).dump(); }

std::vector<std::string> labels_from_json(const std::string& text) {
  std::vector<std::string> out;
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) throw Error("store: a labels column does not hold a JSON array");
  for (const auto& item : j) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

Bank read_bank(const SqliteStatement& st) {
  Bank b;
  b.id = st.column_int(0);
  b.name = st.column_text(1);
  b.description = st.column_text(2);
  b.enabled = st.column_int(3) != 0;
  b.kind = parse_bank_kind(st.column_text(4)).value_or(BankKind::match);
  b.pdq_threshold = static_cast<int>(st.column_int(5));
  b.min_quality = static_cast<int>(st.column_int(6));
  b.source = parse_bank_source(st.column_text(7)).value_or(BankSource::manual);
  b.default_labels = labels_from_json(st.column_text(8));
  b.created_at = st.column_int(9);
  b.updated_at = st.column_int(10);
  b.version = st.column_int(11);
  return b;
}

BankEntry read_entry(const SqliteStatement& st) {
  BankEntry e;
  e.id = st.column_int(0);
  e.bank_id = st.column_int(1);
  const auto type_name = st.column_text(2);
  const auto type = parse_signal_type(type_name);
  if (!type) throw Error(fmt::format("store: entry {} has an unknown signal type '{}'", e.id, type_name));
  e.signal_type = *type;
  e.value = st.column_text(3);
  if (auto q = st.column_optional_int(4)) e.quality = static_cast<int>(*q);
  e.labels = labels_from_json(st.column_text(5));
  e.source_id = st.column_text(6);
  e.added_at = st.column_int(7);
  e.added_by = st.column_text(8);
  e.note = st.column_text(9);
  e.disabled = st.column_int(10) != 0;
  e.disabled_reason = st.column_text(11);
  e.curation = parse_curation_state(st.column_text(12)).value_or(CurationState::unreviewed);
  return e;
}

}  // namespace

const std::vector<Migration>& SqliteBankStore::migrations() {
  static const std::vector<Migration> kMigrations = {{1, kSchemaV1}};
  return kMigrations;
}

SqliteBankStore::SqliteBankStore(SqliteDatabase& db, Clock clock) : db_(db), clock_(std::move(clock)) {
  // Check the schema version with a plain read first: migrate() takes the write lock, which a
  // long import in another process may hold for longer than the busy timeout, and a store that
  // is already current needs no lock at all.
  std::optional<std::int64_t> current;
  {
    auto has_table = db_.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'");
    if (has_table.step()) {
      auto st = db_.prepare("SELECT version FROM schema_versions WHERE component = 'banks'");
      if (st.step()) current = st.column_int(0);
    }
  }
  if (!current || *current != migrations().back().version) db_.migrate("banks", migrations());
}

std::int64_t SqliteBankStore::now() const {
  return clock_ ? clock_() : static_cast<std::int64_t>(std::time(nullptr));
}

void SqliteBankStore::read_snapshot(const std::function<void()>& fn) {
  if (!sqlite3_get_autocommit(db_.handle())) {  // already inside a transaction: it is the snapshot
    fn();
    return;
  }
  db_.exec("BEGIN DEFERRED");
  try {
    fn();
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  db_.exec("COMMIT");
}

Bank SqliteBankStore::require_bank(std::int64_t id) {
  auto bank = find_bank(id);
  if (!bank) throw Error(fmt::format("no bank with id {}", id));
  return *bank;
}

BankEntry SqliteBankStore::require_entry(std::int64_t entry_id) {
  auto entry = find_entry(entry_id);
  if (!entry) throw Error(fmt::format("no bank entry with id {}", entry_id));
  return *entry;
}

std::int64_t SqliteBankStore::bump_version(std::int64_t bank_id) {
  auto st = db_.prepare("UPDATE banks SET version = version + 1, updated_at = ? WHERE id = ? RETURNING version");
  st.bind(1, now()).bind(2, bank_id);
  if (!st.step()) throw Error(fmt::format("no bank with id {}", bank_id));
  const auto version = st.column_int(0);
  st.reset();
  return version;
}

Bank SqliteBankStore::create_bank(const Bank& spec) {
  validate_bank(spec);
  std::int64_t id = 0;
  db_.transaction([&] {
    if (find_bank(std::string_view(spec.name))) throw Error(fmt::format("a bank named '{}' already exists", spec.name));
    const auto t = now();
    auto st = db_.prepare(
        "INSERT INTO banks (name, description, enabled, kind, pdq_threshold, min_quality, source, default_labels, "
        "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)");
    st.bind(1, spec.name)
        .bind(2, spec.description)
        .bind(3, spec.enabled ? 1 : 0)
        .bind(4, to_string(spec.kind))
        .bind(5, spec.pdq_threshold)
        .bind(6, spec.min_quality)
        .bind(7, to_string(spec.source))
        .bind(8, labels_to_json(spec.default_labels))
        .bind(9, t)
        .bind(10, t)
        .run();
    id = db_.last_insert_rowid();
  });
  return require_bank(id);
}

Bank SqliteBankStore::update_bank(const Bank& bank) {
  validate_bank(bank);
  db_.transaction([&] {
    const Bank current = require_bank(bank.id);
    if (bank.name != current.name) {
      if (find_bank(std::string_view(bank.name))) {
        throw Error(fmt::format("a bank named '{}' already exists", bank.name));
      }
    }
    bump_version(bank.id);
    auto st = db_.prepare(
        "UPDATE banks SET name = ?, description = ?, enabled = ?, pdq_threshold = ?, min_quality = ?, "
        "default_labels = ? WHERE id = ?");
    st.bind(1, bank.name)
        .bind(2, bank.description)
        .bind(3, bank.enabled ? 1 : 0)
        .bind(4, bank.pdq_threshold)
        .bind(5, bank.min_quality)
        .bind(6, labels_to_json(bank.default_labels))
        .bind(7, bank.id)
        .run();
  });
  return require_bank(bank.id);
}

void SqliteBankStore::delete_bank(std::string_view name) {
  db_.transaction([&] {
    auto st = db_.prepare("DELETE FROM banks WHERE name = ?");
    st.bind(1, name).run();
    if (db_.changes() == 0) throw Error(fmt::format("no bank named '{}'", name));
  });
}

std::optional<Bank> SqliteBankStore::find_bank(std::string_view name) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM banks WHERE name = ?", kBankColumns));
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_bank(st);
}

std::optional<Bank> SqliteBankStore::find_bank(std::int64_t id) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM banks WHERE id = ?", kBankColumns));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_bank(st);
}

std::vector<Bank> SqliteBankStore::list_banks() {
  std::vector<Bank> out;
  auto st = db_.prepare(fmt::format("SELECT {} FROM banks ORDER BY name", kBankColumns));
  while (st.step()) out.push_back(read_bank(st));
  return out;
}

AddEntriesResult SqliteBankStore::add_entries(std::int64_t bank_id, const std::vector<BankEntry>& entries) {
  std::size_t next = 0;
  return add_entries_from(bank_id, [&](BankEntry& e) {
    if (next == entries.size()) return false;
    e = entries[next++];
    return true;
  });
}

AddEntriesResult SqliteBankStore::add_entries_from(std::int64_t bank_id, const std::function<bool(BankEntry&)>& next) {
  AddEntriesResult result;
  db_.transaction([&] {
    const Bank bank = require_bank(bank_id);
    const std::int64_t version = bank.version + 1;
    const std::int64_t t = now();
    bool changed = false;
    auto find = db_.prepare(
        "SELECT id, quality, labels, source_id, note FROM bank_entries WHERE bank_id = ? AND signal_type = ? AND "
        "value = ?");
    auto insert = db_.prepare(
        "INSERT INTO bank_entries (bank_id, signal_type, value, quality, labels, source_id, added_at, added_by, note, "
        "disabled, disabled_reason, curation, changed_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (bank_id, signal_type, value) DO NOTHING");
    auto merge = db_.prepare(
        "UPDATE bank_entries SET quality = ?, labels = ?, source_id = ?, note = ?, changed_version = ? WHERE id = ?");
    std::size_t index = 0;
    BankEntry e;
    while (next(e)) {
      ++index;
      try {
        e.value = normalize_entry_value(e.signal_type, e.value);
        validate_entry(e);
      } catch (const Error& err) {
        throw Error(fmt::format("entry {}: {}", index, err.what()));
      }
      const auto type = to_string(e.signal_type);
      // Insert first (most entries are new); a conflict means a duplicate to merge.
      insert.bind(1, bank_id)
          .bind(2, type)
          .bind(3, e.value)
          .bind(4, e.quality)
          .bind(5, labels_to_json(e.labels))
          .bind(6, e.source_id)
          .bind(7, e.added_at != 0 ? e.added_at : t)
          .bind(8, e.added_by)
          .bind(9, e.note)
          .bind(10, e.disabled ? 1 : 0)
          .bind(11, e.disabled ? e.disabled_reason : std::string())
          .bind(12, to_string(e.curation))
          .bind(13, version)
          .run();
      if (db_.changes() == 1) {
        ++result.added;
        changed = true;
        continue;
      }
      ++result.merged_duplicates;
      find.bind(1, bank_id).bind(2, type).bind(3, e.value);
      if (!find.step()) throw Error(fmt::format("entry {}: neither inserted nor found", index));
      const std::int64_t id = find.column_int(0);
      auto quality = find.column_optional_int(1);
      const auto old_labels = labels_from_json(find.column_text(2));
      std::string source_id = find.column_text(3);
      std::string note = find.column_text(4);
      find.reset();
      const auto labels = unite_labels(old_labels, e.labels);
      bool differs = labels != old_labels;
      if (!quality && e.quality) {
        quality = *e.quality;
        differs = true;
      }
      if (source_id.empty() && !e.source_id.empty()) {
        source_id = e.source_id;
        differs = true;
      }
      if (note.empty() && !e.note.empty()) {
        note = e.note;
        differs = true;
      }
      if (differs) {
        merge.bind(1, quality).bind(2, labels_to_json(labels)).bind(3, source_id).bind(4, note);
        merge.bind(5, version).bind(6, id).run();
        changed = true;
      }
    }
    if (changed) {
      auto st = db_.prepare("UPDATE banks SET version = ?, updated_at = ? WHERE id = ?");
      st.bind(1, version).bind(2, t).bind(3, bank_id).run();
    }
  });
  return result;
}

std::optional<BankEntry> SqliteBankStore::find_entry(std::int64_t entry_id) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM bank_entries WHERE id = ?", kEntryColumns));
  st.bind(1, entry_id);
  if (!st.step()) return std::nullopt;
  return read_entry(st);
}

void SqliteBankStore::set_entry_disabled(std::int64_t entry_id, bool disabled, std::string_view reason) {
  if (reason.size() > kMaxTextFieldLength) {
    throw Error(fmt::format("the disabled reason is {} bytes long; at most {} are allowed", reason.size(),
                            kMaxTextFieldLength));
  }
  db_.transaction([&] {
    const BankEntry entry = require_entry(entry_id);
    const auto version = bump_version(entry.bank_id);
    auto st = db_.prepare("UPDATE bank_entries SET disabled = ?, disabled_reason = ?, changed_version = ? WHERE id = ?");
    // A default std::string_view has a null data() that SQLite would bind as NULL: bind a string.
    st.bind(1, disabled ? 1 : 0).bind(2, disabled ? std::string(reason) : std::string()).bind(3, version);
    st.bind(4, entry_id);
    st.run();
  });
}

void SqliteBankStore::set_entry_curation(std::int64_t entry_id, CurationState state) {
  db_.transaction([&] {
    const BankEntry entry = require_entry(entry_id);
    const auto version = bump_version(entry.bank_id);
    auto st = db_.prepare("UPDATE bank_entries SET curation = ?, changed_version = ? WHERE id = ?");
    st.bind(1, to_string(state)).bind(2, version).bind(3, entry_id).run();
  });
}

void SqliteBankStore::delete_entry(std::int64_t entry_id) {
  db_.transaction([&] {
    const BankEntry entry = require_entry(entry_id);
    const auto version = bump_version(entry.bank_id);
    auto tomb = db_.prepare(
        "INSERT INTO bank_entry_tombstones (bank_id, entry_id, signal_type, value, deleted_version) "
        "VALUES (?, ?, ?, ?, ?)");
    tomb.bind(1, entry.bank_id).bind(2, entry_id).bind(3, to_string(entry.signal_type)).bind(4, entry.value);
    tomb.bind(5, version).run();
    auto st = db_.prepare("DELETE FROM bank_entries WHERE id = ?");
    st.bind(1, entry_id).run();
  });
}

void SqliteBankStore::for_each_entry(std::int64_t bank_id, const std::function<void(const BankEntry&)>& fn) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM bank_entries WHERE bank_id = ? ORDER BY id", kEntryColumns));
  st.bind(1, bank_id);
  while (st.step()) fn(read_entry(st));
}

std::int64_t SqliteBankStore::count_entries(std::int64_t bank_id) {
  auto st = db_.prepare("SELECT COUNT(*) FROM bank_entries WHERE bank_id = ?");
  st.bind(1, bank_id);
  st.step();
  return st.column_int(0);
}

std::vector<EntryChange> SqliteBankStore::changes_since(std::int64_t bank_id, std::int64_t since_version) {
  std::vector<EntryChange> out;
  read_snapshot([&] {
    auto st = db_.prepare(fmt::format(
        "SELECT {}, changed_version FROM bank_entries WHERE bank_id = ? AND changed_version > ?", kEntryColumns));
    st.bind(1, bank_id).bind(2, since_version);
    while (st.step()) {
      EntryChange c;
      c.entry = read_entry(st);
      c.version = st.column_int(13);
      out.push_back(std::move(c));
    }
    auto tomb = db_.prepare(
        "SELECT entry_id, signal_type, value, deleted_version FROM bank_entry_tombstones "
        "WHERE bank_id = ? AND deleted_version > ?");
    tomb.bind(1, bank_id).bind(2, since_version);
    while (tomb.step()) {
      EntryChange c;
      c.deleted = true;
      c.entry.id = tomb.column_int(0);
      c.entry.bank_id = bank_id;
      c.entry.signal_type = parse_signal_type(tomb.column_text(1)).value_or(SignalType::pdq);
      c.entry.value = tomb.column_text(2);
      c.version = tomb.column_int(3);
      out.push_back(std::move(c));
    }
  });
  std::sort(out.begin(), out.end(), [](const EntryChange& a, const EntryChange& b) {
    return a.version != b.version ? a.version < b.version : a.entry.id < b.entry.id;
  });
  return out;
}

BankStats SqliteBankStore::bank_stats(std::int64_t bank_id) {
  BankStats s;
  auto st = db_.prepare(
      "SELECT signal_type, curation, disabled, COUNT(*) FROM bank_entries WHERE bank_id = ? "
      "GROUP BY signal_type, curation, disabled");
  st.bind(1, bank_id);
  while (st.step()) {
    const auto n = st.column_int(3);
    s.entries += n;
    if (st.column_int(2) != 0) s.disabled += n;
    switch (parse_signal_type(st.column_text(0)).value_or(SignalType::pdq)) {
      case SignalType::pdq: s.pdq += n; break;
      case SignalType::md5: s.md5 += n; break;
      case SignalType::sha1: s.sha1 += n; break;
      case SignalType::sha256: s.sha256 += n; break;
    }
    switch (parse_curation_state(st.column_text(1)).value_or(CurationState::unreviewed)) {
      case CurationState::unreviewed: s.unreviewed += n; break;
      case CurationState::confirmed: s.confirmed += n; break;
      case CurationState::disputed: s.disputed += n; break;
    }
  }
  return s;
}

}  // namespace vigil::store
