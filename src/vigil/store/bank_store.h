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
// Deleted entries come with their id, bank_id, signal_type and value only.
struct EntryChange {
  BankEntry entry;  // its current state (disabled entries come with disabled = true)
  bool deleted = false;
  std::int64_t version = 0;  // the bank version at which this change was made
};

// Counts for `vigil bank show` and the service's status pages.
struct BankStats {
  std::int64_t entries = 0;
  std::int64_t disabled = 0;
  std::int64_t pdq = 0, md5 = 0, sha1 = 0, sha256 = 0;
  std::int64_t unreviewed = 0, confirmed = 0, disputed = 0;
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
  // The same for a stream: `next` fills the next entry and returns true, or returns false at the
  // end. Still one transaction: if `next` or an entry throws, nothing is stored. Stores override
  // this to keep memory flat; the default collects the entries first.
  virtual AddEntriesResult add_entries_from(std::int64_t bank_id, const std::function<bool(BankEntry&)>& next) {
    std::vector<BankEntry> all;
    BankEntry e;
    while (next(e)) all.push_back(e);
    return add_entries(bank_id, all);
  }
  virtual std::optional<BankEntry> find_entry(std::int64_t entry_id) = 0;
  virtual void set_entry_disabled(std::int64_t entry_id, bool disabled, std::string_view reason) = 0;
  virtual void set_entry_curation(std::int64_t entry_id, CurationState state) = 0;
  virtual void delete_entry(std::int64_t entry_id) = 0;

  // Streams every entry of a bank (disabled ones included) in id order.
  virtual void for_each_entry(std::int64_t bank_id, const std::function<void(const BankEntry&)>& fn) = 0;
  virtual std::int64_t count_entries(std::int64_t bank_id) = 0;
  // Entries of a bank changed after `since_version` (for live index updates), in version order.
  // Read the bank's version (find_bank) BEFORE calling this, and pass it next time: a change
  // landing in between is then delivered twice (harmless) rather than never.
  virtual std::vector<EntryChange> changes_since(std::int64_t bank_id, std::int64_t since_version) = 0;

  // Counts by state and signal type. The default walks for_each_entry; stores override it.
  virtual BankStats bank_stats(std::int64_t bank_id) {
    BankStats s;
    for_each_entry(bank_id, [&s](const BankEntry& e) {
      ++s.entries;
      if (e.disabled) ++s.disabled;
      switch (e.signal_type) {
        case SignalType::pdq: ++s.pdq; break;
        case SignalType::md5: ++s.md5; break;
        case SignalType::sha1: ++s.sha1; break;
        case SignalType::sha256: ++s.sha256; break;
      }
      switch (e.curation) {
        case CurationState::unreviewed: ++s.unreviewed; break;
        case CurationState::confirmed: ++s.confirmed; break;
        case CurationState::disputed: ++s.disputed; break;
      }
    });
    return s;
  }
};

}  // namespace vigil::store
