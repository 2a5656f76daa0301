#pragma once
// The embedded BankStore: banks and their entries in the SQLite file of the data directory.
//
// Schema (component "banks", versioned with SqliteDatabase::migrate): `banks`, `bank_entries`
// (unique per bank on signal_type + value; labels as a JSON array; `changed_version` = the bank
// version of the entry's last change) and `bank_entry_tombstones` (deleted entries, so that
// changes_since() can report deletions). Every mutating call runs in one transaction and bumps
// the bank's version once; reads that need several statements run in one read snapshot.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "vigil/store/bank_store.h"
#include "vigil/store/sqlite_database.h"

namespace vigil::store {

class SqliteBankStore final : public BankStore {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds

  // Brings the "banks" schema up to date (refusing a newer one). The database must outlive the
  // store; other components may share it. `clock` defaults to the system clock.
  explicit SqliteBankStore(SqliteDatabase& db, Clock clock = {});

  static const std::vector<Migration>& migrations();

  Bank create_bank(const Bank& spec) override;
  Bank update_bank(const Bank& bank) override;
  void delete_bank(std::string_view name) override;
  std::optional<Bank> find_bank(std::string_view name) override;
  std::optional<Bank> find_bank(std::int64_t id) override;
  std::vector<Bank> list_banks() override;

  AddEntriesResult add_entries(std::int64_t bank_id, const std::vector<BankEntry>& entries) override;
  AddEntriesResult add_entries_from(std::int64_t bank_id, const std::function<bool(BankEntry&)>& next) override;
  std::optional<BankEntry> find_entry(std::int64_t entry_id) override;
  void set_entry_disabled(std::int64_t entry_id, bool disabled, std::string_view reason) override;
  void set_entry_curation(std::int64_t entry_id, CurationState state) override;
  void delete_entry(std::int64_t entry_id) override;

  void for_each_entry(std::int64_t bank_id, const std::function<void(const BankEntry&)>& fn) override;
  std::int64_t count_entries(std::int64_t bank_id) override;
  std::vector<EntryChange> changes_since(std::int64_t bank_id, std::int64_t since_version) override;
  BankStats bank_stats(std::int64_t bank_id) override;

 private:
  std::int64_t now() const;
  Bank require_bank(std::int64_t id);
  BankEntry require_entry(std::int64_t entry_id);
  // Sets the bank's version to version + 1 and updated_at to now; returns the new version.
  std::int64_t bump_version(std::int64_t bank_id);
  void read_snapshot(const std::function<void()>& fn);

  SqliteDatabase& db_;
  Clock clock_;
};

}  // namespace vigil::store
