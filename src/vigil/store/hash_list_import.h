#pragma once
// Reading hash lists (plain, CSV/TSV, JSON lines) into bank entries. Every record is validated
// (signal type, value length, hex alphabet, quality range, labels); a bad record is reported
// with its line number. Without skip_bad the first bad record throws vigil::Error
// ("line 7: sha1 value has 39 hex digits, expected 40") and nothing is returned, so a caller
// that stores only after reading keeps the store unchanged. Formats: docs/banks.md.
#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/common/signal_type.h"
#include "vigil/store/bank.h"
#include "vigil/store/hash_list_format.h"

namespace vigil::store {

struct HashListImportOptions {
  std::optional<HashListFormat> format;   // nullopt: from the file name, else from the content
  std::optional<SignalType> signal_type;  // for records that do not name their type
  bool skip_bad = false;                  // report bad records and go on instead of throwing
  std::size_t max_line_bytes = 1 << 20;   // longer lines are bad records
  std::size_t max_bad_lines_kept = 1000;  // bad_lines keeps the first ones; bad_line_count counts all
};

struct BadLine {
  std::size_t line = 0;  // 1-based
  std::string reason;
};

struct HashListReadResult {
  HashListFormat format = HashListFormat::plain;
  std::vector<BankEntry> entries;  // in file order, duplicates kept (the store merges them)
  std::vector<BadLine> bad_lines;
  std::size_t bad_line_count = 0;
  std::size_t records = 0;                   // data records seen (good + bad)
  std::vector<std::string> ignored_columns;  // CSV/TSV header columns (or JSON keys) not used
};

// Streams the entries of a hash list one by one (memory stays flat for lists of millions).
class HashListReader {
 public:
  // `name` is the file name, used only to pick the format when options.format is not set.
  HashListReader(std::istream& in, const HashListImportOptions& options, std::string_view name = {});
  ~HashListReader();
  HashListReader(const HashListReader&) = delete;
  HashListReader& operator=(const HashListReader&) = delete;

  // The next good entry; false at the end. A bad record throws vigil::Error ("line N: ...")
  // unless skip_bad, which records it in summary() and goes on.
  bool next(BankEntry& entry);
  // Everything but `entries`, so far: format, records, bad lines, ignored columns.
  const HashListReadResult& summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a whole list into memory (small lists and tests). `name` as for HashListReader.
HashListReadResult read_hash_list(std::istream& in, const HashListImportOptions& options, std::string_view name = {});

// Unix seconds from "1700000000" or ISO 8601 ("2020-07-31T18:47:52+0000", "...Z", "2020-07-31").
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace vigil::store
