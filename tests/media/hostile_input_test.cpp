// Hostile and broken input: every case must end in one vigil::Error that names the input and
// the reason, never a crash, a hang or a silent hash.
#include <gtest/gtest.h>
#include <vips/vips.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"

namespace vigil::media {
namespace {

namespace fs = std::filesystem;
const fs::path kShared = fs::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference";

class HostileInput : public ::testing::Test {
 protected:
  void SetUp() override {
    initialize_media();
    dir_ = fs::temp_directory_path() /
           ("vigil-media-hostile-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  // Hashing must throw vigil::Error whose message names the file and contains `reason`.
  static std::string expect_error(const fs::path& p, const std::string& reason, const HashOptions& o = {}) {
    try {
      hash_image_file(p, o);
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find(reason), std::string::npos) << msg;
      return msg;
    }
    ADD_FAILURE() << "no error for " << p;
    return {};
  }

  fs::path dir_;
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void put32be(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

void png_chunk(std::vector<std::uint8_t>& png, const char* type, const std::vector<std::uint8_t>& data) {
  put32be(png, static_cast<std::uint32_t>(data.size()));
  std::vector<std::uint8_t> body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put32be(png, crc32(body.data(), body.size()));
}

// A valid PNG signature and header claiming width x height, with a token of pixel data.
std::vector<std::uint8_t> png_claiming(std::uint32_t width, std::uint32_t height) {
  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> ihdr;
  put32be(ihdr, width);
  put32be(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB
  png_chunk(png, "IHDR", ihdr);
  png_chunk(png, "IDAT", {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  png_chunk(png, "IEND", {});
  return png;
}

TEST_F(HostileInput, ZeroByteFile) { expect_error(write("empty.jpg", {}), "empty file (0 bytes)"); }

TEST_F(HostileInput, TruncatedJpeg) {
  auto bytes = read_bytes(kShared / "reg-test-input/dih/bridge-1-original.jpg");
  bytes.resize(bytes.size() / 2);
  const auto msg = expect_error(write("truncated.jpg", bytes), "cannot decode JPEG image");
  HashOptions fast;
  fast.mode = PdqMode::fast;
  expect_error(dir_ / "truncated.jpg", "cannot decode JPEG image", fast);
}

TEST_F(HostileInput, JpegWithOnlyItsFirstBytes) {
  auto bytes = read_bytes(kShared / "reg-test-input/dih/bridge-1-original.jpg");
  bytes.resize(200);
  expect_error(write("header-only.jpg", bytes), "cannot decode JPEG image");
}

TEST_F(HostileInput, PngHeaderClaimingFiftyThousandSquared) {
  const auto p = write("bomb.png", png_claiming(50'000, 50'000));
  expect_error(p, "50000x50000");
  expect_error(p, "over the limit");
  HashOptions fast;
  fast.mode = PdqMode::fast;
  expect_error(p, "50000x50000", fast);
}

TEST_F(HostileInput, PixelCountLimitAppliesBelowTheSideLimit) {
  const auto p = write("wide.png", png_claiming(20'000, 20'000));  // each side allowed, 400 MP not
  expect_error(p, "400000000 pixels, over the limit of 100000000");
}

TEST_F(HostileInput, TextFileNamedJpg) {
  const std::string text = "this is not an image, only text\n";
  expect_error(write("notes.jpg", {text.begin(), text.end()}), "not an image in a supported format");
}

TEST_F(HostileInput, GifWithNoFrames) {
  // Header, a 10x10 logical screen without a colour table, then the trailer: no image at all.
  expect_error(write("empty.gif", {'G', 'I', 'F', '8', '9', 'a', 10, 0, 10, 0, 0, 0, 0, 0x3b}),
               "cannot decode GIF image");
}

TEST_F(HostileInput, FileThatVanishes) {
  const auto p = write("gone.jpg", read_bytes(kShared / "misc-images/wee.jpg"));
  fs::remove(p);
  expect_error(p, "cannot open: No such file or directory");
}

TEST_F(HostileInput, DirectoryIsNotAnImage) { expect_error(dir_, "not a regular file"); }

TEST_F(HostileInput, FileSizeLimit) {
  HashOptions o;
  o.limits.max_file_bytes = 1000;
  expect_error(kShared / "reg-test-input/dih/bridge-1-original.jpg", "over the limit of 1000 bytes", o);
}

TEST_F(HostileInput, DimensionLimit) {
  HashOptions o;
  o.limits.max_dimension = 1000;
  expect_error(kShared / "reg-test-input/dih/bridge-1-original.jpg", "1600x1004 pixels, a side over the limit of 1000", o);
  o.mode = PdqMode::fast;
  expect_error(kShared / "reg-test-input/dih/bridge-1-original.jpg", "a side over the limit of 1000", o);
}

TEST_F(HostileInput, DecodeTimeLimit) {
  HashOptions o;
  o.limits.max_decode_seconds = 0.0;
  expect_error(kShared / "reg-test-input/dih/bridge-1-original.jpg", "decoding took longer than the time limit (0 s)", o);
  expect_error(kShared / "misc-images/c.png", "decoding took longer than the time limit", o);
  o.mode = PdqMode::fast;
  expect_error(kShared / "reg-test-input/dih/bridge-1-original.jpg", "decoding took longer than the time limit", o);
}

// A progressive JPEG is decoded scan by scan inside libjpeg before any row comes out: the time
// limit must reach in there too (libjpeg's progress monitor).
TEST_F(HostileInput, DecodeTimeLimitReachesIntoProgressiveJpeg) {
  const fs::path p = dir_ / "progressive.jpg";
  ASSERT_EQ(std::system(("convert '" + (kShared / "reg-test-input/dih/bridge-1-original.jpg").string() +
                         "' -interlace JPEG '" + p.string() + "'").c_str()),
            0);
  HashOptions o;
  // Re-encoded (lossy), so only near the original's hash.
  EXPECT_LE(hamming_distance(hash_image_file(p, o).pdq,
                             hash_image_file(kShared / "reg-test-input/dih/bridge-1-original.jpg").pdq),
            8);
  o.limits.max_decode_seconds = 0.0;
  expect_error(p, "cannot decode JPEG image: decoding took longer than the time limit", o);
}

TEST_F(HostileInput, BytesApiNamesTheInputToo) {
  const std::vector<std::uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8};
  try {
    hash_image_bytes(junk);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("image bytes: not an image", 0), 0u) << e.what();
  }
  EXPECT_THROW(hash_image_bytes({}), Error);
}

TEST_F(HostileInput, CorruptBytesInTheMiddleOfAJpeg) {
  auto bytes = read_bytes(kShared / "reg-test-input/dih/bridge-1-original.jpg");
  // A run of 0xFF in the entropy-coded data: libjpeg sees a broken segment.
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] = 0xff;
  const auto p = write("corrupt.jpg", bytes);
  expect_error(p, "Corrupt JPEG data");
  HashOptions fast;
  fast.mode = PdqMode::fast;
  expect_error(p, "Corrupt JPEG data", fast);
}

// libvips's untrusted loaders (SVG, PDF, ImageMagick for anything, ...) are blocked once media
// is initialised, and formats Vigil does not list are refused before reaching libvips.
TEST_F(HostileInput, UntrustedLoadersAreBlocked) {
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">"
      "<rect width=\"64\" height=\"32\" fill=\"red\"/></svg>";
  const std::string ppm = "P6\n2 2\n255\n" + std::string(12, '\x7f');
  for (const std::string& bytes : {svg, ppm}) {
    VipsImage* image = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
    EXPECT_EQ(image, nullptr) << bytes.substr(0, 4);
    if (image != nullptr) g_object_unref(image);
    vips_error_clear();
  }
  VipsImage* out = nullptr;
  EXPECT_NE(vips_magickload_buffer(const_cast<char*>(svg.data()), svg.size(), &out, nullptr), 0);
  if (out != nullptr) g_object_unref(out);
  vips_error_clear();
  expect_error(write("image.svg", {svg.begin(), svg.end()}), "not an image in a supported format");
  expect_error(write("image.ppm", {ppm.begin(), ppm.end()}), "not an image in a supported format");
}

TEST_F(HostileInput, BmpWithABadHeaderOrHugeSize) {
  std::vector<std::uint8_t> bmp(60, 0);
  bmp[0] = 'B';
  bmp[1] = 'M';
  bmp[14] = 40;                       // BITMAPINFOHEADER
  bmp[18] = 0x50, bmp[19] = 0xc3;     // width 50000
  bmp[22] = 0x50, bmp[23] = 0xc3;     // height 50000
  expect_error(write("huge.bmp", bmp), "50000x50000");
  bmp[14] = 7;
  expect_error(write("odd.bmp", bmp), "cannot decode BMP image: unknown header size 7");
  bmp[14] = 40;
  bmp[18] = 10, bmp[19] = 0, bmp[22] = 10, bmp[23] = 0;  // 10x10 but no pixel data
  expect_error(write("short.bmp", bmp), "cannot decode BMP image");
}

TEST_F(HostileInput, ErrorsLeaveOtherWorkUnaffectedAcrossThreads) {
  const auto good = kShared / "reg-test-input/dih/bridge-1-original.jpg";
  const std::string expected = hash_image_file(good).pdq.to_hex();
  auto bytes = read_bytes(good);
  bytes.resize(bytes.size() / 3);
  const auto bad = write("bad.jpg", bytes);
  std::atomic<int> ok{0}, errors{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        try {
          HashOptions o;
          o.mode = (i + t) % 2 ? PdqMode::fast : PdqMode::reference;
          const auto h = hash_image_file((i % 2) ? bad : good, o);
          if (o.mode == PdqMode::reference && h.pdq.to_hex() != expected) ++wrong;
          ++ok;
        } catch (const Error&) {
          ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(errors.load(), 12);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace vigil::media
