#pragma once
// PdqIndex: an immutable Hamming radius index over 256-bit PDQ hashes with exact (100%) recall.
//
// Multi-index hashing (Norouzi et al.) with flat arrays: the 256 bits are cut into `chunks`
// substrings of 256/chunks bits (the first 256 % chunks ones one bit longer). For each substring
// a counting-sorted table maps every substring value to the positions whose hash has it
// (CSR: offsets[2^bits + 1], ids[n]). A hash within radius r = chunks * a + b of the query is, by
// the generalised pigeonhole principle, within a bits of it on one of b + 1 chosen substrings or
// within a - 1 bits on one of the others, so probing every value within those bit flips of each
// query substring finds every answer; candidates are verified
// with a full 256-bit popcount distance (prefetched, hardware popcnt when the CPU has it).
// When the probe count would exceed a linear scan's cost (large radius), it scans linearly instead.
// Either way the answer is exactly the set of positions within the radius.
//
// Memory: 32 bytes per hash + 4 bytes per hash per chunk + 4 * 2^bits per chunk (+ a 64-byte header).
// 16 chunks of 16 bits: 96 bytes per entry plus 4 MiB; 12 chunks: 80 bytes per entry plus 134 MiB.
//
// The whole index is one flat blob (blob()/from_blob()), 64-byte aligned in memory that asks for
// transparent huge pages (vigil::HugePageBuffer): candidate verification is one random read per
// candidate, and with 4 KiB pages most of those reads also miss the TLB (measured: about half the
// query time at 1M entries). Thread-safe for concurrent searches.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "vigil/common/hash256.h"

namespace vigil::match {

// How each substring table stores its entries.
//   compact:  the position only (4 bytes per entry per table): each candidate costs a random
//             read of its 32-byte hash. ~100 bytes per entry with 16 tables.
//   filtered: also the 96 bits that follow the substring, in a parallel array (12 more bytes per
//             entry per table): a candidate is rejected on those bits while its bucket is read sequentially,
//             and only the few that pass (the true matches and ~1 in 3,000 others at radius 31)
//             cost a random read. ~290 bytes per entry with 16 tables; several times faster.
//   automatic: filtered up to kFilteredMax entries, compact above (memory stays below ~600 MB).
enum class PdqIndexLayout { automatic, compact, filtered };

// The filter bits of one entry of a filtered table: bits start+bits .. start+bits+95 (cyclic) of
// its hash, 32 per word. Kept apart from the positions so that a bucket scan reads 12 bytes per
// entry; a position is read only for the few entries that pass.
struct EntryFilter {
  std::uint32_t bits[3];
};
static_assert(sizeof(EntryFilter) == 12);

struct PdqIndexParams {
  // Number of substrings, 11..64 (256/chunks bits each, at most 24 bits), or 0 for automatic:
  // 16 x 16 bits below kLargeIndex hashes, 12 x 21-22 bits from there on (measured, see
  // docs/matching.md: 16 x 16 keeps its 4 MiB of offsets in cache and probes 272 buckets for
  // radius 31; with millions of entries its buckets grow long, and 12 x 21 verifies 3x fewer
  // candidates for 2872 probes and 134 MiB of offsets).
  int chunks = 0;
  static constexpr std::size_t kLargeIndex = 4'000'000;
  static int auto_chunks(std::size_t n) { return n >= kLargeIndex ? 12 : 16; }
  PdqIndexLayout layout = PdqIndexLayout::automatic;
  static constexpr std::size_t kFilteredMax = 2'000'000;
  static PdqIndexLayout auto_layout(std::size_t n) {
    return n <= kFilteredMax ? PdqIndexLayout::filtered : PdqIndexLayout::compact;
  }
};

// The instructions the search's hot loops use. The filter step has three builds: portable C++,
// hardware popcnt (x86-64 since 2008), and AVX-512 F + VPOPCNTDQ (16 entries per step; Ice Lake
// and later Xeons). Verification and the linear scan use popcnt from `popcnt` up. Results are the
// same whichever runs; the tests check each against brute force.
enum class PdqKernel { portable = 0, popcnt = 1, avx512 = 2 };
PdqKernel best_pdq_kernel();  // the best this CPU (and OS) supports
PdqKernel pdq_kernel();       // the one searches use now: the best, capped by limit_pdq_kernel()
// Caps the kernel process-wide (tests and benchmarks compare kernels; PdqKernel::avx512 lifts
// the cap). Searches running concurrently pick it up on their next call.
void limit_pdq_kernel(PdqKernel most);
const char* to_string(PdqKernel kernel);

struct PdqHit {
  std::uint32_t position = 0;  // index into the hashes the index was built from
  int distance = 0;
};

class PdqIndex {
 public:
  PdqIndex();  // empty: every search returns nothing
  // Builds over `hashes` (position i = hashes[i]). Throws vigil::Error for bad params or more than
  // 2^32 - 1 hashes. `threads` > 1 builds the substring tables in parallel.
  static PdqIndex build(std::span<const Hash256> hashes, PdqIndexParams params = {}, int threads = 1);

  // Copies a serialized blob (e.g. a memory-mapped snapshot section) into its own huge-page
  // memory, then validates the structure fully (sizes, offsets, ids in range) and throws
  // vigil::Error naming the first problem, so a corrupt blob can never cause an out-of-bounds read.
  static PdqIndex from_blob(std::span<const std::byte> blob);
  // The blob from_blob() accepts (the index's own storage, no copy).
  std::span<const std::byte> blob() const { return blob_; }

  std::size_t size() const { return size_; }
  int chunks() const { return chunks_; }
  PdqIndexLayout layout() const { return layout_; }
  const Hash256& hash(std::uint32_t position) const { return hashes_[position]; }
  std::size_t memory_bytes() const { return blob_.size(); }

  // Appends every position within `radius` (0..256) of `query` to `out`, in increasing position
  // order, each exactly once. Negative radius: no results.
  void search(const Hash256& query, int radius, std::vector<PdqHit>& out) const;
  // One result list per query; `threads` > 1 splits the batch across threads.
  std::vector<std::vector<PdqHit>> search_batch(std::span<const Hash256> queries, int radius,
                                                int threads = 1) const;
  // Linear scan (the reference the tests compare against; also the fallback for large radii).
  void scan(const Hash256& query, int radius, std::vector<PdqHit>& out) const;

  // Probes one search makes at this radius (sum over chunks of the values within the flip budget).
  std::size_t probes_for_radius(int radius) const;

 private:
  struct Chunk {
    int start = 0;  // first bit (in words() bit order: word start/64, bit start%64)
    int bits = 0;
    const std::uint32_t* offsets = nullptr;    // 2^bits + 1
    const std::uint32_t* ids = nullptr;        // size_
    const EntryFilter* filters = nullptr;      // size_ (filtered layout only)
  };
  // Bits chunk `chunk` is probed within at this radius (-1: not probed); see pdq_index.cpp.
  int flip_budget(int chunk, int radius) const;
  void attach(std::span<const std::byte> blob);  // sets the pointers from the blob layout
  void validate() const;

  std::shared_ptr<const void> owner_;
  std::span<const std::byte> blob_;
  std::size_t size_ = 0;
  int chunks_ = 0;
  PdqIndexLayout layout_ = PdqIndexLayout::compact;
  const Hash256* hashes_ = nullptr;
  std::vector<Chunk> chunk_;
};

// Extracts `bits` bits starting at bit `start` of a 256-bit value given as 4 words.
inline std::uint32_t extract_bits(const std::uint64_t* w, int start, int bits) {
  const int wi = start >> 6;
  const int sh = start & 63;
  std::uint64_t v = w[wi] >> sh;
  if (sh + bits > 64) v |= w[wi + 1] << (64 - sh);
  return static_cast<std::uint32_t>(v & ((std::uint64_t{1} << bits) - 1));
}

}  // namespace vigil::match
