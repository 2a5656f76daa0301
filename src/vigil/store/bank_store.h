#pragma once
// The bank store interface. SqliteBankStore is the embedded implementation; a PostgreSQL one
// will satisfy the same contract. All mutating calls are atomic (all or nothing) and bump the
// affected bank's version; readers never see half a change.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/store/bank.h"

namespace vigil::store {

struct AddEntriesResult {
  std::int64_t added = 0;
  std::int64_t merged_duplicates = 0;  // same (signal_type, value) already in the bank, or twice in the input
};

// A change to one bank's entries since a known version, for incremental index updates.
struct EntryChange {
  BankEntry entry;  // its current state (disabled entries come with disabled = true)
  bool deleted = false;
};

class BankStore {
 public:
  virtual ~BankStore() = default;

  // Throws vigil::Error if the name is taken or invalid, or a setting is out of range.
  virtual Bank create_bank(const Bank& spec) = 0;
  virtual Bank update_bank(const Bank& bank) = 0;  // by id; name, description, enabled, thresholds, labels
  virtual void delete_bank(std::string_view name) = 0;  // with all its entries
  virtual std::optional<Bank> find_bank(std::string_view name) = 0;
  virtual std::optional<Bank> find_bank(std::int64_t id) = 0;
  virtual std::vector<Bank> list_banks() = 0;

  // Adds entries to a bank in one transaction; duplicates are merged (labels united) and counted.
  virtual AddEntriesResult add_entries(std::int64_t bank_id, const std::vector<BankEntry>& entries) = 0;
  virtual std::optional<BankEntry> find_entry(std::int64_t entry_id) = 0;
  virtual void set_entry_disabled(std::int64_t entry_id, bool disabled, std::string_view reason) = 0;
  virtual void set_entry_curation(std::int64_t entry_id, CurationState state) = 0;
  virtual void delete_entry(std::int64_t entry_id) = 0;

  // Streams every entry of a bank (disabled ones included) in id order.
  virtual void for_each_entry(std::int64_t bank_id, const std::function<void(const BankEntry&)>& fn) = 0;
  virtual std::int64_t count_entries(std::int64_t bank_id) = 0;
  // Entries of a bank changed after `since_version` (for live index updates).
  virtual std::vector<EntryChange> changes_since(std::int64_t bank_id, std::int64_t since_version) = 0;
};

}  // namespace vigil::store
