// The Matcher over the real SQLite bank store: per-bank thresholds, allow-bank suppression,
// min_quality, disabled banks/entries, incremental refresh (checked against brute force after
// random mutations), atomic publication, dihedral queries, snapshots and bad input.
#include "vigil/match/matcher.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "vigil/common/error.h"
#include "vigil/match/index_snapshot.h"
#include "vigil/store/sqlite_bank_store.h"
#include "vigil/store/sqlite_database.h"

namespace vigil::match {
namespace {

using store::Bank;
using store::BankEntry;
using store::BankKind;

using vigil::testing::TempDir;

Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& b : h.bytes) b = static_cast<std::uint8_t>(rng());
  return h;
}

Hash256 flipped(Hash256 h, int count, std::mt19937_64& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  for (int i = 0; i < count; ++i) h.flip(bits[i]);
  return h;
}

std::string hex_of(std::mt19937_64& rng, std::size_t digits) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < digits; ++i) s.push_back(k[rng() % 16]);
  return s;
}

Query pdq_query(const Hash256& h, std::optional<int> quality = std::nullopt) {
  Query q;
  q.signals.push_back({SignalType::pdq, h.to_hex()});
  q.pdq_quality = quality;
  return q;
}

// n PDQ entries with random hashes, labelled L0, L1, L2 in turn when `labelled`; each hash is
// appended to `hashes`.
std::vector<BankEntry> random_pdq_entries(int n, std::mt19937_64& rng, std::vector<Hash256>& hashes,
                                          bool labelled = false) {
  std::vector<BankEntry> batch;
  for (int i = 0; i < n; ++i) {
    hashes.push_back(random_hash(rng));
    BankEntry e;
    e.signal_type = SignalType::pdq;
    e.value = hashes.back().to_hex();
    if (labelled) e.labels = {"L" + std::to_string(i % 3)};
    batch.push_back(e);
  }
  return batch;
}

class MatcherTest : public ::testing::Test {
 protected:
  MatcherTest() : db_(dir_.path() / "vigil.db"), store_(db_) {}

  Bank make_bank(const std::string& name, int threshold = 31, BankKind kind = BankKind::match,
                 std::vector<std::string> labels = {}) {
    Bank b;
    b.name = name;
    b.pdq_threshold = threshold;
    b.kind = kind;
    b.default_labels = std::move(labels);
    return store_.create_bank(b);
  }
  std::int64_t add(const Bank& bank, SignalType type, const std::string& value, std::vector<std::string> labels = {}) {
    BankEntry e;
    e.signal_type = type;
    e.value = value;
    e.labels = std::move(labels);
    store_.add_entries(bank.id, {e});
    std::int64_t id = 0;
    store_.for_each_entry(bank.id, [&](const BankEntry& x) {
      if (x.signal_type == type && x.value == value) id = x.id;
    });
    return id;
  }

  TempDir dir_;
  store::SqliteDatabase db_;
  store::SqliteBankStore store_;
};

TEST_F(MatcherTest, FindsPdqAndDigestsWithBankEntryAndLabels) {
  std::mt19937_64 rng(1);
  const auto known = make_bank("known", 31, BankKind::match, {"A1"});
  const Hash256 h = random_hash(rng);
  const auto pdq_id = add(known, SignalType::pdq, h.to_hex(), {"B2"});
  const std::string md5 = hex_of(rng, 32);
  const auto md5_id = add(known, SignalType::md5, md5);
  add(known, SignalType::pdq, random_hash(rng).to_hex());  // unrelated

  Matcher matcher(store_);
  EXPECT_EQ(matcher.stats().pdq_entries, 2u);
  EXPECT_EQ(matcher.stats().exact_entries, 1u);

  const Hash256 near = flipped(h, 17, rng);
  auto r = matcher.match(pdq_query(near));
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_TRUE(r.matched());
  EXPECT_EQ(r.matches[0].entry_id, pdq_id);
  EXPECT_EQ(r.matches[0].bank_name, "known");
  EXPECT_EQ(r.matches[0].distance, 17);
  EXPECT_EQ(r.matches[0].threshold, 31);
  EXPECT_EQ(r.matches[0].value, h.to_hex());
  EXPECT_EQ(r.matches[0].query_value, near.to_hex());
  EXPECT_EQ(r.matches[0].labels, (std::vector<std::string>{"B2", "A1"}));

  EXPECT_TRUE(matcher.match(pdq_query(flipped(h, 32, rng))).matches.empty());

  Query digest;
  std::string upper = md5;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  digest.signals.push_back({SignalType::md5, upper});
  digest.signals.push_back({SignalType::sha1, hex_of(rng, 40)});
  r = matcher.match(digest);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].entry_id, md5_id);
  EXPECT_EQ(r.matches[0].signal_index, 0u);
  EXPECT_EQ(r.matches[0].value, md5);
  EXPECT_EQ(r.matches[0].distance, 0);
  // The same digest under another type does not match.
  Query other;
  other.signals.push_back({SignalType::sha256, md5 + md5});
  EXPECT_TRUE(matcher.match(other).matches.empty());
}

TEST_F(MatcherTest, PerBankThresholds) {
  std::mt19937_64 rng(2);
  const auto strict = make_bank("strict", 10);
  const auto loose = make_bank("loose", 40);
  const Hash256 h = random_hash(rng);
  add(strict, SignalType::pdq, h.to_hex());
  add(loose, SignalType::pdq, h.to_hex());
  Matcher matcher(store_);
  for (int d : {0, 10, 11, 31, 40, 41}) {
    const auto r = matcher.match(pdq_query(flipped(h, d, rng)));
    std::set<std::string> banks;
    for (const auto& m : r.matches) banks.insert(m.bank_name);
    EXPECT_EQ(banks.count("strict"), d <= 10 ? 1u : 0u) << d;
    EXPECT_EQ(banks.count("loose"), d <= 40 ? 1u : 0u) << d;
  }
}

TEST_F(MatcherTest, AllowBankSuppressesAndSaysSo) {
  std::mt19937_64 rng(3);
  const auto known = make_bank("known");
  const auto allow = make_bank("false-positives", 8, BankKind::allow);
  const Hash256 h = random_hash(rng);
  add(known, SignalType::pdq, h.to_hex());
  const Hash256 benign = flipped(h, 20, rng);  // a known false positive of h
  const auto allow_id = add(allow, SignalType::pdq, benign.to_hex());
  Matcher matcher(store_);

  auto r = matcher.match(pdq_query(flipped(benign, 3, rng)));
  ASSERT_EQ(r.allow_matches.size(), 1u);
  EXPECT_EQ(r.allow_matches[0].entry_id, allow_id);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_TRUE(r.matches[0].suppressed);
  EXPECT_EQ(r.matches[0].suppressed_by_bank, "false-positives");
  EXPECT_EQ(r.matches[0].suppressed_by_entry, allow_id);
  EXPECT_FALSE(r.matched());

  // Outside the allow bank's threshold (8) the match stands.
  Hash256 q = h;
  r = matcher.match(pdq_query(q));
  EXPECT_TRUE(r.allow_matches.empty());
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_FALSE(r.matches[0].suppressed);
  EXPECT_TRUE(r.matched());
}

TEST_F(MatcherTest, MinQualitySkipsTheBankAndSaysSo) {
  std::mt19937_64 rng(4);
  auto spec = make_bank("picky");
  spec.min_quality = 60;
  store_.update_bank(spec);
  const Hash256 h = random_hash(rng);
  add(store_.find_bank("picky").value(), SignalType::pdq, h.to_hex());
  Matcher matcher(store_);
  auto r = matcher.match(pdq_query(h, 59));
  EXPECT_TRUE(r.matches.empty());
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].bank_name, "picky");
  EXPECT_NE(r.skipped[0].reason.find("59"), std::string::npos);
  EXPECT_NE(r.skipped[0].reason.find("60"), std::string::npos);
  EXPECT_EQ(matcher.match(pdq_query(h, 60)).matches.size(), 1u);
  EXPECT_EQ(matcher.match(pdq_query(h)).matches.size(), 1u);  // unknown quality: matched
}

TEST_F(MatcherTest, DisabledBanksAndEntriesNeverMatch) {
  std::mt19937_64 rng(5);
  auto bank = make_bank("known");
  const Hash256 a = random_hash(rng), b = random_hash(rng);
  const auto a_id = add(bank, SignalType::pdq, a.to_hex());
  add(bank, SignalType::pdq, b.to_hex());
  store_.set_entry_disabled(a_id, true, "reviewed: benign");
  Matcher matcher(store_);
  EXPECT_TRUE(matcher.match(pdq_query(a)).matches.empty());
  EXPECT_EQ(matcher.match(pdq_query(b)).matches.size(), 1u);

  bank = store_.find_bank("known").value();
  bank.enabled = false;
  store_.update_bank(bank);
  matcher.refresh();
  EXPECT_TRUE(matcher.match(pdq_query(b)).matches.empty());

  bank = store_.find_bank("known").value();
  bank.enabled = true;
  store_.update_bank(bank);
  store_.set_entry_disabled(a_id, false, "");
  matcher.refresh();
  EXPECT_EQ(matcher.match(pdq_query(a)).matches.size(), 1u);
  EXPECT_EQ(matcher.match(pdq_query(b)).matches.size(), 1u);
}

TEST_F(MatcherTest, DihedralQueryFindsTransformedImages) {
  std::mt19937_64 rng(6);
  const auto bank = make_bank("known");
  const Hash256 stored = random_hash(rng);
  add(bank, SignalType::pdq, stored.to_hex());
  Query q;
  std::array<Hash256, 8> variants;
  for (auto& v : variants) v = random_hash(rng);
  variants[5] = flipped(stored, 4, rng);  // the query image is a flipped copy of the stored one
  q.signals.push_back({SignalType::pdq, variants[0].to_hex()});
  q.pdq_dihedral = variants;

  Matcher plain(store_);
  EXPECT_TRUE(plain.match(q).matches.empty());
  MatcherOptions opts;
  opts.dihedral = true;
  Matcher dihedral(store_, opts);
  const auto r = dihedral.match(q);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].dihedral_variant, 5);
  EXPECT_EQ(r.matches[0].distance, 4);
  EXPECT_EQ(r.matches[0].query_value, variants[5].to_hex());
}

TEST_F(MatcherTest, BadSignalsAreClearErrors) {
  make_bank("known");
  Matcher matcher(store_);
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { parse_signal("pdq:abc"); }).find("64 hex digits"), std::string::npos);
  EXPECT_NE(message([] { parse_signal("md5:" + std::string(31, 'a') + "g"); }).find("not a hex digit"), std::string::npos);
  EXPECT_NE(message([] { parse_signal("vpdq:00"); }).find("unknown signal type"), std::string::npos);
  EXPECT_NE(message([] { parse_signal("0123"); }).find("type:value"), std::string::npos);
  EXPECT_EQ(parse_signal("SHA1:" + std::string(40, 'A')).value, std::string(40, 'a'));
  Query q;
  q.signals.push_back({SignalType::sha256, "zz"});
  EXPECT_NE(message([&] { matcher.match(q); }).find("sha256"), std::string::npos);
}

// Brute force straight from the store: every enabled entry of every enabled bank within threshold.
std::set<std::pair<std::int64_t, int>> expected_pdq(store::BankStore& store, const Hash256& q) {
  std::set<std::pair<std::int64_t, int>> out;
  for (const auto& bank : store.list_banks()) {
    if (!bank.enabled) continue;
    store.for_each_entry(bank.id, [&](const BankEntry& e) {
      if (e.disabled || e.signal_type != SignalType::pdq) return;
      const int d = hamming_distance(Hash256::parse_hex(e.value), q);
      if (d <= bank.pdq_threshold) out.insert({e.id, d});
    });
  }
  return out;
}

TEST_F(MatcherTest, IncrementalRefreshMatchesBruteForceAfterRandomChanges) {
  std::mt19937_64 rng(7);
  std::vector<Bank> banks{make_bank("b0", 31), make_bank("b1", 20), make_bank("b2", 45)};
  std::vector<Hash256> centres;
  for (int i = 0; i < 40; ++i) centres.push_back(random_hash(rng));
  auto random_entry = [&] {
    BankEntry e;
    e.signal_type = SignalType::pdq;
    e.value = flipped(centres[rng() % centres.size()], static_cast<int>(rng() % 40), rng).to_hex();
    return e;
  };
  for (auto& b : banks) {
    std::vector<BankEntry> batch;
    for (int i = 0; i < 60; ++i) batch.push_back(random_entry());
    store_.add_entries(b.id, batch);
  }
  Matcher matcher(store_);
  for (int round = 0; round < 25; ++round) {
    const int action = static_cast<int>(rng() % 6);
    auto& bank = banks[rng() % banks.size()];
    std::vector<std::int64_t> ids;
    store_.for_each_entry(bank.id, [&](const BankEntry& e) { ids.push_back(e.id); });
    if (action == 0 || ids.empty()) {
      std::vector<BankEntry> batch;
      for (int i = 0; i < 5; ++i) batch.push_back(random_entry());
      store_.add_entries(bank.id, batch);
    } else if (action == 1) {
      store_.set_entry_disabled(ids[rng() % ids.size()], true, "test");
    } else if (action == 2) {
      store_.set_entry_disabled(ids[rng() % ids.size()], false, "");
    } else if (action == 3) {
      store_.delete_entry(ids[rng() % ids.size()]);
    } else if (action == 4) {
      auto b = store_.find_bank(bank.id).value();
      b.pdq_threshold = static_cast<int>(rng() % 50);
      b.enabled = rng() % 4 != 0;
      store_.update_bank(b);
    } else {
      const auto b = make_bank("new" + std::to_string(round), 31);
      std::vector<BankEntry> batch{random_entry(), random_entry()};
      store_.add_entries(b.id, batch);
      banks.push_back(b);
    }
    matcher.refresh();
    for (int k = 0; k < 20; ++k) {
      const Hash256 q = flipped(centres[rng() % centres.size()], static_cast<int>(rng() % 30), rng);
      std::set<std::pair<std::int64_t, int>> got;
      for (const auto& m : matcher.match(pdq_query(q)).matches) got.insert({m.entry_id, m.distance});
      ASSERT_EQ(got, expected_pdq(store_, q)) << "round " << round << " action " << action;
    }
  }
  // A fresh full build agrees with the incrementally maintained one.
  Matcher fresh(store_);
  for (int k = 0; k < 50; ++k) {
    const Hash256 q = flipped(centres[rng() % centres.size()], static_cast<int>(rng() % 30), rng);
    EXPECT_EQ(fresh.match(pdq_query(q)).matches.size(), matcher.match(pdq_query(q)).matches.size());
  }
}

TEST_F(MatcherTest, ReadersNeverSeeHalfAChange) {
  std::mt19937_64 rng(8);
  const auto bank = make_bank("known");
  const Hash256 h = random_hash(rng);
  Matcher matcher(store_);
  // Each batch adds two entries near h in one transaction; a reader must see an even count.
  std::atomic<bool> stop{false};
  std::atomic<int> odd{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      const auto r = matcher.match(pdq_query(h));
      if (r.matches.size() % 2) ++odd;
      ++reads;
    }
  });
  for (int i = 0; i < 30; ++i) {
    std::vector<BankEntry> batch(2);
    for (auto& e : batch) {
      e.signal_type = SignalType::pdq;
      e.value = flipped(h, 1 + static_cast<int>(rng() % 20), rng).to_hex();
    }
    store_.add_entries(bank.id, batch);
    matcher.refresh();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(odd, 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(matcher.match(pdq_query(h)).matches.size() % 2, 0u);
}

// MatcherOptions::pdq_layout picks the PDQ index layout; a snapshot written with another layout
// is rebuilt rather than used, and "automatic" accepts the layout it would have chosen.
TEST_F(MatcherTest, TheConfiguredIndexLayoutIsUsedAndASnapshotOfAnotherIsRebuilt) {
  std::mt19937_64 rng(21);
  const auto bank = make_bank("known");
  std::vector<Hash256> hashes;
  store_.add_entries(bank.id, random_pdq_entries(300, rng, hashes));
  MatcherOptions opts;
  opts.snapshot_path = dir_.path() / "index.snapshot";
  auto check = [&](const Matcher& m) {
    for (int i = 0; i < 300; i += 29) {
      const auto r = m.match(pdq_query(flipped(hashes[i], 12, rng)));
      ASSERT_EQ(r.matches.size(), 1u) << i;
      EXPECT_EQ(r.matches[0].value, hashes[i].to_hex());
    }
  };
  std::size_t compact_bytes = 0;
  opts.pdq_layout = PdqIndexLayout::compact;
  {
    Matcher m(store_, opts);
    EXPECT_FALSE(m.stats().loaded_from_snapshot);
    compact_bytes = m.stats().index_bytes;
    check(m);
  }
  {
    Matcher m(store_, opts);
    EXPECT_TRUE(m.stats().loaded_from_snapshot) << m.stats().snapshot_status;
    EXPECT_EQ(m.stats().index_bytes, compact_bytes);
  }
  opts.pdq_layout = PdqIndexLayout::filtered;
  {
    Matcher m(store_, opts);
    EXPECT_FALSE(m.stats().loaded_from_snapshot);
    EXPECT_NE(m.stats().snapshot_status.find("layout"), std::string::npos) << m.stats().snapshot_status;
    EXPECT_GT(m.stats().index_bytes, compact_bytes);  // 16-byte entries instead of 4
    check(m);
  }
  opts.pdq_layout = PdqIndexLayout::automatic;  // filtered at this size: the snapshot is current
  {
    Matcher m(store_, opts);
    EXPECT_TRUE(m.stats().loaded_from_snapshot) << m.stats().snapshot_status;
    check(m);
  }
}

TEST_F(MatcherTest, SnapshotIsReusedWhenCurrentAndRebuiltWhenStaleOrCorrupt) {
  std::mt19937_64 rng(9);
  const auto bank = make_bank("known", 31, BankKind::match, {"A1"});
  std::vector<Hash256> hashes;
  auto batch = random_pdq_entries(500, rng, hashes, /*labelled=*/true);
  BankEntry digest;
  digest.signal_type = SignalType::sha1;
  digest.value = hex_of(rng, 40);
  batch.push_back(digest);
  store_.add_entries(bank.id, batch);
  const auto snap = dir_.path() / "index.snapshot";
  MatcherOptions opts;
  opts.snapshot_path = snap;

  auto check = [&](const Matcher& m) {
    for (int i = 0; i < 500; i += 37) {
      const auto r = m.match(pdq_query(flipped(hashes[i], 9, rng)));
      ASSERT_EQ(r.matches.size(), 1u) << i;
      EXPECT_EQ(r.matches[0].value, hashes[i].to_hex());
      EXPECT_EQ(r.matches[0].labels, (std::vector<std::string>{"L" + std::to_string(i % 3), "A1"}));
    }
    Query q;
    q.signals.push_back({SignalType::sha1, digest.value});
    EXPECT_EQ(m.match(q).matches.size(), 1u);
  };
  {
    Matcher first(store_, opts);
    EXPECT_FALSE(first.stats().loaded_from_snapshot);
    ASSERT_TRUE(std::filesystem::exists(snap));
    check(first);
  }
  {
    Matcher second(store_, opts);
    EXPECT_TRUE(second.stats().loaded_from_snapshot) << second.stats().snapshot_status;
    check(second);
  }
  // A change to the bank makes the snapshot stale.
  BankEntry extra;
  extra.signal_type = SignalType::pdq;
  extra.value = random_hash(rng).to_hex();
  store_.add_entries(bank.id, {extra});
  {
    Matcher third(store_, opts);
    EXPECT_FALSE(third.stats().loaded_from_snapshot);
    EXPECT_NE(third.stats().snapshot_status.find("stale"), std::string::npos);
    EXPECT_EQ(third.stats().pdq_entries, 501u);
    check(third);
  }
  // Corruption: truncation and byte flips are detected, reported and rebuilt from the store.
  std::string good;
  {
    std::ifstream in(snap, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(good.size(), 1000u);
  for (int trial = 0; trial < 24; ++trial) {
    std::string bad = good;
    if (trial % 3 == 0) {
      bad.resize(rng() % bad.size());
    } else {
      for (int f = 0; f < 1 + trial % 4; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    {
      std::ofstream out(snap, std::ios::binary | std::ios::trunc);
      out.write(bad.data(), static_cast<std::streamsize>(bad.size()));
    }
    EXPECT_THROW(read_snapshot(snap), Error) << trial;
    Matcher m(store_, opts);
    EXPECT_FALSE(m.stats().loaded_from_snapshot) << trial;
    EXPECT_NE(m.stats().snapshot_status.find("snapshot unusable"), std::string::npos) << m.stats().snapshot_status;
    check(m);
    // ...and the rebuilt snapshot is good again.
    EXPECT_NO_THROW(read_snapshot(snap));
  }
  std::filesystem::remove(snap);
  std::filesystem::create_directory(snap);  // not a file
  EXPECT_THROW(read_snapshot(snap), Error);
}

}  // namespace
}  // namespace vigil::match
