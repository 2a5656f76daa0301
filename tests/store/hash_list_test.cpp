// Hash list import/export: every format, validation with line numbers, real third-party layouts,
// and lossless round trips through the SQLite store.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bank_test_util.h"
#include "vigil/common/error.h"
#include "vigil/store/hash_list_export.h"
#include "vigil/store/hash_list_import.h"
#include "vigil/store/sqlite_bank_store.h"

namespace vigil::store {
namespace {

using testing::make_entry;
using testing::TempDir;

const std::filesystem::path kData = std::filesystem::path(VIGIL_TESTDATA_DIR) / "store";
constexpr const char* kBridge = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
constexpr const char* kC = "e4cc89d91c623842f8d1f1d9a398e78c9f199a3bf87925f2b7e11e0bf061b064";
constexpr const char* kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
constexpr const char* kEmptySha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

HashListReadResult read_text(const std::string& text, HashListImportOptions opt = {}) {
  std::istringstream in(text);
  return read_hash_list(in, opt);
}

HashListReadResult read_file(const std::string& name, HashListImportOptions opt = {}) {
  std::ifstream in(kData / name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return read_hash_list(in, opt, name);
}

using testing::error_of;

TEST(HashListImport, PlainListWithQualitiesTypesCommentsAndUppercase) {
  const auto r = read_file("plain_mixed.txt");
  EXPECT_EQ(r.format, HashListFormat::plain);
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.entries[0].signal_type, SignalType::pdq);  // 64 digits with a quality: PDQ
  EXPECT_EQ(r.entries[0].value, kBridge);
  EXPECT_EQ(r.entries[0].quality, 100);
  EXPECT_EQ(r.entries[1].value, kC);  // lowercased
  EXPECT_EQ(r.entries[1].quality, 92);
  EXPECT_EQ(r.entries[2].signal_type, SignalType::pdq);
  EXPECT_FALSE(r.entries[2].quality);
  EXPECT_EQ(r.entries[3].signal_type, SignalType::md5);
  EXPECT_EQ(r.entries[3].value, kEmptyMd5);
}

TEST(HashListImport, AmbiguousSixtyFourDigitsNeedAType) {
  const std::string text = std::string(kBridge) + "\n";
  const auto msg = error_of([&] { read_text(text); });
  EXPECT_NE(msg.find("line 1: 64 hex digits could be a pdq or a sha256 value"), std::string::npos) << msg;
  HashListImportOptions opt;
  opt.signal_type = SignalType::sha256;
  EXPECT_EQ(read_text(text, opt).entries.at(0).signal_type, SignalType::sha256);
}

TEST(HashListImport, BadLinesAreReportedWithTheirNumber) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {std::string(kEmptyMd5) + "\n" + std::string(kEmptySha1).substr(0, 39) + "\n",
       "line 2: value 'da39a3ee5e6b4b0d3255bfef95601890afd8070' has 39 characters"},
      {"sha1 " + std::string(kEmptySha1).substr(0, 39) + "\n", "line 1: sha1 value has 39 hex digits, expected 40"},
      {"md5 d41d8cd98f00b204e9800998ecf8427g\n", "line 1: md5 value: character 'g' at position 32 is not a hex digit"},
      {"# c\n\nvpdqx " + std::string(kEmptyMd5) + "\n", "line 3: unknown signal type 'vpdqx'"},
      {std::string(kBridge) + " 101\n", "line 1: quality '101' is not an integer from 0 to 100"},
      {std::string(kBridge) + " 50 extra\n", "line 1: expected '[type] hash [quality]'"},
      {"{\"signal_type\":\"pdq\",\"value\":\"" + std::string(kBridge) + "\"}\n{not json\n", "line 2: not valid JSON"},
      {"signal_type,signal\npdq," + std::string(kBridge) + ",extra\n", "line 2: 3 fields, but the header has 2"},
      {"signal_type,signal,note\nmd5," + std::string(kEmptyMd5) + ",\"never closed\n", "a quoted field is never closed"},
  };
  for (const auto& c : cases) {
    const auto msg = error_of([&] { read_text(c.text); });
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "got: " << msg << "\nwant: " << c.expected;
  }
}

TEST(HashListImport, SkipBadCollectsEveryBadLineAndKeepsTheRest) {
  HashListImportOptions opt;
  opt.skip_bad = true;
  const auto r = read_file("plain_bad_last.txt", opt);
  EXPECT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.records, 4u);
  ASSERT_EQ(r.bad_lines.size(), 1u);
  EXPECT_EQ(r.bad_line_count, 1u);
  EXPECT_EQ(r.bad_lines[0].line, 4u);
  EXPECT_NE(r.bad_lines[0].reason.find("39 characters"), std::string::npos) << r.bad_lines[0].reason;
  EXPECT_EQ(r.entries[2].signal_type, SignalType::sha256);
  // Without skip_bad the same file throws, naming line 4.
  EXPECT_NE(error_of([&] { read_file("plain_bad_last.txt"); }).find("line 4:"), std::string::npos);
}

TEST(HashListImport, HmaSampleDataLayout) {
  const auto r = read_file("hma_sample_pdq.csv");
  EXPECT_EQ(r.format, HashListFormat::csv);
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].signal_type, SignalType::pdq);
  EXPECT_EQ(r.entries[0].value, kBridge);
  EXPECT_EQ(r.entries[0].source_id, "2880742865368386");
  EXPECT_EQ(r.entries[0].added_at, 1596221272);  // 2020-07-31T18:47:52Z
  EXPECT_EQ(r.entries[0].labels,
            (std::vector<std::string>{"media_priority_pdq_samples", "disputed", "media_type_photo"}));
  EXPECT_EQ(r.entries[2].labels, (std::vector<std::string>{"test_pdq_samples"}));
}

TEST(HashListImport, ThreatExchangeDatasetCsv) {
  const auto r = read_file("te_dataset.csv");
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].signal_type, SignalType::pdq);
  EXPECT_EQ(r.entries[0].labels, (std::vector<std::string>{"test_sample", "bridge"}));
  EXPECT_EQ(r.entries[1].signal_type, SignalType::md5);  // photo_md5
  EXPECT_EQ(r.entries[1].value, kEmptyMd5);
  EXPECT_EQ(r.entries[2].signal_type, SignalType::sha1);
  EXPECT_TRUE(r.entries[2].labels.empty());
  EXPECT_EQ(r.ignored_columns, (std::vector<std::string>{"collab", "category"}));
}

TEST(HashListImport, PdqReferenceOutputsImportUnchanged) {
  const auto dir = std::filesystem::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference" / "expected";
  {
    std::ifstream in(dir / "cpp-reference-hashes.csv");
    ASSERT_TRUE(in);
    const auto r = read_hash_list(in, {}, "cpp-reference-hashes.csv");  // pdq_hex,quality,file
    ASSERT_FALSE(r.entries.empty());
    for (const auto& e : r.entries) {
      EXPECT_EQ(e.signal_type, SignalType::pdq);
      EXPECT_TRUE(e.quality.has_value());
      EXPECT_FALSE(e.note.empty());
    }
  }
  {
    std::ifstream in(dir / "python-port-test-expected.tsv");  // header: file<TAB>pdq_hex
    ASSERT_TRUE(in);
    const auto r = read_hash_list(in, {}, "python-port-test-expected.tsv");
    ASSERT_FALSE(r.entries.empty());
    for (const auto& e : r.entries) EXPECT_EQ(e.signal_type, SignalType::pdq);
    EXPECT_EQ(r.ignored_columns, (std::vector<std::string>{"file"}));
  }
}

TEST(HashListImport, JsonLinesAcceptsArraysStringsAndIsoTimes) {
  const std::string text =
      "{\"signal_type\":\"md5\",\"value\":\"" + std::string(kEmptyMd5) +
      "\",\"labels\":[\"A1\",\"B2\"],\"added_at\":\"2020-07-31T18:47:52Z\",\"extra\":1}\n"
      "{\"sha1\":\"" + std::string(kEmptySha1) + "\",\"tags\":\"x y\",\"disabled\":true,\"disabled_reason\":\"r\"}\n";
  const auto r = read_text(text);
  EXPECT_EQ(r.format, HashListFormat::jsonl);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].labels, (std::vector<std::string>{"A1", "B2"}));
  EXPECT_EQ(r.entries[0].added_at, 1596221272);
  EXPECT_EQ(r.entries[1].signal_type, SignalType::sha1);
  EXPECT_EQ(r.entries[1].labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(r.entries[1].disabled);
  EXPECT_EQ(r.ignored_columns, (std::vector<std::string>{"extra"}));
  EXPECT_NE(error_of([&] { read_text("[1,2]\n"); }).find("line 1: not a JSON object"), std::string::npos);
  EXPECT_NE(error_of([&] { read_text("{\"signal_type\":\"md5\"}\n"); }).find("no hash value"), std::string::npos);
}

TEST(HashListImport, HostileInputGivesErrorsNotCrashes) {
  HashListImportOptions opt;
  opt.skip_bad = true;
  opt.max_line_bytes = 1000;
  std::string text = std::string(5000, 'a') + "\n";                // too long
  text += std::string("md5 \xff\xfe") + "\n";                        // binary
  text += "\"" + std::string(10, 'x') + "\n";                        // plain: quote
  text += "md5 " + std::string(kEmptyMd5) + "\n";                    // good
  text += std::string(1, '\0') + "\n";                               // NUL
  const auto r = read_text(text, opt);
  EXPECT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.bad_line_count, 4u);
  EXPECT_NE(r.bad_lines[0].reason.find("longer than 1000 bytes"), std::string::npos);
  // CSV: a note holding a NUL byte, then a record whose quote is never closed.
  opt.format = HashListFormat::csv;
  std::string csv = "signal_type,signal,note\nmd5," + std::string(kEmptyMd5) + ",\"a";
  csv += '\0';
  csv += "b\"\nsha1," + std::string(kEmptySha1) + ",ok\nmd5," + std::string(kEmptyMd5) + ",\"open\n";
  const auto c = read_text(csv, opt);
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].signal_type, SignalType::sha1);
  ASSERT_EQ(c.bad_line_count, 2u);
  EXPECT_EQ(c.bad_lines[0].line, 2u);
  EXPECT_NE(c.bad_lines[0].reason.find("control character 0x00"), std::string::npos) << c.bad_lines[0].reason;
  EXPECT_EQ(c.bad_lines[1].line, 4u);
  EXPECT_NE(c.bad_lines[1].reason.find("never closed"), std::string::npos);
}

TEST(HashListImport, ReaderStreamsOneEntryAtATime) {
  std::istringstream in("signal_type,signal\nmd5," + std::string(kEmptyMd5) + "\nmd5,zz\nsha1," + kEmptySha1 + "\n");
  HashListImportOptions opt;
  opt.skip_bad = true;
  HashListReader reader(in, opt, "list.csv");
  BankEntry e;
  ASSERT_TRUE(reader.next(e));
  EXPECT_EQ(e.value, kEmptyMd5);
  EXPECT_EQ(reader.summary().records, 1u);
  ASSERT_TRUE(reader.next(e));  // the bad line 3 is skipped on the way
  EXPECT_EQ(e.value, kEmptySha1);
  EXPECT_EQ(reader.summary().bad_line_count, 1u);
  EXPECT_EQ(reader.summary().bad_lines.at(0).line, 3u);
  EXPECT_FALSE(reader.next(e));
  EXPECT_EQ(reader.summary().records, 3u);
  EXPECT_TRUE(reader.summary().entries.empty());
}

TEST(HashListImport, Timestamps) {
  EXPECT_EQ(parse_timestamp("1596221272"), 1596221272);
  EXPECT_EQ(parse_timestamp("2020-07-31T18:47:52+0000"), 1596221272);
  EXPECT_EQ(parse_timestamp("2020-07-31T20:47:52+02:00"), 1596221272);
  EXPECT_EQ(parse_timestamp("2020-07-31 18:47:52.123Z"), 1596221272);
  EXPECT_EQ(parse_timestamp("2020-07-31"), 1596153600);
  EXPECT_FALSE(parse_timestamp("2020-13-01"));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2020-07-31T18:47"));
}

TEST(HashListImport, BomAndCrlf) {
  const std::string text = "\xEF\xBB\xBFsignal_type,signal\r\nmd5," + std::string(kEmptyMd5) + "\r\n";
  const auto r = read_text(text);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].value, kEmptyMd5);
}

std::vector<BankEntry> tricky_entries() {
  std::vector<BankEntry> out;
  BankEntry a = make_entry(SignalType::pdq, 1);
  a.quality = 77;
  a.labels = {"A1", "stock-photo", "ünïcode"};
  a.source_id = "te,12345";
  a.added_at = 1600000000;
  a.added_by = "analyst \"one\"";
  a.note = "first line\nsecond line,\twith tab and \"quotes\"";
  a.disabled = true;
  a.disabled_reason = "matches a meme, see case 12";
  a.curation = CurationState::disputed;
  out.push_back(a);
  BankEntry b = make_entry(SignalType::md5, 2);
  b.added_at = 1600000001;
  b.note = " leading and trailing spaces ";
  b.curation = CurationState::confirmed;
  out.push_back(b);
  BankEntry c = make_entry(SignalType::sha1, 3);
  c.added_at = 1600000002;
  out.push_back(c);
  BankEntry d = make_entry(SignalType::sha256, 4);
  d.added_at = 1600000003;
  d.quality = 0;
  out.push_back(d);
  return out;
}

void expect_same_entries(const std::vector<BankEntry>& want, const std::vector<BankEntry>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(want[i].signal_type, got[i].signal_type);
    EXPECT_EQ(want[i].value, got[i].value);
    EXPECT_EQ(want[i].quality, got[i].quality);
    EXPECT_EQ(want[i].labels, got[i].labels);
    EXPECT_EQ(want[i].source_id, got[i].source_id);
    EXPECT_EQ(want[i].added_at, got[i].added_at);
    EXPECT_EQ(want[i].added_by, got[i].added_by);
    EXPECT_EQ(want[i].note, got[i].note);
    EXPECT_EQ(want[i].disabled, got[i].disabled);
    EXPECT_EQ(want[i].disabled_reason, got[i].disabled_reason);
    EXPECT_EQ(want[i].curation, got[i].curation);
  }
}

// Store -> export -> import into a fresh bank -> export again: same entries, same bytes (but ids).
TEST(HashListRoundTrip, EveryLosslessFormatThroughTheStore) {
  for (const auto format : {HashListFormat::jsonl, HashListFormat::csv, HashListFormat::tsv}) {
    SCOPED_TRACE(std::string(to_string(format)));
    TempDir dir;
    SqliteDatabase db(dir.path() / "vigil.db");
    SqliteBankStore store(db);
    Bank spec;
    spec.name = "src";
    const auto src = store.create_bank(spec);
    spec.name = "dst";
    const auto dst = store.create_bank(spec);
    const auto entries = tricky_entries();
    store.add_entries(src.id, entries);

    std::ostringstream first;
    HashListWriter w1(first, format);
    store.for_each_entry(src.id, [&](const BankEntry& e) { w1.write(e); });
    w1.finish();
    EXPECT_EQ(w1.written(), 4);

    std::istringstream in(first.str());
    HashListImportOptions opt;
    opt.format = format;
    const auto parsed = read_hash_list(in, opt);
    expect_same_entries(entries, parsed.entries);
    store.add_entries(dst.id, parsed.entries);

    std::vector<BankEntry> stored;
    store.for_each_entry(dst.id, [&](const BankEntry& e) { stored.push_back(e); });
    expect_same_entries(entries, stored);

    std::ostringstream second;
    HashListWriter w2(second, format);
    for (const auto& e : stored) w2.write(e);
    w2.finish();
    // Only the entry ids differ (the last field of every record).
    auto strip_ids = [](std::string s) {
      std::string out;
      std::istringstream lines(s);
      std::string line;
      while (std::getline(lines, line)) {
        const auto pos = line.find("entry_id");
        const auto cut = pos != std::string::npos ? pos : line.find_last_of(",\t");
        out += line.substr(0, cut == std::string::npos ? line.size() : cut) + "\n";
      }
      return out;
    };
    EXPECT_EQ(strip_ids(first.str()), strip_ids(second.str()));
  }
}

TEST(HashListRoundTrip, PlainKeepsValueAndQuality) {
  std::ostringstream out;
  HashListWriter w(out, HashListFormat::plain);
  BankEntry a = make_entry(SignalType::pdq, 5);
  a.quality = 64;
  w.write(a);
  w.write(make_entry(SignalType::md5, 6));
  w.finish();
  const auto r = read_text(out.str());
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].value, a.value);
  EXPECT_EQ(r.entries[0].quality, 64);
  EXPECT_EQ(r.entries[0].signal_type, SignalType::pdq);
  EXPECT_EQ(r.entries[1].signal_type, SignalType::md5);
}

TEST(HashListRoundTrip, EmptyCsvExportStillHasItsHeader) {
  std::ostringstream out;
  HashListWriter w(out, HashListFormat::csv);
  w.finish();
  EXPECT_EQ(out.str().rfind("signal_type,signal,quality,labels,", 0), 0u);
  EXPECT_TRUE(read_text(out.str()).entries.empty());
}

TEST(HashListFormatNames, ParseAndDetect) {
  EXPECT_EQ(parse_hash_list_format("JSONL"), HashListFormat::jsonl);
  EXPECT_EQ(parse_hash_list_format("ndjson"), HashListFormat::jsonl);
  EXPECT_FALSE(parse_hash_list_format("xml"));
  EXPECT_EQ(format_from_path("a/b.TSV"), HashListFormat::tsv);
  EXPECT_FALSE(format_from_path("list"));
  EXPECT_EQ(parse_signal_type_alias("video_md5"), SignalType::md5);
  EXPECT_EQ(parse_signal_type_alias("PDQ"), SignalType::pdq);
  EXPECT_FALSE(parse_signal_type_alias("vpdq"));
}

}  // namespace
}  // namespace vigil::store
