#pragma once
// Writing bank entries as hash lists. jsonl, csv and tsv keep every field (signal type, value,
// quality, labels, source id, added at/by, note, disabled + reason, curation) so that an export
// imports back unchanged; plain writes only "value[ quality]" per line. Formats: docs/banks.md.
#include <cstdint>
#include <ostream>

#include "vigil/store/bank.h"
#include "vigil/store/hash_list_format.h"

namespace vigil::store {

class HashListWriter {
 public:
  HashListWriter(std::ostream& out, HashListFormat format);
  void write(const BankEntry& entry);  // the CSV/TSV header goes out with the first entry (or finish())
  void finish();                       // flushes; writes the CSV/TSV header if no entry was written
  std::int64_t written() const { return written_; }

 private:
  void header();
  std::ostream& out_;
  HashListFormat format_;
  bool header_done_ = false;
  std::int64_t written_ = 0;
};

// The CSV/TSV columns, in the order written.
inline constexpr const char* kHashListColumns[] = {"signal_type", "signal",   "quality",         "labels",
                                                   "source_id",   "added_at", "added_by",        "note",
                                                   "disabled",    "disabled_reason", "curation", "entry_id"};

}  // namespace vigil::store
