// Reference-mode PDQ against hashes produced by Meta's own C++ hasher (pdq-photo-hasher with
// ImageMagick decode) on the shared ThreatExchange test images.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/common/hash256.h"
#include "vigil/media/image_hasher.h"

namespace vigil::media {
namespace {

const std::filesystem::path kRoot = std::filesystem::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference";

struct Row {
  std::string hash;
  int quality = -1;  // -1: not given
  std::string file;
};

// Test names and failure messages show the file, not the bytes of the struct.
void PrintTo(const Row& row, std::ostream* os) { *os << row.file; }

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, sep)) out.push_back(field);
  return out;
}

// "hash,quality,file" rows; '#' lines are comments.
std::vector<Row> read_cpp_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line, ',');
    if (f.size() != 3) {
      ADD_FAILURE() << "bad row " << line;
      continue;
    }
    rows.push_back({f[0], std::stoi(f[1]), f[2]});
  }
  return rows;
}

class CppReferenceHashes : public ::testing::TestWithParam<Row> {};

TEST_P(CppReferenceHashes, ReferenceModeIsBitExact) {
  const Row& row = GetParam();
  initialize_media();
  const ImageHashes h = hash_image_file(kRoot / row.file);
  EXPECT_EQ(h.pdq.to_hex(), row.hash) << row.file << " distance "
                                      << hamming_distance(h.pdq, Hash256::parse_hex(row.hash));
  EXPECT_EQ(h.quality, row.quality) << row.file;
}

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  std::string name = info.param.file;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(SharedImages, CppReferenceHashes,
                         ::testing::ValuesIn(read_cpp_csv(kRoot / "expected/cpp-reference-hashes.csv")),
                         row_name);

TEST(WasmReferenceHashes, EveryRowWhoseFileExistsMatches) {
  std::ifstream in(kRoot / "expected/wasm-PDQMD5TestData.csv");
  ASSERT_TRUE(in);
  std::string line;
  std::getline(in, line);  // header
  int checked = 0;
  initialize_media();
  while (std::getline(in, line)) {
    const auto f = split(line, ',');
    ASSERT_EQ(f.size(), 2u) << line;
    if (f[1].size() != 64) continue;  // the .mp4 rows are MD5s of videos, not PDQ
    const std::string marker = "/data/";
    const auto at = f[0].find(marker);
    ASSERT_NE(at, std::string::npos) << line;
    const auto file = kRoot / f[0].substr(at + marker.size());
    if (!std::filesystem::exists(file)) continue;  // b.jpg is gone from the upstream repository
    const ImageHashes h = hash_image_file(file);
    // The wasm CSV predates a change upstream: sharpen-a-lot.jpg differs from today's C++ hasher
    // by 2 bits (see README.txt in the test data); every other row must be exact.
    if (file.filename() == "sharpen-a-lot.jpg") {
      EXPECT_LE(hamming_distance(h.pdq, Hash256::parse_hex(f[1])), 2) << file;
    } else {
      EXPECT_EQ(h.pdq.to_hex(), f[1]) << file;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 15);
}

TEST(DihedralReferenceHashes, EightHashesFromOneDecodeMatchTheReference) {
  const auto rows = read_cpp_csv(kRoot / "expected/cpp-reference-dihedral-bridge-1-original.csv");
  ASSERT_EQ(rows.size(), 8u);
  initialize_media();
  HashOptions options;
  options.dihedral = true;
  const ImageHashes h = hash_image_file(kRoot / rows[0].file, options);
  ASSERT_TRUE(h.dihedral.has_value());
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ((*h.dihedral)[i].to_hex(), rows[i].hash) << "dihedral " << i;
  }
  EXPECT_EQ((*h.dihedral)[0], h.pdq);
}

}  // namespace
}  // namespace vigil::media

namespace vigil::media {
namespace {

// Fast mode (shrink-on-load) against reference mode on every shared image: the deviation that
// docs/pdq.md reports. Images of 512 px or less hash identically; larger ones a few bits off.
TEST(FastModeDeviation, StaysWithinAFewBitsOfReferenceOnTheSharedImages) {
  initialize_media();
  int count = 0, total = 0, worst = 0, identical_small = 0, small = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kRoot)) {
    const auto ext = entry.path().extension();
    if (ext != ".jpg" && ext != ".png") continue;
    HashOptions fast;
    fast.mode = PdqMode::fast;
    const ImageHashes r = hash_image_file(entry.path());
    const ImageHashes f = hash_image_file(entry.path(), fast);
    const int d = hamming_distance(r.pdq, f.pdq);
    EXPECT_LE(d, 16) << entry.path();
    EXPECT_EQ(f.width, r.width);
    if (r.width <= 512 && r.height <= 512) {
      ++small;
      identical_small += d == 0;
    }
    total += d;
    worst = std::max(worst, d);
    ++count;
  }
  EXPECT_EQ(count, 32);
  EXPECT_EQ(identical_small, small);
  const double mean = static_cast<double>(total) / count;
  EXPECT_LE(mean, 4.0);
  std::printf("fast vs reference over %d images: mean Hamming %.2f, max %d\n", count, mean, worst);
  ::testing::Test::RecordProperty("fast_mean_hamming", std::to_string(mean));
  ::testing::Test::RecordProperty("fast_max_hamming", worst);
}

}  // namespace
}  // namespace vigil::media
