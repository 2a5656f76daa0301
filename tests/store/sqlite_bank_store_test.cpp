// SqliteBankStore against real SQLite files in a temp folder.
#include "vigil/store/sqlite_bank_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "bank_test_util.h"
#include "vigil/common/error.h"

namespace vigil::store {
namespace {

using testing::make_entry;
using testing::sample_value;
using testing::TempDir;

using testing::error_of;

class SqliteBankStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::int64_t clock_ = 1700000000;
  SqliteDatabase db_{dir_.path() / "vigil.db"};
  SqliteBankStore store_{db_, [this] { return clock_; }};

  Bank make_bank(const std::string& name, BankKind kind = BankKind::match) {
    Bank b;
    b.name = name;
    b.kind = kind;
    return store_.create_bank(b);
  }
};

TEST_F(SqliteBankStoreTest, CreateAppliesDefaultsAndFindsByNameAndId) {
  Bank spec;
  spec.name = "known-benign";
  spec.description = "test images";
  spec.default_labels = {"A1", "test"};
  const Bank b = store_.create_bank(spec);
  EXPECT_GT(b.id, 0);
  EXPECT_EQ(b.pdq_threshold, 31);
  EXPECT_EQ(b.min_quality, 50);
  EXPECT_EQ(b.kind, BankKind::match);
  EXPECT_EQ(b.version, 1);
  EXPECT_EQ(b.created_at, 1700000000);
  EXPECT_EQ(b.updated_at, 1700000000);
  EXPECT_EQ(b.default_labels, (std::vector<std::string>{"A1", "test"}));
  EXPECT_EQ(store_.find_bank("known-benign")->id, b.id);
  EXPECT_EQ(store_.find_bank(b.id)->description, "test images");
  EXPECT_FALSE(store_.find_bank("missing"));
  EXPECT_FALSE(store_.find_bank(std::int64_t{9999}));
}

TEST_F(SqliteBankStoreTest, RejectsBadSettingsAndDuplicateNames) {
  make_bank("one");
  EXPECT_NE(error_of([&] { make_bank("one"); }).find("already exists"), std::string::npos);
  EXPECT_NE(error_of([&] { make_bank("has space"); }).find("character 4"), std::string::npos);
  EXPECT_NE(error_of([&] { make_bank(""); }).find("empty"), std::string::npos);
  Bank b;
  b.name = "thr";
  b.pdq_threshold = 64;
  EXPECT_NE(error_of([&] { store_.create_bank(b); }).find("between 0 and 63, got 64"), std::string::npos);
  b.pdq_threshold = 63;
  b.min_quality = 101;
  EXPECT_NE(error_of([&] { store_.create_bank(b); }).find("minimum query quality"), std::string::npos);
  b.min_quality = 50;
  b.default_labels = {"two words"};
  EXPECT_NE(error_of([&] { store_.create_bank(b); }).find("label"), std::string::npos);
  EXPECT_EQ(store_.list_banks().size(), 1u);
}

TEST_F(SqliteBankStoreTest, EveryChangeIncrementsTheVersion) {
  Bank b = make_bank("v");
  EXPECT_EQ(b.version, 1);
  clock_ += 10;
  store_.add_entries(b.id, {make_entry(SignalType::pdq, 1), make_entry(SignalType::md5, 2)});
  b = *store_.find_bank("v");
  EXPECT_EQ(b.version, 2);  // one import = one version
  EXPECT_EQ(b.updated_at, 1700000010);
  b.pdq_threshold = 20;
  b = store_.update_bank(b);
  EXPECT_EQ(b.version, 3);
  EXPECT_EQ(b.pdq_threshold, 20);
  std::int64_t first_id = 0;
  store_.for_each_entry(b.id, [&](const BankEntry& e) {
    if (!first_id) first_id = e.id;
  });
  store_.set_entry_disabled(first_id, true, "false positive on a stock photo");
  EXPECT_EQ(store_.find_bank("v")->version, 4);
  store_.set_entry_curation(first_id, CurationState::disputed);
  EXPECT_EQ(store_.find_bank("v")->version, 5);
  store_.delete_entry(first_id);
  EXPECT_EQ(store_.find_bank("v")->version, 6);
  // Adding only an exact duplicate changes nothing, so the version stays.
  store_.add_entries(b.id, {make_entry(SignalType::md5, 2)});
  EXPECT_EQ(store_.find_bank("v")->version, 6);
}

TEST_F(SqliteBankStoreTest, DuplicatesAreMergedAndCounted) {
  const Bank b = make_bank("dups");
  BankEntry a = make_entry(SignalType::pdq, 7);
  a.labels = {"A1"};
  a.value = std::string(a.value.begin(), a.value.end());
  BankEntry upper = a;
  for (auto& c : upper.value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.labels = {"B2"};
  upper.quality = 90;
  auto r = store_.add_entries(b.id, {a, upper, make_entry(SignalType::sha1, 3)});
  EXPECT_EQ(r.added, 2);
  EXPECT_EQ(r.merged_duplicates, 1);
  BankEntry again = a;
  again.labels = {"A1", "C3"};
  r = store_.add_entries(b.id, {again});
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.merged_duplicates, 1);
  EXPECT_EQ(store_.count_entries(b.id), 2);
  std::vector<BankEntry> all;
  store_.for_each_entry(b.id, [&](const BankEntry& e) { all.push_back(e); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value, a.value);  // lowercase
  EXPECT_EQ(all[0].labels, (std::vector<std::string>{"A1", "B2", "C3"}));
  EXPECT_EQ(all[0].quality, 90);
}

TEST_F(SqliteBankStoreTest, AddEntriesIsAllOrNothing) {
  const Bank b = make_bank("atomic");
  store_.add_entries(b.id, {make_entry(SignalType::md5, 1)});
  std::vector<BankEntry> batch;
  for (int i = 10; i < 200; ++i) batch.push_back(make_entry(SignalType::sha256, i));
  BankEntry broken = make_entry(SignalType::sha1, 5);
  broken.value.pop_back();  // 39 digits
  batch.push_back(broken);
  const auto msg = error_of([&] { store_.add_entries(b.id, batch); });
  EXPECT_NE(msg.find("entry 191: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("sha1 value has 39 hex digits, expected 40"), std::string::npos) << msg;
  EXPECT_EQ(store_.count_entries(b.id), 1);
  EXPECT_EQ(store_.find_bank("atomic")->version, 2);
  EXPECT_TRUE(store_.changes_since(b.id, 2).empty());
  EXPECT_NE(error_of([&] { store_.add_entries(424242, {make_entry(SignalType::md5, 1)}); }).find("no bank with id"),
            std::string::npos);
}

TEST_F(SqliteBankStoreTest, AStreamThatFailsHalfWayStoresNothing) {
  const Bank b = make_bank("stream");
  int produced = 0;
  const auto msg = error_of([&] {
    store_.add_entries_from(b.id, [&](BankEntry& e) {
      if (produced == 5000) throw Error("line 5001: the source broke");
      e = make_entry(SignalType::sha1, produced++);
      return true;
    });
  });
  EXPECT_EQ(msg, "line 5001: the source broke");
  EXPECT_EQ(store_.count_entries(b.id), 0);
  EXPECT_EQ(store_.find_bank(b.id)->version, 1);
  produced = 0;
  const auto r = store_.add_entries_from(b.id, [&](BankEntry& e) {
    if (produced == 3000) return false;
    e = make_entry(SignalType::sha1, produced++ % 2000);  // 1000 duplicates
    return true;
  });
  EXPECT_EQ(r.added, 2000);
  EXPECT_EQ(r.merged_duplicates, 1000);
  EXPECT_EQ(store_.find_bank(b.id)->version, 2);
}

TEST_F(SqliteBankStoreTest, ChangesSinceReportsAddsEditsAndDeletions) {
  const Bank b = make_bank("inc");
  const Bank other = make_bank("other");
  store_.add_entries(b.id, {make_entry(SignalType::pdq, 1), make_entry(SignalType::pdq, 2)});  // v2
  store_.add_entries(other.id, {make_entry(SignalType::pdq, 3)});
  const std::int64_t v2 = store_.find_bank(b.id)->version;
  EXPECT_EQ(v2, 2);
  EXPECT_EQ(store_.changes_since(b.id, 1).size(), 2u);
  EXPECT_TRUE(store_.changes_since(b.id, v2).empty());

  std::vector<std::int64_t> ids;
  store_.for_each_entry(b.id, [&](const BankEntry& e) { ids.push_back(e.id); });
  store_.add_entries(b.id, {make_entry(SignalType::md5, 4)});  // v3
  store_.set_entry_disabled(ids[0], true, "bad hash");          // v4
  store_.delete_entry(ids[1]);                                   // v5
  const auto changes = store_.changes_since(b.id, v2);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].version, 3);
  EXPECT_EQ(changes[0].entry.signal_type, SignalType::md5);
  EXPECT_FALSE(changes[0].deleted);
  EXPECT_EQ(changes[1].version, 4);
  EXPECT_EQ(changes[1].entry.id, ids[0]);
  EXPECT_TRUE(changes[1].entry.disabled);
  EXPECT_EQ(changes[1].entry.disabled_reason, "bad hash");
  EXPECT_EQ(changes[2].version, 5);
  EXPECT_TRUE(changes[2].deleted);
  EXPECT_EQ(changes[2].entry.id, ids[1]);
  EXPECT_EQ(changes[2].entry.value, sample_value(SignalType::pdq, 2));
  EXPECT_EQ(store_.changes_since(b.id, 4).size(), 1u);
  EXPECT_FALSE(store_.find_entry(ids[1]));
  // Re-enabling clears the reason.
  store_.set_entry_disabled(ids[0], false, "ignored");
  EXPECT_FALSE(store_.find_entry(ids[0])->disabled);
  EXPECT_EQ(store_.find_entry(ids[0])->disabled_reason, "");
}

TEST_F(SqliteBankStoreTest, UpdateRenamesAndRefusesTakenNames) {
  Bank a = make_bank("a");
  make_bank("b");
  a.name = "b";
  EXPECT_NE(error_of([&] { store_.update_bank(a); }).find("already exists"), std::string::npos);
  a.name = "c";
  a.enabled = false;
  a.default_labels = {"B1"};
  const Bank c = store_.update_bank(a);
  EXPECT_EQ(c.name, "c");
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.default_labels, (std::vector<std::string>{"B1"}));
  EXPECT_FALSE(store_.find_bank("a"));
  Bank ghost;
  ghost.id = 999;
  ghost.name = "ghost";
  EXPECT_NE(error_of([&] { store_.update_bank(ghost); }).find("no bank with id 999"), std::string::npos);
}

TEST_F(SqliteBankStoreTest, DeleteBankRemovesItsEntries) {
  const Bank a = make_bank("a");
  const Bank b = make_bank("b");
  store_.add_entries(a.id, {make_entry(SignalType::md5, 1), make_entry(SignalType::md5, 2)});
  store_.add_entries(b.id, {make_entry(SignalType::md5, 1)});
  std::int64_t id = 0;
  store_.for_each_entry(a.id, [&](const BankEntry& e) { id = e.id; });
  store_.delete_bank("a");
  EXPECT_FALSE(store_.find_bank("a"));
  EXPECT_FALSE(store_.find_entry(id));
  EXPECT_EQ(store_.count_entries(a.id), 0);
  EXPECT_EQ(store_.count_entries(b.id), 1);
  EXPECT_NE(error_of([&] { store_.delete_bank("a"); }).find("no bank named 'a'"), std::string::npos);
}

TEST_F(SqliteBankStoreTest, StatsCountByTypeStateAndCuration) {
  const Bank b = make_bank("s");
  store_.add_entries(b.id, {make_entry(SignalType::pdq, 1), make_entry(SignalType::pdq, 2),
                            make_entry(SignalType::sha256, 3), make_entry(SignalType::md5, 4)});
  std::vector<std::int64_t> ids;
  store_.for_each_entry(b.id, [&](const BankEntry& e) { ids.push_back(e.id); });
  store_.set_entry_disabled(ids[1], true, "x");
  store_.set_entry_curation(ids[2], CurationState::confirmed);
  store_.set_entry_curation(ids[3], CurationState::disputed);
  const BankStats s = store_.bank_stats(b.id);
  EXPECT_EQ(s.entries, 4);
  EXPECT_EQ(s.disabled, 1);
  EXPECT_EQ(s.pdq, 2);
  EXPECT_EQ(s.sha256, 1);
  EXPECT_EQ(s.md5, 1);
  EXPECT_EQ(s.sha1, 0);
  EXPECT_EQ(s.unreviewed, 2);
  EXPECT_EQ(s.confirmed, 1);
  EXPECT_EQ(s.disputed, 1);
  // The interface's generic implementation agrees with the SQL one.
  const BankStats g = store_.BankStore::bank_stats(b.id);
  EXPECT_EQ(g.entries, s.entries);
  EXPECT_EQ(g.disabled, s.disabled);
  EXPECT_EQ(g.pdq, s.pdq);
  EXPECT_EQ(g.confirmed, s.confirmed);
  EXPECT_EQ(g.disputed, s.disputed);
}

TEST_F(SqliteBankStoreTest, EntryFieldsPersistAcrossReopen) {
  const Bank b = make_bank("keep");
  BankEntry e = make_entry(SignalType::pdq, 11);
  e.quality = 87;
  e.labels = {"A2", "meme"};
  e.source_id = "te-12345";
  e.added_at = 1600000000;
  e.added_by = "analyst@example.org";
  e.note = "line one\nline two, with \"quotes\"";
  e.disabled = true;
  e.disabled_reason = "matches a stock photo";
  e.curation = CurationState::confirmed;
  store_.add_entries(b.id, {e});
  SqliteDatabase db2(dir_.path() / "vigil.db");
  SqliteBankStore store2(db2);
  std::vector<BankEntry> got;
  store2.for_each_entry(store2.find_bank("keep")->id, [&](const BankEntry& x) { got.push_back(x); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, e.value);
  EXPECT_EQ(got[0].quality, 87);
  EXPECT_EQ(got[0].labels, e.labels);
  EXPECT_EQ(got[0].source_id, e.source_id);
  EXPECT_EQ(got[0].added_at, 1600000000);
  EXPECT_EQ(got[0].added_by, e.added_by);
  EXPECT_EQ(got[0].note, e.note);
  EXPECT_TRUE(got[0].disabled);
  EXPECT_EQ(got[0].disabled_reason, e.disabled_reason);
  EXPECT_EQ(got[0].curation, CurationState::confirmed);
}

TEST_F(SqliteBankStoreTest, RefusesAStoreFromANewerVersionAndLeavesItUnchanged) {
  make_bank("kept");
  db_.exec("UPDATE schema_versions SET version = 99 WHERE component = 'banks'");
  SqliteDatabase db2(dir_.path() / "vigil.db");
  const auto msg = error_of([&] { SqliteBankStore s(db2); });
  EXPECT_NE(msg.find("'banks' schema version 99, newer than this build"), std::string::npos) << msg;
  EXPECT_EQ(db2.schema_version("banks"), 99);
  auto st = db2.prepare("SELECT name FROM banks");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "kept");
}

// A default std::string_view has a null data(); it must still bind as '' (found via disabled_reason).
TEST(SqliteBankStoreFile, AnEmptyStringViewBindsAsEmptyTextNotNull) {
  SqliteDatabase db(":memory:");
  db.exec("CREATE TABLE t (v TEXT)");
  db.prepare("INSERT INTO t (v) VALUES (?)").bind(1, std::string_view()).run();
  auto st = db.prepare("SELECT v IS NULL, v FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 0);
  EXPECT_EQ(st.column_text(1), "");
}

TEST(SqliteBankStoreFile, AFileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  const auto path = dir.path() / "vigil.db";
  {
    std::ofstream f(path, std::ios::binary);
    f << "this is a plain text file, not SQLite\n" << std::string(4096, 'x');
  }
  const auto before = std::filesystem::file_size(path);
  const auto msg = error_of([&] {
    SqliteDatabase db(path);
    SqliteBankStore s(db);
  });
  EXPECT_NE(msg.find("not a database"), std::string::npos) << msg;
  EXPECT_EQ(std::filesystem::file_size(path), before);
}

// A reader on its own connection sees a bank's entries either before or after an import, never
// part of it.
TEST(SqliteBankStoreFile, ConcurrentReaderSeesBeforeOrAfter) {
  TempDir dir;
  const auto path = dir.path() / "vigil.db";
  std::int64_t bank_id = 0;
  {
    SqliteDatabase db(path);
    SqliteBankStore store(db);
    Bank b;
    b.name = "big";
    bank_id = store.create_bank(b).id;
    store.add_entries(bank_id, {make_entry(SignalType::md5, 0)});
  }
  constexpr int kBatch = 20000;
  std::vector<BankEntry> batch;
  for (int i = 1; i <= kBatch; ++i) batch.push_back(make_entry(SignalType::sha256, i));

  std::atomic<bool> done{false};
  std::set<std::int64_t> seen_counts;
  std::set<std::int64_t> seen_changes;  // sizes of changes_since(the version before the import)
  std::string reader_error;
  std::thread reader([&] {
    try {
      SqliteDatabase db(path);
      SqliteBankStore store(db);  // the schema is current: opening takes no write lock
      while (!done.load()) {
        seen_counts.insert(store.count_entries(bank_id));
        std::int64_t streamed = 0;
        store.for_each_entry(bank_id, [&](const BankEntry&) { ++streamed; });
        seen_counts.insert(streamed);
        const auto changes = store.changes_since(bank_id, 2);
        seen_changes.insert(static_cast<std::int64_t>(changes.size()));
      }
    } catch (const Error& e) {
      reader_error = e.what();
    }
  });
  {
    SqliteDatabase db(path);
    SqliteBankStore store(db);
    const auto r = store.add_entries(bank_id, batch);
    EXPECT_EQ(r.added, kBatch);
  }
  done = true;
  reader.join();
  EXPECT_EQ(reader_error, "");
  for (const auto n : seen_counts) EXPECT_TRUE(n == 1 || n == kBatch + 1) << "reader saw " << n << " entries";
  for (const auto n : seen_changes) EXPECT_TRUE(n == 0 || n == kBatch) << "reader saw " << n << " changes";
  SqliteDatabase db(path);
  SqliteBankStore store(db);
  EXPECT_EQ(store.count_entries(bank_id), kBatch + 1);
}

}  // namespace
}  // namespace vigil::store
