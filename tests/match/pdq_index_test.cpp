// PdqIndex must return exactly the brute-force answer (100% recall, no false hits, no duplicates)
// for every radius, data shape and parameter; corrupt serialized data must be refused.
#include "vigil/match/pdq_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <tuple>

#include "vigil/common/error.h"

namespace vigil::match {
namespace {

Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t w = rng();
    std::memcpy(h.bytes.data() + 8 * i, &w, 8);
  }
  return h;
}

Hash256 flip_bits(Hash256 h, int count, std::mt19937_64& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  for (int i = 0; i < count; ++i) h.flip(bits[i]);
  return h;
}

// Families of near-duplicates: random centres, members 20-40 bits from their centre (as real
// hash lists have), plus exact duplicates now and then.
std::vector<Hash256> clustered(std::size_t n, std::mt19937_64& rng) {
  std::vector<Hash256> out;
  while (out.size() < n) {
    const Hash256 centre = random_hash(rng);
    out.push_back(centre);
    const int members = static_cast<int>(rng() % 12);
    for (int m = 0; m < members && out.size() < n; ++m) {
      out.push_back(flip_bits(centre, 20 + static_cast<int>(rng() % 21), rng));
    }
    if (rng() % 10 == 0 && out.size() < n) out.push_back(centre);
  }
  return out;
}

std::vector<PdqHit> brute_force(const std::vector<Hash256>& data, const Hash256& q, int radius) {
  std::vector<PdqHit> out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const int d = hamming_distance(data[i], q);
    if (d <= radius) out.push_back({static_cast<std::uint32_t>(i), d});
  }
  return out;
}

std::vector<Hash256> queries_for(const std::vector<Hash256>& data, std::size_t count, std::mt19937_64& rng) {
  std::vector<Hash256> qs;
  for (std::size_t i = 0; i < count; ++i) {
    if (i % 2 == 0) {
      qs.push_back(flip_bits(data[rng() % data.size()], static_cast<int>(rng() % 41), rng));
    } else {
      qs.push_back(random_hash(rng));
    }
  }
  return qs;
}

void expect_same(const std::vector<PdqHit>& got, const std::vector<PdqHit>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].position, want[i].position) << what;
    ASSERT_EQ(got[i].distance, want[i].distance) << what;
  }
}

std::size_t check_against_brute_force(const std::vector<Hash256>& data, const std::vector<Hash256>& qs,
                                      const PdqIndex& index, const std::vector<int>& radii) {
  std::size_t total_hits = 0;
  for (int radius : radii) {
    for (std::size_t i = 0; i < qs.size(); ++i) {
      std::vector<PdqHit> got;
      index.search(qs[i], radius, got);
      const auto want = brute_force(data, qs[i], radius);
      total_hits += want.size();
      expect_same(got, want, "query " + std::to_string(i) + " radius " + std::to_string(radius) + " chunks " +
                                 std::to_string(index.chunks()));
      if (::testing::Test::HasFatalFailure()) return total_hits;
    }
  }
  return total_hits;
}

constexpr PdqIndexLayout kLayouts[] = {PdqIndexLayout::compact, PdqIndexLayout::filtered};
std::string layout_name(PdqIndexLayout l) { return l == PdqIndexLayout::filtered ? "filtered" : "compact"; }

class PdqIndexRecall : public ::testing::TestWithParam<std::tuple<int, PdqIndexLayout>> {
 protected:
  int chunks() const { return std::get<0>(GetParam()); }
  PdqIndexParams params() const { return {std::get<0>(GetParam()), std::get<1>(GetParam())}; }
};

TEST_P(PdqIndexRecall, UniformDataMatchesBruteForce) {
  std::mt19937_64 rng(1000 + chunks());
  std::vector<Hash256> data;
  for (int i = 0; i < 20000; ++i) data.push_back(random_hash(rng));
  const auto qs = queries_for(data, 100, rng);
  const auto index = PdqIndex::build(data, params());
  EXPECT_EQ(index.layout(), std::get<1>(GetParam()));
  const auto hits = check_against_brute_force(data, qs, index, {0, 1, 15, 16, 31, 32, 40, 63});
  EXPECT_GT(hits, 100u);  // the near-duplicate queries must actually find things
}

TEST_P(PdqIndexRecall, ClusteredDataMatchesBruteForce) {
  std::mt19937_64 rng(2000 + chunks());
  const auto data = clustered(20000, rng);
  const auto qs = queries_for(data, 100, rng);
  const auto index = PdqIndex::build(data, params(), 2);
  const auto hits = check_against_brute_force(data, qs, index, {0, 10, 31, 47});
  EXPECT_GT(hits, 100u);
}

INSTANTIATE_TEST_SUITE_P(ChunksAndLayouts, PdqIndexRecall,
                         ::testing::Combine(::testing::Values(12, 16, 21, 32, 64), ::testing::ValuesIn(kLayouts)));

// Every filter kernel this CPU has (portable, popcnt, AVX-512) gives the brute-force answer:
// long buckets (32 substrings of 8 bits over 30,000 hashes: ~120 entries per bucket, so the
// AVX-512 kernel runs full 16-entry steps and every tail length) and short ones (16 x 16 bits).
TEST(PdqIndex, EveryKernelMatchesBruteForce) {
  std::mt19937_64 rng(4242);
  const auto data = clustered(30000, rng);
  const auto qs = queries_for(data, 60, rng);
  const auto best = best_pdq_kernel();
  for (int k = 0; k <= static_cast<int>(best); ++k) {
    const auto kernel = static_cast<PdqKernel>(k);
    limit_pdq_kernel(kernel);
    ASSERT_EQ(pdq_kernel(), kernel);
    for (int chunks : {32, 16}) {
      SCOPED_TRACE(std::string("kernel ") + to_string(kernel) + " chunks " + std::to_string(chunks));
      const auto index = PdqIndex::build(data, {chunks, PdqIndexLayout::filtered});
      const auto hits = check_against_brute_force(data, qs, index, {0, 8, 20, 31});
      EXPECT_GT(hits, 30u);  // the near-duplicate queries do find things
    }
  }
  limit_pdq_kernel(PdqKernel::avx512);
  EXPECT_EQ(pdq_kernel(), best);
  if (best != PdqKernel::avx512) std::printf("note: this CPU has no AVX-512 VPOPCNTDQ; that kernel was not run\n");
}

// The filter must keep a true match wherever it sits in its bucket. 16 x 16-bit substrings at
// radius 15 probe each substring at 0 flips, so a hash with one flip in each of 15 substrings is
// found only through the 16th, clean one, and its 96 filter bits (the next 6 substrings) differ
// in 6 bits, near enough to the allowed 15 that a filter reading the wrong word or skipping a lane
// loses it. Group c (clean substring c) has c + 1 + 16 ((c + 1) mod 3) such hashes, all in one
// bucket: buckets of 1 to 16 entries plus 0, 16 or 32 more, so every position of a 16-entry step
// and every tail length after one, two or three steps is exercised.
TEST(PdqIndex, FilterKeepsMatchesAtEveryBucketPosition) {
  std::mt19937_64 rng(99);
  const Hash256 q = random_hash(rng);
  std::vector<Hash256> data;
  for (int i = 0; i < 5000; ++i) data.push_back(random_hash(rng));
  std::vector<std::uint32_t> targets;
  for (int clean = 0; clean < 16; ++clean) {
    for (int k = 0; k < clean + 1 + 16 * ((clean + 1) % 3); ++k) {
      Hash256 h = q;
      for (int c = 0; c < 16; ++c) {
        if (c == clean) continue;
        const int p = 16 * c + static_cast<int>(rng() % 16);  // bit p of words(): bit p % 8 of byte p / 8
        h.bytes[static_cast<std::size_t>(p >> 3)] ^= static_cast<std::uint8_t>(1u << (p & 7));
      }
      targets.push_back(static_cast<std::uint32_t>(data.size()));
      data.push_back(h);
    }
  }
  const auto index = PdqIndex::build(data, {16, PdqIndexLayout::filtered});
  const auto best = best_pdq_kernel();
  for (int k = 0; k <= static_cast<int>(best); ++k) {
    limit_pdq_kernel(static_cast<PdqKernel>(k));
    std::vector<PdqHit> got;
    index.search(q, 15, got);
    expect_same(got, brute_force(data, q, 15), std::string("kernel ") + to_string(static_cast<PdqKernel>(k)));
    for (std::uint32_t t : targets) {
      EXPECT_TRUE(std::any_of(got.begin(), got.end(), [&](const PdqHit& h) { return h.position == t && h.distance == 15; }))
          << "kernel " << to_string(static_cast<PdqKernel>(k)) << " lost target " << t;
      if (::testing::Test::HasFailure()) break;
    }
  }
  limit_pdq_kernel(PdqKernel::avx512);
}

// The tightest cases of the generalised pigeonhole bound the index probes by: a query at distance
// exactly r = m * a + b whose flips are spread so that only one substring is within its budget
// (the m - b - 1 substrings probed at a - 1 flips carry a flips each, one of the other b + 1
// carries a, the rest a + 1). The target must be found, whichever substring is the close one.
TEST(PdqIndex, FindsHashesAtTheEdgeOfThePigeonholeBound) {
  std::mt19937_64 rng(77);
  std::vector<Hash256> data;
  for (int i = 0; i < 3000; ++i) data.push_back(random_hash(rng));
  for (int m : {12, 13, 14, 16, 21})
  for (PdqIndexLayout layout : kLayouts) {
    const auto index = PdqIndex::build(data, {m, layout});
    std::vector<int> start, bits;
    for (int c = 0, at = 0; c < m; ++c) {
      bits.push_back(256 / m + (c < 256 % m ? 1 : 0));
      start.push_back(at);
      at += bits.back();
    }
    for (int r : {1, 5, 11, 12, 20, 31, 40, 47}) {
      const int a = r / m, b = r % m;
      if (a + 1 > bits.back()) continue;
      for (int close = m - b - 1; close < m; ++close) {  // which budget-a substring is within budget
        const std::size_t target = rng() % data.size();
        Hash256 q = data[target];
        int total = 0;
        for (int c = 0; c < m; ++c) {
          const int flips = c < m - b - 1 ? a : (c == close ? a : a + 1);
          std::vector<int> pos(static_cast<std::size_t>(bits[c]));
          std::iota(pos.begin(), pos.end(), start[c]);
          std::shuffle(pos.begin(), pos.end(), rng);
          for (int k = 0; k < flips; ++k) {  // bit p of words(): bit p % 8 of byte p / 8
            const int p = pos[static_cast<std::size_t>(k)];
            q.bytes[static_cast<std::size_t>(p >> 3)] ^= static_cast<std::uint8_t>(1u << (p & 7));
          }
          total += flips;
        }
        ASSERT_EQ(total, r);
        std::vector<PdqHit> got;
        index.search(q, r, got);
        expect_same(got, brute_force(data, q, r),
                    "chunks " + std::to_string(m) + " " + layout_name(layout) + " radius " + std::to_string(r) +
                        " close " + std::to_string(close));
        EXPECT_TRUE(std::any_of(got.begin(), got.end(), [&](const PdqHit& h) { return h.position == target; }))
            << "chunks " << m << " " << layout_name(layout) << " radius " << r << " close substring " << close;
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

std::vector<Hash256> read_hash_list(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<Hash256> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(Hash256::parse_hex(line.substr(0, 64)));
  }
  return out;
}

TEST(PdqIndex, ReferenceNeedlesAndHaystack) {
  const std::string dir = std::string(VIGIL_SHARED_TESTDATA_DIR) + "/pdq-reference/reg-test-input/";
  const auto needles = read_hash_list(dir + "needles.txt");
  const auto haystack = read_hash_list(dir + "haystack.txt");
  ASSERT_EQ(needles.size(), 100u);
  ASSERT_EQ(haystack.size(), 1350u);
  for (int chunks : {12, 16})
  for (PdqIndexLayout layout : kLayouts) {
    const auto index = PdqIndex::build(haystack, {chunks, layout});
    const auto hits = check_against_brute_force(haystack, needles, index, {0, 16, 31, 32, 63});
    EXPECT_GT(hits, 100u);
    // The haystack against itself: every hash finds at least itself at distance 0.
    for (std::size_t i = 0; i < haystack.size(); ++i) {
      std::vector<PdqHit> got;
      index.search(haystack[i], 31, got);
      ASSERT_TRUE(std::any_of(got.begin(), got.end(), [&](const PdqHit& h) { return h.position == i && h.distance == 0; }));
    }
  }
}

TEST(PdqIndex, BatchEqualsSingleQueries) {
  std::mt19937_64 rng(7);
  const auto data = clustered(5000, rng);
  const auto qs = queries_for(data, 500, rng);
  const auto index = PdqIndex::build(data);
  const auto batch = index.search_batch(qs, 31, 2);
  ASSERT_EQ(batch.size(), qs.size());
  for (std::size_t i = 0; i < qs.size(); ++i) {
    std::vector<PdqHit> single;
    index.search(qs[i], 31, single);
    expect_same(batch[i], single, "batch query " + std::to_string(i));
  }
}

TEST(PdqIndex, EmptyAndEdgeCases) {
  const PdqIndex empty;
  std::vector<PdqHit> out;
  empty.search(Hash256{}, 31, out);
  EXPECT_TRUE(out.empty());
  const auto built_empty = PdqIndex::build({});
  built_empty.search(Hash256{}, 256, out);
  EXPECT_TRUE(out.empty());

  std::mt19937_64 rng(3);
  std::vector<Hash256> data{random_hash(rng), random_hash(rng)};
  const auto index = PdqIndex::build(data);
  index.search(data[0], -1, out);
  EXPECT_TRUE(out.empty());
  index.search(data[0], 256, out);
  EXPECT_EQ(out.size(), 2u);

  EXPECT_THROW(PdqIndex::build(data, {10}), Error);
  EXPECT_THROW(PdqIndex::build(data, {65}), Error);
}

TEST(PdqIndex, AutomaticLayoutIsFilteredUpToItsLimit) {
  EXPECT_EQ(PdqIndexParams::auto_layout(0), PdqIndexLayout::filtered);
  EXPECT_EQ(PdqIndexParams::auto_layout(PdqIndexParams::kFilteredMax), PdqIndexLayout::filtered);
  EXPECT_EQ(PdqIndexParams::auto_layout(PdqIndexParams::kFilteredMax + 1), PdqIndexLayout::compact);
  std::mt19937_64 rng(5);
  const std::vector<Hash256> data{random_hash(rng)};
  EXPECT_EQ(PdqIndex::build(data).layout(), PdqIndexLayout::filtered);
  EXPECT_EQ(PdqIndex::build(data, {16, PdqIndexLayout::compact}).layout(), PdqIndexLayout::compact);
}

class PdqIndexBlob : public ::testing::TestWithParam<PdqIndexLayout> {};

TEST_P(PdqIndexBlob, RoundTrip) {
  std::mt19937_64 rng(11);
  const auto data = clustered(3000, rng);
  const auto index = PdqIndex::build(data, {0, GetParam()});
  auto copy = std::make_shared<std::vector<std::uint64_t>>(index.blob().size() / 8);
  std::memcpy(copy->data(), index.blob().data(), index.blob().size());
  const auto loaded = PdqIndex::from_blob({reinterpret_cast<const std::byte*>(copy->data()), index.blob().size()});
  ASSERT_EQ(loaded.size(), data.size());
  EXPECT_EQ(loaded.layout(), GetParam());
  const auto qs = queries_for(data, 100, rng);
  check_against_brute_force(data, qs, loaded, {31});
}

TEST_P(PdqIndexBlob, CorruptBlobIsRefusedOrHarmless) {
  std::mt19937_64 rng(12);
  std::vector<Hash256> data;
  for (int i = 0; i < 400; ++i) data.push_back(random_hash(rng));
  const auto index = PdqIndex::build(data, {16, GetParam()});
  const auto blob = index.blob();
  const auto qs = queries_for(data, 20, rng);

  // Truncations.
  for (std::size_t len : {std::size_t{0}, std::size_t{8}, std::size_t{24}, blob.size() / 2, blob.size() - 8}) {
    auto buf = std::make_shared<std::vector<std::uint64_t>>(blob.size() / 8);
    std::memcpy(buf->data(), blob.data(), blob.size());
    EXPECT_THROW(PdqIndex::from_blob({reinterpret_cast<const std::byte*>(buf->data()), len}), Error) << len;
  }
  // Random byte flips: refused with an Error, or (a flip in padding) still exact.
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto buf = std::make_shared<std::vector<std::uint64_t>>(blob.size() / 8);
    std::memcpy(buf->data(), blob.data(), blob.size());
    auto* bytes = reinterpret_cast<std::uint8_t*>(buf->data());
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Half the flips land in the header and hashes, where they are most dangerous.
      const std::size_t limit = trial % 2 ? blob.size() : 64 + data.size() * 32;
      bytes[rng() % limit] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    }
    try {
      const auto loaded = PdqIndex::from_blob({reinterpret_cast<const std::byte*>(buf->data()), blob.size()});
      check_against_brute_force(data, qs, loaded, {31});
    } catch (const Error& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find("PDQ index data"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(refused, 250);
}

INSTANTIATE_TEST_SUITE_P(Layouts, PdqIndexBlob, ::testing::ValuesIn(kLayouts),
                         [](const auto& p) { return layout_name(p.param); });

}  // namespace
}  // namespace vigil::match
