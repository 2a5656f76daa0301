#pragma once
// The bank domain model: a bank is a named hash list with provenance and matching settings; an
// entry is one hash in it. Kept free of storage details so the SQLite and (later) PostgreSQL
// stores, the matcher and the service all share it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

// Validation shared by every store implementation and the importers. Each throws vigil::Error
// whose message names the field and what was wrong.
inline constexpr int kMaxPdqThreshold = 63;
inline constexpr std::size_t kMaxBankNameLength = 100;
inline constexpr std::size_t kMaxLabelLength = 64;
inline constexpr std::size_t kMaxTextFieldLength = 4096;  // description, note, reason, added_by, source_id

void validate_bank_name(std::string_view name);
// A label is 1..64 printable characters without whitespace or control characters (labels are
// written space-separated in CSV files, so this keeps every export lossless).
void validate_label(std::string_view label);
void validate_bank(const Bank& bank);  // name, thresholds, labels, text lengths
// Returns the value as lowercase hex after checking its length for the signal type and its
// alphabet, e.g. "sha1 value has 39 hex digits, expected 40".
std::string normalize_entry_value(SignalType type, std::string_view value);
void validate_entry(const BankEntry& entry);  // value already normalized, quality 0..100, labels, texts
// Labels in first-seen order without duplicates.
std::vector<std::string> unite_labels(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace vigil::store
