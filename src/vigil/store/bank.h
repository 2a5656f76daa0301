#pragma once
// The bank domain model: a bank is a named hash list with provenance and matching settings; an
// entry is one hash in it. Kept free of storage details so the SQLite and (later) PostgreSQL
// stores, the matcher and the service all share it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/signal_type.h"

namespace vigil::store {

enum class BankKind { match, allow };           // allow: known false positives that suppress matches
enum class BankSource { manual, file_import, exchange };
enum class CurationState { unreviewed, confirmed, disputed };

struct Bank {
  std::int64_t id = 0;
  std::string name;          // unique; [A-Za-z0-9_.-], 1..100 chars
  std::string description;
  bool enabled = true;
  BankKind kind = BankKind::match;
  int pdq_threshold = 31;    // match when Hamming distance <= threshold; 0..63
  int min_quality = 50;      // PDQ queries below this quality are not matched against this bank
  BankSource source = BankSource::manual;
  std::vector<std::string> default_labels;  // e.g. "A1", "B2", free tags
  std::int64_t created_at = 0;  // unix seconds
  std::int64_t updated_at = 0;
  std::int64_t version = 1;     // incremented by every change to the bank or its entries
};

struct BankEntry {
  std::int64_t id = 0;
  std::int64_t bank_id = 0;
  SignalType signal_type = SignalType::pdq;
  std::string value;               // lowercase hex of hex_length(signal_type) digits
  std::optional<int> quality;      // PDQ quality where the source list gives it
  std::vector<std::string> labels;
  std::string source_id;           // the source list's own id for this hash, if any
  std::int64_t added_at = 0;
  std::string added_by;
  std::string note;
  bool disabled = false;
  std::string disabled_reason;
  CurationState curation = CurationState::unreviewed;
};

std::string_view to_string(BankKind k);
std::string_view to_string(BankSource s);
std::string_view to_string(CurationState c);
std::optional<BankKind> parse_bank_kind(std::string_view s);
std::optional<BankSource> parse_bank_source(std::string_view s);
std::optional<CurationState> parse_curation_state(std::string_view s);

}  // namespace vigil::store
