#pragma once
// The matcher's immutable base index (IndexData) and its snapshot file.
//
// Snapshot format (little-endian, every section 8-byte aligned; the file is memory-mapped while
// it is read and every section is copied out, the PDQ index into huge-page memory):
//   header: "VIGILSNP" | format version (2) | payload bytes | checksum of the payload
//   payload: sections [tag u64][length u64][data, zero-padded to 8 bytes]:
//     1 banks        (bank id i64, bank version i64) pairs: the store state the data reflects
//     2 label sets   u32 count, then per set u32 n and n x (u32 length, bytes)
//     3 PDQ meta     EntryMeta per PDQ position
//     4 exact        ExactEntry array
//     5 PDQ index    PdqIndex blob
// read_snapshot() checks magic, version, sizes, checksum and every cross-reference, and throws
// vigil::Error naming the first problem: a corrupt file can never crash or mislead the matcher.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "vigil/match/exact_index.h"
#include "vigil/match/pdq_index.h"

namespace vigil::match {

struct EntryMeta {
  std::int64_t entry_id = 0;
  std::uint32_t bank_slot = 0;  // index into IndexData::banks
  std::uint32_t label_set = 0;  // index into IndexData::label_sets
};
static_assert(sizeof(EntryMeta) == 16);

struct ExactEntry {
  std::uint8_t type = 0;    // SignalType
  std::uint8_t length = 0;  // digest bytes
  std::uint8_t pad[6] = {};
  std::uint8_t digest[32] = {};
  EntryMeta meta;
};
static_assert(sizeof(ExactEntry) == 56);

struct IndexData {
  std::vector<std::pair<std::int64_t, std::int64_t>> banks;  // (bank id, version)
  std::vector<std::vector<std::string>> label_sets;          // [0] is the empty set
  PdqIndex pdq;
  std::vector<EntryMeta> pdq_meta;  // per PDQ position
  std::vector<ExactEntry> exact_entries;
  ExactIndex exact;  // maps digests to positions in exact_entries

  void rebuild_exact();  // fills `exact` from `exact_entries`
  std::size_t memory_bytes() const;
};

// Writes atomically (temporary file in the same folder, then rename). Throws vigil::Error on I/O.
void write_snapshot(const IndexData& data, const std::filesystem::path& path);
// Maps and validates the file. Throws vigil::Error naming what is wrong (missing, truncated,
// checksum mismatch, bad section, reference out of range).
IndexData read_snapshot(const std::filesystem::path& path);

}  // namespace vigil::match
