#pragma once
// The matcher: for each query (one piece of content: its PDQ hash and/or exact digests) it answers
// with every enabled entry of every enabled bank within that bank's threshold, with the distance,
// bank, entry and labels, and says why anything was left out (allow-bank suppression, PDQ quality
// under a bank's min_quality).
//
// Built over a store::BankStore. One index per signal type (PdqIndex for PDQ, ExactIndex for the
// digests), kept live: refresh() applies the store's changes incrementally and publishes a new
// immutable generation atomically, so a concurrent match() sees either the old or the new state,
// never half a change. An optional memory-mapped snapshot file makes restarts fast; it is checked
// against the store's bank versions and rebuilt when stale or corrupt.
//
// Thread-safety: match() may be called from any number of threads at once, also while refresh()
// runs. refresh() and rebuild() serialise among themselves. The BankStore is only used by the
// constructor, refresh() and rebuild(), never by match().
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vigil/common/hash256.h"
#include "vigil/common/signal_type.h"
#include "vigil/match/pdq_index.h"
#include "vigil/store/bank.h"
#include "vigil/store/bank_store.h"

namespace vigil::match {

// One hash to match. `value` is hex of hex_length(type) digits, either case.
struct Signal {
  SignalType type = SignalType::pdq;
  std::string value;
};

// Parses "type:value" (e.g. "pdq:f8f8...", "md5:d41d..."); throws vigil::Error naming the problem
// (missing ':', unknown type, wrong length, non-hex character).
Signal parse_signal(std::string_view text);
// Throws vigil::Error when the value is not hex_length(type) hex digits.
void validate_signal(const Signal& signal);

// One piece of content. All its signals are matched; an allow-bank hit on any of them suppresses
// the content's match-bank hits (they are still reported, flagged, so the decision is explained).
struct Query {
  std::vector<Signal> signals;
  // PDQ quality (0..100) of the content when known. A bank whose min_quality is above it does not
  // take part in PDQ matching for this query (reported in QueryResult::skipped). Unknown quality
  // (nullopt) is matched against every bank.
  std::optional<int> pdq_quality;
  // The 8 dihedral PDQ hashes (media::ImageHashes::dihedral order; [0] is the PDQ itself). Used
  // when MatcherOptions::dihedral is on: every variant is searched and the closest one reported.
  std::optional<std::array<Hash256, 8>> pdq_dihedral;
};

struct Match {
  std::size_t signal_index = 0;      // index into Query::signals
  SignalType signal_type = SignalType::pdq;
  std::string query_value;           // lowercase hex of the query hash that matched
  int dihedral_variant = 0;          // 0: as given; 1..7: that dihedral transform matched
  std::int64_t bank_id = 0;
  std::string bank_name;
  store::BankKind bank_kind = store::BankKind::match;
  std::int64_t entry_id = 0;
  std::string value;                 // the matched entry's hash, lowercase hex
  int distance = 0;                  // Hamming distance for PDQ; 0 for exact digests
  int threshold = 0;                 // the bank's PDQ threshold that admitted it (0 for digests)
  std::vector<std::string> labels;   // the entry's labels, then the bank's default labels (deduplicated)
  // Set on match-bank hits of a query that also hit an allow bank: the allow hit that suppresses it.
  bool suppressed = false;
  std::optional<std::int64_t> suppressed_by_entry;
  std::string suppressed_by_bank;
};

struct SkippedBank {
  std::int64_t bank_id = 0;
  std::string bank_name;
  std::string reason;  // e.g. "PDQ quality 12 is below the bank's min_quality 50"
};

struct QueryResult {
  std::vector<Match> matches;        // match-bank hits, closest first (suppressed ones flagged)
  std::vector<Match> allow_matches;  // allow-bank hits (known false positives), closest first
  std::vector<SkippedBank> skipped;  // banks not searched for PDQ because of min_quality
  // True when something matched and nothing suppressed it.
  bool matched() const { return !matches.empty() && allow_matches.empty(); }
};

struct MatcherOptions {
  bool dihedral = false;               // search all 8 dihedral variants when the query has them
  std::filesystem::path snapshot_path; // empty: no snapshot file
  int threads = 1;                     // threads for match() of large batches and for builds
  PdqIndexLayout pdq_layout = PdqIndexLayout::automatic;  // see pdq_index.h (memory vs speed)
};

struct MatcherStats {
  std::size_t pdq_entries = 0;       // PDQ entries in the live index (enabled entries, all banks)
  std::size_t exact_entries = 0;     // digest entries in the live index
  std::size_t index_bytes = 0;       // memory held by the live indexes (mapped snapshot included)
  bool loaded_from_snapshot = false; // the last (re)build came from a valid snapshot file
  std::string snapshot_status;       // why the snapshot was used, rebuilt or ignored
};

class Matcher {
 public:
  // Builds (or loads from the snapshot) the index of every enabled entry of the store's banks.
  // Throws vigil::Error on store errors; a bad snapshot is never an error (it is rebuilt).
  explicit Matcher(store::BankStore& store, MatcherOptions options = {});
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // One result per query, in order. Throws vigil::Error for a malformed signal (names it).
  std::vector<QueryResult> match(std::span<const Query> queries) const;
  QueryResult match(const Query& query) const;

  // Applies every change in the store since the last refresh/build (added, disabled, re-enabled,
  // deleted entries; bank settings; new and deleted banks) without a full rebuild when possible.
  void refresh();
  // Discards the live index and rebuilds it from the store (and rewrites the snapshot if set).
  void rebuild();
  // Writes the snapshot file now (atomically: temp file + rename). No-op without a snapshot path.
  void save_snapshot() const;

  MatcherStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vigil::match
