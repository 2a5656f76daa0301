#include "vigil/match/pdq_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <thread>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "vigil/common/error.h"
#include "vigil/common/huge_page_buffer.h"

namespace vigil::match {
namespace {

constexpr std::uint64_t kBlobMagic = 0x3230584449514450ull;  // "PDQIDX02" little-endian
// magic, size, chunks, layout (0 compact, 1 filtered), then zeros: 64 bytes, so that with the
// blob 64-byte aligned no 32-byte hash straddles two cache lines.
constexpr std::size_t kHeaderWords = 8;
constexpr int kMaxChunkBits = 24;
constexpr int kMaxFlips = 3;

struct ChunkLayout {
  int start;
  int bits;
};

std::vector<ChunkLayout> layout_for(int chunks) {
  if (chunks < 11 || chunks > 64) {
    throw Error(fmt::format("PDQ index: chunks must be 11..64 (substrings of 4..24 bits), got {}", chunks));
  }
  std::vector<ChunkLayout> out;
  int start = 0;
  for (int c = 0; c < chunks; ++c) {
    const int bits = 256 / chunks + (c < 256 % chunks ? 1 : 0);
    out.push_back({start, bits});
    start += bits;
  }
  return out;
}

std::size_t align16(std::size_t n) { return (n + 15) & ~std::size_t{15}; }

// Bytes of one chunk's offsets (2^bits + 1 of them), padded to 16 bytes.
std::size_t offsets_bytes(int bits) { return align16(((std::size_t{1} << bits) + 1) * sizeof(std::uint32_t)); }

std::size_t ids_bytes(std::size_t n) { return align16(n * sizeof(std::uint32_t)); }

// Bytes of one chunk's tables in the blob: offsets, ids, then (filtered layout) the filters.
std::size_t chunk_bytes(int bits, std::size_t n, PdqIndexLayout layout) {
  const std::size_t filters = layout == PdqIndexLayout::filtered ? align16(n * sizeof(EntryFilter)) : 0;
  return offsets_bytes(bits) + ids_bytes(n) + filters;
}

std::size_t blob_bytes(const std::vector<ChunkLayout>& chunks, std::size_t n, PdqIndexLayout layout) {
  std::size_t total = kHeaderWords * 8 + n * sizeof(Hash256);
  for (const auto& c : chunks) total += chunk_bytes(c.bits, n, layout);
  return total;
}

// `bits` (<= 32) bits of a 256-bit value starting at bit `start`, wrapping from bit 255 to bit 0.
std::uint32_t extract_cyclic(const std::uint64_t* w, int start, int bits) {
  start &= 255;
  if (start + bits <= 256) return extract_bits(w, start, bits);
  const int low = 256 - start;
  return extract_bits(w, start, low) | (extract_bits(w, 0, bits - low) << low);
}

// The 96 filter bits of chunk c: the 96 bits that follow the chunk (cyclically), disjoint from it.
void filter_of(const std::uint64_t* w, const ChunkLayout& c, std::uint32_t out[3]) {
  for (int k = 0; k < 3; ++k) out[k] = extract_cyclic(w, c.start + c.bits + 32 * k, 32);
}

std::uint64_t binom(int n, int k) {
  if (k < 0 || k > n) return 0;
  std::uint64_t r = 1;
  for (int i = 1; i <= k; ++i) r = r * static_cast<std::uint64_t>(n - k + i) / static_cast<std::uint64_t>(i);
  return r;
}

// Distance verification of a candidate list: the hot loop. Two builds of the same code, one with
// the hardware popcnt instruction (every x86-64 CPU since 2008) and a portable one; picked once.
template <typename Emit>
inline void verify_body(const Hash256* hashes, const std::uint32_t* cand, std::size_t n, const std::uint64_t* q,
                        int radius, Emit&& emit) {
  constexpr std::size_t kAhead = 12;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&hashes[cand[i + kAhead]]);
    std::uint64_t w[4];
    std::memcpy(w, hashes[cand[i]].bytes.data(), 32);
    const int d = __builtin_popcountll(w[0] ^ q[0]) + __builtin_popcountll(w[1] ^ q[1]) +
                  __builtin_popcountll(w[2] ^ q[2]) + __builtin_popcountll(w[3] ^ q[3]);
    if (d <= radius) emit(cand[i], d);
  }
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) void verify_hw(const Hash256* hashes, const std::uint32_t* cand, std::size_t n,
                                                 const std::uint64_t* q, int radius, std::vector<PdqHit>& out) {
  verify_body(hashes, cand, n, q, radius, [&](std::uint32_t p, int d) { out.push_back({p, d}); });
}
__attribute__((target("popcnt"))) void scan_hw(const Hash256* hashes, std::size_t n, const std::uint64_t* q,
                                               int radius, std::vector<PdqHit>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t w[4];
    std::memcpy(w, hashes[i].bytes.data(), 32);
    const int d = __builtin_popcountll(w[0] ^ q[0]) + __builtin_popcountll(w[1] ^ q[1]) +
                  __builtin_popcountll(w[2] ^ q[2]) + __builtin_popcountll(w[3] ^ q[3]);
    if (d <= radius) out.push_back({static_cast<std::uint32_t>(i), d});
  }
}
bool cpu_has_popcnt() {
  static const bool has = __builtin_cpu_supports("popcnt");
  return has;
}
#endif

void verify_sw(const Hash256* hashes, const std::uint32_t* cand, std::size_t n, const std::uint64_t* q, int radius,
               std::vector<PdqHit>& out) {
  verify_body(hashes, cand, n, q, radius, [&](std::uint32_t p, int d) { out.push_back({p, d}); });
}
void scan_sw(const Hash256* hashes, std::size_t n, const std::uint64_t* q, int radius, std::vector<PdqHit>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto w = hashes[i].words();
    const int d = std::popcount(w[0] ^ q[0]) + std::popcount(w[1] ^ q[1]) + std::popcount(w[2] ^ q[2]) +
                  std::popcount(w[3] ^ q[3]);
    if (d <= radius) out.push_back({static_cast<std::uint32_t>(i), d});
  }
}

void verify(const Hash256* hashes, const std::uint32_t* cand, std::size_t n, const std::uint64_t* q, int radius,
            std::vector<PdqHit>& out) {
#if defined(__x86_64__)
  if (pdq_kernel() != PdqKernel::portable) return verify_hw(hashes, cand, n, q, radius, out);
#endif
  verify_sw(hashes, cand, n, q, radius, out);
}

// One bucket a search probes.
struct Probe {
  const std::uint32_t* offset;    // offsets + key: the bucket is entries [offset[0], offset[1])
  const std::uint32_t* ids;       // positions
  const EntryFilter* filters;     // filtered layout
  const std::uint32_t* qf;        // the query's filter bits for this chunk
  int allowed;                    // radius minus the bucket's flips: most filter bits that may differ
  std::uint32_t begin, end;
};

// Inlined into a popcnt-enabled and a portable function, as verify_body is (a lambda would not
// inherit the target attribute and would call libgcc's software popcount).
__attribute__((always_inline)) inline void filter_body(const std::vector<Probe>& probes, std::vector<std::uint32_t>& cand) {
  // Buckets are prefetched a few ahead of the one being read (a burst of prefetches for all of
  // them would overflow the CPU's outstanding-miss buffers and most would be dropped).
  constexpr std::size_t kAhead = 6;
  auto prefetch = [&probes](std::size_t i) {
    const Probe& p = probes[i];
    const char* a = reinterpret_cast<const char*>(p.filters + p.begin);
    const char* z = reinterpret_cast<const char*>(p.filters + p.end);
    for (int line = 0; line < 4 && a < z; ++line, a += 64) __builtin_prefetch(a);
  };
  for (std::size_t i = 0; i < std::min(kAhead, probes.size()); ++i) prefetch(i);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (i + kAhead < probes.size()) prefetch(i + kAhead);
    const Probe& p = probes[i];
    const std::uint32_t q0 = p.qf[0], q1 = p.qf[1], q2 = p.qf[2];
    for (std::uint32_t k = p.begin; k != p.end; ++k) {
      const std::uint32_t* f = p.filters[k].bits;
      const int d = __builtin_popcount(f[0] ^ q0) + __builtin_popcount(f[1] ^ q1) + __builtin_popcount(f[2] ^ q2);
      if (d <= p.allowed) cand.push_back(p.ids[k]);
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) void filter_hw(const std::vector<Probe>& probes, std::vector<std::uint32_t>& cand) {
  filter_body(probes, cand);
}

// The filter with AVX-512 (F + VPOPCNTDQ): 16 entries per step. Three loads bring 16 12-byte
// filters (48 words, masked at the bucket's end: masked-off lanes are not read, so this never
// touches memory past the bucket), two permutes per word de-interleave them into 16 first, second
// and third words, and three vector popcounts give the 16 distances at once.
#define VIGIL_AVX512 __attribute__((target("avx512f,avx512vpopcntdq")))
VIGIL_AVX512 inline __mmask16 lanes_below(std::uint32_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
}
struct Filters16 {
  __m512i a, b, c;  // words 0-15, 16-31, 32-47 of 16 consecutive entries
};
VIGIL_AVX512 __attribute__((always_inline)) inline Filters16 load_filters(const EntryFilter* f, std::uint32_t n) {
  const auto* w = reinterpret_cast<const std::uint32_t*>(f);
  const std::uint32_t words = 3 * n;
  return {_mm512_maskz_loadu_epi32(lanes_below(words), w),
          _mm512_maskz_loadu_epi32(words > 16 ? lanes_below(words - 16) : 0, w + 16),
          _mm512_maskz_loadu_epi32(words > 32 ? lanes_below(words - 32) : 0, w + 32)};
}
// Appends the ids of entries k .. k + n - 1 of bucket p (their filters in f) that pass.
VIGIL_AVX512 __attribute__((always_inline)) inline void filter_step(const Probe& p, std::uint32_t k, const Filters16& f,
                                                                    std::uint32_t n, std::vector<std::uint32_t>& cand) {
  // Word w of entry e is at 3e + w: the first permute picks the lanes below 32 from a|b, the
  // second the rest from c.
  const __m512i ab0 = _mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0);
  const __m512i c0 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29);
  const __m512i ab1 = _mm512_setr_epi32(1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0);
  const __m512i c1 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30);
  const __m512i ab2 = _mm512_setr_epi32(2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0);
  const __m512i c2 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31);
  const __m512i w0 = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(f.a, ab0, f.b), c0, f.c);
  const __m512i w1 = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(f.a, ab1, f.b), c1, f.c);
  const __m512i w2 = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(f.a, ab2, f.b), c2, f.c);
  const __m512i d = _mm512_add_epi32(
      _mm512_add_epi32(_mm512_popcnt_epi32(_mm512_xor_si512(w0, _mm512_set1_epi32(static_cast<int>(p.qf[0])))),
                       _mm512_popcnt_epi32(_mm512_xor_si512(w1, _mm512_set1_epi32(static_cast<int>(p.qf[1]))))),
      _mm512_popcnt_epi32(_mm512_xor_si512(w2, _mm512_set1_epi32(static_cast<int>(p.qf[2])))));
  unsigned pass = _mm512_mask_cmple_epi32_mask(lanes_below(n), d, _mm512_set1_epi32(p.allowed));
  while (pass != 0) {
    cand.push_back(p.ids[k + static_cast<std::uint32_t>(__builtin_ctz(pass))]);
    pass &= pass - 1;
  }
}

// Buckets are taken kGroup at a time: the first 16 entries of each are loaded back to back before
// any is compared, so that their cache misses overlap (a bucket holds ~15 entries at 1M hashes;
// software prefetching measured no gain on this machine's VM).
VIGIL_AVX512 void filter_avx512(const std::vector<Probe>& probes, std::vector<std::uint32_t>& cand) {
  constexpr std::size_t kGroup = 16;
  Filters16 first[kGroup];
  for (std::size_t g = 0; g < probes.size(); g += kGroup) {
    const std::size_t m = std::min(kGroup, probes.size() - g);
    for (std::size_t j = 0; j < m; ++j) {
      const Probe& p = probes[g + j];
      first[j] = load_filters(p.filters + p.begin, std::min<std::uint32_t>(16, p.end - p.begin));
    }
    for (std::size_t j = 0; j < m; ++j) {
      const Probe& p = probes[g + j];
      filter_step(p, p.begin, first[j], std::min<std::uint32_t>(16, p.end - p.begin), cand);
      for (std::uint32_t k = p.begin + 16; k < p.end; k += 16) {
        const std::uint32_t n = std::min<std::uint32_t>(16, p.end - k);
        filter_step(p, k, load_filters(p.filters + k, n), n, cand);
      }
    }
  }
}

#undef VIGIL_AVX512

bool cpu_has_avx512_popcount() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  return has;
}
#endif
void filter_sw(const std::vector<Probe>& probes, std::vector<std::uint32_t>& cand) { filter_body(probes, cand); }

std::atomic<int> g_kernel_limit{static_cast<int>(PdqKernel::avx512)};

void filter_candidates(const std::vector<Probe>& probes, std::vector<std::uint32_t>& cand) {
#if defined(__x86_64__)
  switch (pdq_kernel()) {
    case PdqKernel::avx512: return filter_avx512(probes, cand);
    case PdqKernel::popcnt: return filter_hw(probes, cand);
    case PdqKernel::portable: break;
  }
#endif
  filter_sw(probes, cand);
}

// Runs fn(i) for i in [0, n) on up to `threads` threads.
template <typename Fn>
void parallel_for(std::size_t n, int threads, Fn&& fn) {
  const std::size_t t = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads)));
  if (t <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < t; ++k) {
    pool.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    });
  }
  for (auto& th : pool) th.join();
}

}  // namespace

PdqKernel best_pdq_kernel() {
#if defined(__x86_64__)
  if (cpu_has_avx512_popcount()) return PdqKernel::avx512;
  if (cpu_has_popcnt()) return PdqKernel::popcnt;
#endif
  return PdqKernel::portable;
}

PdqKernel pdq_kernel() {
  static const int best = static_cast<int>(best_pdq_kernel());
  return static_cast<PdqKernel>(std::min(best, g_kernel_limit.load(std::memory_order_relaxed)));
}

void limit_pdq_kernel(PdqKernel most) { g_kernel_limit.store(static_cast<int>(most), std::memory_order_relaxed); }

const char* to_string(PdqKernel kernel) {
  switch (kernel) {
    case PdqKernel::portable: return "portable";
    case PdqKernel::popcnt: return "popcnt";
    case PdqKernel::avx512: return "avx512";
  }
  return "unknown";
}

PdqIndex::PdqIndex() = default;

PdqIndex PdqIndex::build(std::span<const Hash256> hashes, PdqIndexParams params, int threads) {
  if (params.chunks == 0) params.chunks = PdqIndexParams::auto_chunks(hashes.size());
  if (params.layout == PdqIndexLayout::automatic) params.layout = PdqIndexParams::auto_layout(hashes.size());
  const PdqIndexLayout kind = params.layout;
  const auto layout = layout_for(params.chunks);
  for (const auto& c : layout) {
    if (c.bits > kMaxChunkBits) throw Error(fmt::format("PDQ index: {} chunks give substrings over 24 bits", params.chunks));
  }
  const std::size_t n = hashes.size();
  if (n >= 0xffffffffull) throw Error(fmt::format("PDQ index: too many hashes ({}), at most 4294967294", n));
  auto storage = std::make_shared<HugePageBuffer>(blob_bytes(layout, n, kind));
  auto* words = reinterpret_cast<std::uint64_t*>(storage->data());
  words[0] = kBlobMagic;
  words[1] = n;
  words[2] = static_cast<std::uint64_t>(params.chunks);
  words[3] = kind == PdqIndexLayout::filtered ? 1 : 0;
  std::byte* base = storage->data();
  if (n) std::memcpy(base + kHeaderWords * 8, hashes.data(), n * sizeof(Hash256));

  std::vector<std::size_t> chunk_offset;
  std::size_t off = kHeaderWords * 8 + n * sizeof(Hash256);
  for (const auto& c : layout) {
    chunk_offset.push_back(off);
    off += chunk_bytes(c.bits, n, kind);
  }
  parallel_for(layout.size(), threads, [&](std::size_t ci) {
    const auto& c = layout[ci];
    auto* offsets = reinterpret_cast<std::uint32_t*>(base + chunk_offset[ci]);
    auto* ids = reinterpret_cast<std::uint32_t*>(base + chunk_offset[ci] + offsets_bytes(c.bits));
    const std::size_t buckets = std::size_t{1} << c.bits;
    std::vector<std::uint32_t> keys(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto w = hashes[i].words();
      keys[i] = extract_bits(w.data(), c.start, c.bits);
      ++offsets[keys[i] + 1];
    }
    for (std::size_t b = 0; b < buckets; ++b) offsets[b + 1] += offsets[b];
    std::vector<std::uint32_t> cursor(offsets, offsets + buckets);
    auto* filters = kind == PdqIndexLayout::filtered
                        ? reinterpret_cast<EntryFilter*>(reinterpret_cast<std::byte*>(ids) + ids_bytes(n))
                        : nullptr;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t slot = cursor[keys[i]]++;
      ids[slot] = static_cast<std::uint32_t>(i);
      if (filters) {
        const auto w = hashes[i].words();
        filter_of(w.data(), c, filters[slot].bits);
      }
    }
  });

  PdqIndex index;
  index.owner_ = storage;
  index.attach({base, storage->size()});
  return index;
}

PdqIndex PdqIndex::from_blob(std::span<const std::byte> blob) {
  if (blob.size() < kHeaderWords * 8) throw Error("PDQ index data is truncated (no header)");
  std::uint64_t header[kHeaderWords];
  std::memcpy(header, blob.data(), sizeof header);
  if (header[0] != kBlobMagic) throw Error("PDQ index data has a wrong magic number");
  if (header[3] > 1) throw Error(fmt::format("PDQ index data has an unknown layout {}", header[3]));
  for (std::size_t i = 4; i < kHeaderWords; ++i) {
    if (header[i] != 0) throw Error("PDQ index data has a bad header (reserved words not zero)");
  }
  if (header[2] < 11 || header[2] > 64) throw Error(fmt::format("PDQ index data has a bad chunk count {}", header[2]));
  if (header[1] >= 0xffffffffull) throw Error("PDQ index data has an impossible entry count");
  const auto layout = layout_for(static_cast<int>(header[2]));
  for (const auto& c : layout) {
    if (c.bits > kMaxChunkBits) throw Error("PDQ index data has substrings over 24 bits");
  }
  // Overflow-safe size check: n is below 2^32, so n * 32 * 65 fits easily.
  const std::size_t expected =
      blob_bytes(layout, header[1], header[3] == 1 ? PdqIndexLayout::filtered : PdqIndexLayout::compact);
  if (blob.size() != expected) {
    throw Error(fmt::format("PDQ index data has {} bytes, its header needs {}", blob.size(), expected));
  }
  auto storage = std::make_shared<HugePageBuffer>(blob.size());
  std::memcpy(storage->data(), blob.data(), blob.size());
  PdqIndex index;
  index.owner_ = storage;
  index.attach({storage->data(), storage->size()});
  index.validate();
  return index;
}

void PdqIndex::attach(std::span<const std::byte> blob) {
  blob_ = blob;
  std::uint64_t header[kHeaderWords];
  std::memcpy(header, blob.data(), sizeof header);
  size_ = header[1];
  chunks_ = static_cast<int>(header[2]);
  layout_ = header[3] == 1 ? PdqIndexLayout::filtered : PdqIndexLayout::compact;
  hashes_ = reinterpret_cast<const Hash256*>(blob.data() + kHeaderWords * 8);
  chunk_.clear();
  std::size_t off = kHeaderWords * 8 + size_ * sizeof(Hash256);
  for (const auto& c : layout_for(chunks_)) {
    Chunk ch;
    ch.start = c.start;
    ch.bits = c.bits;
    ch.offsets = reinterpret_cast<const std::uint32_t*>(blob.data() + off);
    ch.ids = reinterpret_cast<const std::uint32_t*>(blob.data() + off + offsets_bytes(c.bits));
    if (layout_ == PdqIndexLayout::filtered) {
      ch.filters = reinterpret_cast<const EntryFilter*>(blob.data() + off + offsets_bytes(c.bits) + ids_bytes(size_));
    }
    chunk_.push_back(ch);
    off += chunk_bytes(c.bits, size_, layout_);
  }
}

void PdqIndex::validate() const {
  for (std::size_t ci = 0; ci < chunk_.size(); ++ci) {
    const auto& c = chunk_[ci];
    const std::size_t buckets = std::size_t{1} << c.bits;
    if (c.offsets[0] != 0 || c.offsets[buckets] != size_) {
      throw Error(fmt::format("PDQ index data: table {} does not cover every entry", ci));
    }
    for (std::size_t b = 0; b < buckets; ++b) {
      if (c.offsets[b] > c.offsets[b + 1]) throw Error(fmt::format("PDQ index data: table {} offsets are not sorted", ci));
    }
    for (std::size_t b = 0; b < buckets; ++b) {
      for (std::uint32_t k = c.offsets[b]; k < c.offsets[b + 1]; ++k) {
        const std::uint32_t id = c.ids[k];
        if (id >= size_) throw Error(fmt::format("PDQ index data: table {} has an entry out of range", ci));
        const auto w = hashes_[id].words();
        if (extract_bits(w.data(), c.start, c.bits) != b) {
          throw Error(fmt::format("PDQ index data: table {} files an entry under the wrong key", ci));
        }
        if (c.filters) {
          std::uint32_t f[3];
          filter_of(w.data(), {c.start, c.bits}, f);
          if (std::memcmp(f, c.filters[k].bits, sizeof f) != 0) {
            throw Error(fmt::format("PDQ index data: table {} has an entry whose filter bits do not match its hash", ci));
          }
        }
      }
    }
  }
}

// Flip budget of each chunk for a radius (the generalised pigeonhole principle): with
// radius = m * a + b (0 <= b < m) and m chunks, a hash within the radius is within a bits of the
// query on one of any b + 1 chunks, or within a - 1 bits on one of the other m - b - 1 (else the
// distances would add up to at least (b + 1)(a + 1) + (m - b - 1) a = radius + 1). The budget a
// goes to the b + 1 shortest chunks (the last ones), a - 1 (possibly -1: not probed) to the rest.
// For 16 chunks and radius 31 that is 1 flip everywhere; for 12 chunks, 2 flips on eight and 1 on
// the four 22-bit ones, 1,948 probes instead of 2,872.
int PdqIndex::flip_budget(int chunk, int radius) const {
  if (radius < 0 || chunks_ == 0) return -1;
  const int a = radius / chunks_;
  const int b = radius % chunks_;
  return chunk >= chunks_ - b - 1 ? a : a - 1;
}

std::size_t PdqIndex::probes_for_radius(int radius) const {
  std::size_t probes = 0;
  for (int c = 0; c < chunks_; ++c) {
    const int budget = flip_budget(c, radius);
    for (int k = 0; k <= budget; ++k) probes += binom(chunk_[static_cast<std::size_t>(c)].bits, k);
  }
  return probes;
}

void PdqIndex::scan(const Hash256& query, int radius, std::vector<PdqHit>& out) const {
  if (radius < 0) return;
  const auto q = query.words();
#if defined(__x86_64__)
  if (pdq_kernel() != PdqKernel::portable) return scan_hw(hashes_, size_, q.data(), radius, out);
#endif
  scan_sw(hashes_, size_, q.data(), radius, out);
}

void PdqIndex::search(const Hash256& query, int radius, std::vector<PdqHit>& out) const {
  if (radius < 0 || size_ == 0) return;
  // Cost model: one probe ~ one random access; expected candidates ~ probes * n / 2^bits random
  // accesses; a linear scan reads n hashes sequentially (counted as 1/4 of a random access each).
  bool use_scan = radius / chunks_ > kMaxFlips;  // the largest flip budget
  if (!use_scan) {
    const double probes = static_cast<double>(probes_for_radius(radius));
    const double per_bucket = static_cast<double>(size_) / static_cast<double>(std::size_t{1} << chunk_.back().bits);
    use_scan = probes * (1.0 + per_bucket) > static_cast<double>(size_) / 4.0 + 64.0;
  }
  if (use_scan) return scan(query, radius, out);

  thread_local std::vector<std::uint32_t> cand;
  thread_local std::vector<PdqHit> hits;
  thread_local std::vector<Probe> buckets;
  cand.clear();
  hits.clear();
  buckets.clear();
  const auto q = query.words();
  std::uint32_t qf[64][3];  // the query's filter bits per chunk (filtered layout)
  // Phase 1: every bucket to probe (its offsets prefetched: large tables do not fit in cache).
  for (std::size_t ci = 0; ci < chunk_.size(); ++ci) {
    const auto& c = chunk_[ci];
    const int t = flip_budget(static_cast<int>(ci), radius);
    if (t < 0) continue;
    const std::uint32_t key = extract_bits(q.data(), c.start, c.bits);
    if (c.filters) filter_of(q.data(), {c.start, c.bits}, qf[ci]);
    auto probe = [&](std::uint32_t k, int flips) {
      __builtin_prefetch(c.offsets + k);
      buckets.push_back({c.offsets + k, c.ids, c.filters, qf[ci], radius - flips, 0, 0});
    };
    probe(key, 0);
    if (t >= 1) {
      for (int i = 0; i < c.bits; ++i) {
        const std::uint32_t k1 = key ^ (1u << i);
        probe(k1, 1);
        if (t >= 2) {
          for (int j = i + 1; j < c.bits; ++j) {
            const std::uint32_t k2 = k1 ^ (1u << j);
            probe(k2, 2);
            if (t >= 3) {
              for (int l = j + 1; l < c.bits; ++l) probe(k2 ^ (1u << l), 3);
            }
          }
        }
      }
    }
  }
  if (layout_ == PdqIndexLayout::filtered) {
    // Phase 2: each bucket's entry range.
    for (auto& p : buckets) {
      p.begin = p.offset[0];
      p.end = p.offset[1];
    }
    // Phase 3: the filter. A hash within the radius differs from the query in at most
    // radius - flips of the 96 filter bits (they are disjoint from the probed substring, on which
    // this bucket is `flips` bits away), so an entry over that is rejected without reading its hash.
    filter_candidates(buckets, cand);
  } else {
    // Phase 2: gather the candidate positions (bucket k lists ids[offsets[k] .. offsets[k + 1])).
    for (const auto& p : buckets) {
      cand.insert(cand.end(), p.ids + p.offset[0], p.ids + p.offset[1]);
    }
  }
  verify(hashes_, cand.data(), cand.size(), q.data(), radius, hits);
  // A hash within the radius is found once per substring that is within the flip budget:
  // keep one of each.
  std::sort(hits.begin(), hits.end(), [](const PdqHit& a, const PdqHit& b) { return a.position < b.position; });
  auto end = std::unique(hits.begin(), hits.end(),
                         [](const PdqHit& a, const PdqHit& b) { return a.position == b.position; });
  out.insert(out.end(), hits.begin(), end);
}

std::vector<std::vector<PdqHit>> PdqIndex::search_batch(std::span<const Hash256> queries, int radius,
                                                        int threads) const {
  std::vector<std::vector<PdqHit>> out(queries.size());
  constexpr std::size_t kBlock = 64;
  const std::size_t blocks = (queries.size() + kBlock - 1) / kBlock;
  parallel_for(blocks, threads, [&](std::size_t b) {
    const std::size_t end = std::min(queries.size(), (b + 1) * kBlock);
    for (std::size_t i = b * kBlock; i < end; ++i) search(queries[i], radius, out[i]);
  });
  return out;
}

}  // namespace vigil::match
