// Every supported format and pixel layout, on small benign images generated here (gradients
// and shapes). Reference mode must give exactly the hash of the pixels ImageMagick 6 decodes
// (what Meta's reference hasher sees: `convert FILE pnm:-`); fast mode must stay close.
#include <gtest/gtest.h>
#include <vips/vips.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/media/image_decoder.h"
#include "vigil/media/image_hasher.h"
#include "vigil/media/pdq.h"

namespace vigil::media {
namespace {

namespace fs = std::filesystem;

struct Unref {
  void operator()(VipsImage* i) const { g_object_unref(i); }
};
using VImage = std::unique_ptr<VipsImage, Unref>;

// 600x400 RGBA: diagonal gradients, a few rectangles and a disc; the alpha channel is opaque
// except for a transparent band on the right.
std::vector<std::uint8_t> scene_rgba(int w, int h) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * 4));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = &px[static_cast<std::size_t>((y * w + x) * 4)];
      p[0] = static_cast<std::uint8_t>((x * 255) / w);
      p[1] = static_cast<std::uint8_t>((y * 255) / h);
      p[2] = static_cast<std::uint8_t>(((x + y) * 127) / (w + h) + 64);
      if (x > w / 8 && x < w / 3 && y > h / 5 && y < h / 2) p[0] = p[1] = 230, p[2] = 20;
      if (x > w / 2 && x < (3 * w) / 4 && y > h / 2 && y < (7 * h) / 8) p[0] = 10, p[1] = 40, p[2] = 200;
      const double dx = x - 0.3 * w, dy = y - 0.72 * h;
      if (dx * dx + dy * dy < 0.01 * w * w) p[0] = 250, p[1] = 90, p[2] = 160;
      p[3] = x > (9 * w) / 10 ? 0 : 255;
    }
  }
  return px;
}

class Formats : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { initialize_media(); }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-media-formats-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    rgba_ = scene_rgba(kW, kH);
  }
  void TearDown() override { fs::remove_all(dir_); }

  VImage image(int bands) {
    std::vector<std::uint8_t> px;
    for (std::size_t i = 0; i < rgba_.size(); i += 4) {
      if (bands == 1 || bands == 2) {
        px.push_back(static_cast<std::uint8_t>((rgba_[i] * 3 + rgba_[i + 1] * 5 + rgba_[i + 2] * 2) / 10));
      } else {
        px.insert(px.end(), {rgba_[i], rgba_[i + 1], rgba_[i + 2]});
      }
      if (bands == 2 || bands == 4) px.push_back(rgba_[i + 3]);
    }
    VImage img(vips_image_new_from_memory_copy(px.data(), px.size(), kW, kH, bands, VIPS_FORMAT_UCHAR));
    EXPECT_TRUE(img);
    return img;
  }

  fs::path path(const std::string& name) const { return dir_ / name; }

  static void run(const std::string& command) {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  static constexpr int kW = 600;
  static constexpr int kH = 400;
  fs::path dir_;
  std::vector<std::uint8_t> rgba_;
};

// PDQ of the pixels ImageMagick decodes, fed through the reference hasher's steps: PNM from
// `convert`, squash to 512x512 by nearest neighbour when a side is over 512, luma, hash.
pdq::Result imagemagick_hash(const fs::path& file) {
  const std::string cmd = "convert '" + file.string() + "' pnm:-";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string data;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) data.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0) << cmd;
  std::istringstream in(data);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  in >> magic >> w >> h >> maxval;
  in.get();
  EXPECT_TRUE(magic == "P5" || magic == "P6") << magic;
  EXPECT_EQ(maxval, 255);
  const int channels = magic == "P6" ? 3 : 1;
  const std::size_t offset = static_cast<std::size_t>(in.tellg());
  const auto* px = reinterpret_cast<const std::uint8_t*>(data.data() + offset);
  EXPECT_EQ(data.size() - offset, static_cast<std::size_t>(w * h * channels));
  const bool squash = w > 512 || h > 512;
  const int ow = squash ? 512 : w, oh = squash ? 512 : h;
  std::vector<float> luma(static_cast<std::size_t>(ow * oh));
  for (int y = 0; y < oh; ++y) {
    const int sy = squash ? nearest_source_index(y, h, oh) : y;
    for (int x = 0; x < ow; ++x) {
      const int sx = squash ? nearest_source_index(x, w, ow) : x;
      const std::uint8_t* p = px + static_cast<std::size_t>((sy * w + sx) * channels);
      luma[static_cast<std::size_t>(y * ow + x)] =
          channels == 1 ? static_cast<float>(p[0]) : pdq::luma_from_rgb(p[0], p[1], p[2]);
    }
  }
  return pdq::hash_luma(luma, oh, ow, false);
}

void expect_matches_imagemagick(const fs::path& file) {
  const ImageHashes ours = hash_image_file(file);
  const pdq::Result im = imagemagick_hash(file);
  EXPECT_EQ(ours.pdq.to_hex(), im.hash.to_hex()) << file.filename();
  EXPECT_EQ(ours.quality, im.quality) << file.filename();
  EXPECT_GT(ours.quality, 50) << file.filename();
  HashOptions fast;
  fast.mode = PdqMode::fast;
  const ImageHashes quick = hash_image_file(file, fast);
  EXPECT_LE(hamming_distance(quick.pdq, ours.pdq), 24) << file.filename();
}

TEST_F(Formats, PngRgb) {
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("rgb.png"));
  const ImageHashes h = hash_image_file(path("rgb.png"));
  EXPECT_EQ(h.width, kW);
  EXPECT_EQ(h.height, kH);
}

TEST_F(Formats, PngGrey) {
  auto img = image(1);
  ASSERT_EQ(vips_pngsave(img.get(), path("grey.png").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("grey.png"));
}

TEST_F(Formats, PngGreyWithAlpha) {
  auto img = image(2);
  ASSERT_EQ(vips_pngsave(img.get(), path("grey-alpha.png").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("grey-alpha.png"));
}

// Alpha is dropped, not composited: the colour values stored under transparent pixels are
// hashed, as the reference (ImageMagick -> PNM) does.
TEST_F(Formats, PngRgbaDropsAlphaLikeTheReference) {
  auto img = image(4);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgba.png").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("rgba.png"));
  auto rgb = image(3);
  ASSERT_EQ(vips_pngsave(rgb.get(), path("rgb.png").c_str(), nullptr), 0);
  EXPECT_EQ(hash_image_file(path("rgba.png")).pdq, hash_image_file(path("rgb.png")).pdq);
}

TEST_F(Formats, PngPalette) {
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  run("convert '" + path("rgb.png").string() + "' -colors 64 PNG8:'" + path("palette.png").string() + "'");
  expect_matches_imagemagick(path("palette.png"));
}

// 16-bit samples are scaled to 8 bits (v / 257, rounded): a 16-bit copy of an 8-bit image
// hashes exactly like the 8-bit image.
TEST_F(Formats, Png16BitHashesLikeItsEightBitSource) {
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  std::vector<std::uint16_t> samples;
  for (std::size_t i = 0; i < rgba_.size(); i += 4) {
    for (int c = 0; c < 3; ++c) samples.push_back(static_cast<std::uint16_t>(rgba_[i + c] * 257));
  }
  VImage raw(vips_image_new_from_memory_copy(samples.data(), samples.size() * 2, kW, kH, 3, VIPS_FORMAT_USHORT));
  VipsImage* wide = nullptr;
  ASSERT_EQ(vips_copy(raw.get(), &wide, "interpretation", VIPS_INTERPRETATION_RGB16, nullptr), 0);
  VImage w(wide);
  ASSERT_EQ(vips_pngsave(w.get(), path("rgb16.png").c_str(), "bitdepth", 16, nullptr), 0);
  const ImageHashes h16 = hash_image_file(path("rgb16.png"));
  const ImageHashes h8 = hash_image_file(path("rgb.png"));
  EXPECT_EQ(h16.pdq, h8.pdq);
  EXPECT_EQ(h16.quality, h8.quality);
  HashOptions fast;
  fast.mode = PdqMode::fast;
  EXPECT_LE(hamming_distance(hash_image_file(path("rgb16.png"), fast).pdq, h8.pdq), 24);
}

TEST_F(Formats, Jpeg) {
  auto img = image(3);
  ASSERT_EQ(vips_jpegsave(img.get(), path("rgb.jpg").c_str(), "Q", 90, nullptr), 0);
  expect_matches_imagemagick(path("rgb.jpg"));
}

TEST_F(Formats, JpegGrey) {
  auto img = image(1);
  ASSERT_EQ(vips_jpegsave(img.get(), path("grey.jpg").c_str(), "Q", 90, nullptr), 0);
  expect_matches_imagemagick(path("grey.jpg"));
}

TEST_F(Formats, JpegCmykAsImageMagickConvertsIt) {
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  run("convert '" + path("rgb.png").string() + "' -colorspace CMYK -quality 92 '" + path("cmyk.jpg").string() + "'");
  expect_matches_imagemagick(path("cmyk.jpg"));
}

// With an embedded ICC profile, fast mode converts through it; reference mode still converts as
// ImageMagick does (no colour management), and both stay near the sRGB original.
TEST_F(Formats, JpegCmykWithIccProfile) {
  auto img = image(3);
  VipsImage* cmyk = nullptr;
  ASSERT_EQ(vips_icc_export(img.get(), &cmyk, "output_profile", "cmyk", "depth", 8, nullptr), 0) << vips_error_buffer();
  VImage c(cmyk);
  ASSERT_EQ(vips_image_get_bands(c.get()), 4);
  ASSERT_EQ(vips_jpegsave(c.get(), path("cmyk-icc.jpg").c_str(), "Q", 92, nullptr), 0);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("cmyk-icc.jpg"));
  HashOptions fast;
  fast.mode = PdqMode::fast;
  const ImageHashes original = hash_image_file(path("rgb.png"), fast);
  EXPECT_LE(hamming_distance(hash_image_file(path("cmyk-icc.jpg"), fast).pdq, original.pdq), 24);
}

TEST_F(Formats, WebpLossless) {
  auto img = image(3);
  ASSERT_EQ(vips_webpsave(img.get(), path("rgb.webp").c_str(), "lossless", TRUE, nullptr), 0);
  expect_matches_imagemagick(path("rgb.webp"));
}

TEST_F(Formats, WebpLossyWithAlpha) {
  auto img = image(4);
  ASSERT_EQ(vips_webpsave(img.get(), path("rgba.webp").c_str(), "Q", 90, nullptr), 0);
  const ImageHashes h = hash_image_file(path("rgba.webp"));
  EXPECT_GT(h.quality, 50);
}

TEST_F(Formats, GifFirstFrame) {
  auto img = image(3);
  ASSERT_EQ(vips_gifsave(img.get(), path("rgb.gif").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("rgb.gif"));
}

// An animated GIF hashes as its first frame, as the reference (ImageMagick frame 0) does.
TEST_F(Formats, AnimatedGifUsesTheFirstFrame) {
  auto first = image(3);
  std::vector<std::uint8_t> second(static_cast<std::size_t>(kW * kH * 3));
  for (std::size_t i = 0; i < second.size(); ++i) second[i] = static_cast<std::uint8_t>((i / 3 / kW) % 2 ? 200 : 30);
  VImage frame2(vips_image_new_from_memory_copy(second.data(), second.size(), kW, kH, 3, VIPS_FORMAT_UCHAR));
  VipsImage* frames[2] = {first.get(), frame2.get()};
  VipsImage* joined = nullptr;
  ASSERT_EQ(vips_arrayjoin(frames, &joined, 2, "across", 1, nullptr), 0);
  VImage anim(joined);
  vips_image_set_int(anim.get(), VIPS_META_PAGE_HEIGHT, kH);
  ASSERT_EQ(vips_gifsave(anim.get(), path("anim.gif").c_str(), nullptr), 0) << vips_error_buffer();
  ASSERT_EQ(vips_gifsave(first.get(), path("still.gif").c_str(), nullptr), 0);
  const ImageHashes h = hash_image_file(path("anim.gif"));
  EXPECT_EQ(h.height, kH);
  EXPECT_LE(hamming_distance(h.pdq, hash_image_file(path("still.gif")).pdq), 8);
  EXPECT_EQ(h.pdq, imagemagick_hash(path("anim.gif").string() + "[0]").hash);
}

TEST_F(Formats, TiffRgbAndGrey) {
  auto img = image(3);
  ASSERT_EQ(vips_tiffsave(img.get(), path("rgb.tif").c_str(), "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE, nullptr), 0);
  expect_matches_imagemagick(path("rgb.tif"));
  auto grey = image(1);
  ASSERT_EQ(vips_tiffsave(grey.get(), path("grey.tif").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("grey.tif"));
}

TEST_F(Formats, Bmp) {
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  run("convert '" + path("rgb.png").string() + "' BMP3:'" + path("rgb.bmp").string() + "'");
  expect_matches_imagemagick(path("rgb.bmp"));
  EXPECT_EQ(hash_image_file(path("rgb.bmp")).pdq, hash_image_file(path("rgb.png")).pdq);
}

TEST_F(Formats, HeifAndAvif) {
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  const Hash256 lossless = hash_image_file(path("rgb.png")).pdq;
  ASSERT_EQ(vips_heifsave(img.get(), path("rgb.avif").c_str(), "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
                          "Q", 90, nullptr), 0)
      << vips_error_buffer();
  // HEVC is encoded in a separate process: libx265 leaks a little memory per encoder, which
  // LeakSanitizer would report against this test.
  run("convert '" + path("rgb.png").string() + "' -quality 90 '" + path("rgb.heic").string() + "'");
  for (const char* name : {"rgb.avif", "rgb.heic"}) {
    const ImageHashes h = hash_image_file(path(name));
    EXPECT_LE(hamming_distance(h.pdq, lossless), 24) << name;
    EXPECT_EQ(h.width, kW);
    EXPECT_EQ(h.height, kH);
    HashOptions fast;
    fast.mode = PdqMode::fast;
    EXPECT_LE(hamming_distance(hash_image_file(path(name), fast).pdq, lossless), 24) << name;
  }
}

TEST_F(Formats, LargeImagesAreSquashedTo512) {
  // 1300x700: both the squash (reference) and the JPEG shrink-on-load (fast) paths.
  std::vector<std::uint8_t> big = scene_rgba(1300, 700);
  std::vector<std::uint8_t> rgb;
  for (std::size_t i = 0; i < big.size(); i += 4) rgb.insert(rgb.end(), {big[i], big[i + 1], big[i + 2]});
  VImage img(vips_image_new_from_memory_copy(rgb.data(), rgb.size(), 1300, 700, 3, VIPS_FORMAT_UCHAR));
  ASSERT_EQ(vips_jpegsave(img.get(), path("big.jpg").c_str(), "Q", 90, nullptr), 0);
  ASSERT_EQ(vips_pngsave(img.get(), path("big.png").c_str(), nullptr), 0);
  expect_matches_imagemagick(path("big.jpg"));
  expect_matches_imagemagick(path("big.png"));
  const ImageHashes h = hash_image_file(path("big.png"));
  EXPECT_EQ(h.width, 1300);
  EXPECT_EQ(h.height, 700);
  // Only one side over 512: the other is stretched to 512 (columns repeated), as CImg does.
  std::vector<std::uint8_t> narrow;
  for (int y = 0; y < 900; ++y) {
    for (int x = 0; x < 300; ++x) {
      const std::uint8_t* p = &big[static_cast<std::size_t>(((y * 700 / 900) * 1300 + x * 4) * 4)];
      narrow.insert(narrow.end(), {p[0], p[1], p[2]});
    }
  }
  VImage tall(vips_image_new_from_memory_copy(narrow.data(), narrow.size(), 300, 900, 3, VIPS_FORMAT_UCHAR));
  ASSERT_EQ(vips_pngsave(tall.get(), path("tall.png").c_str(), nullptr), 0);
  ASSERT_EQ(vips_jpegsave(tall.get(), path("tall.jpg").c_str(), "Q", 90, nullptr), 0);
  expect_matches_imagemagick(path("tall.png"));
  expect_matches_imagemagick(path("tall.jpg"));
}

TEST_F(Formats, ExifOrientationIsIgnoredByDefaultAndAppliedOnRequest) {
  auto img = image(3);
  ASSERT_EQ(vips_jpegsave(img.get(), path("upright.jpg").c_str(), "Q", 95, nullptr), 0);
  // The same pixels stored rotated by 90 degrees, with EXIF orientation 6 saying how to show them.
  VipsImage* rot = nullptr;
  ASSERT_EQ(vips_rot(img.get(), &rot, VIPS_ANGLE_D270, nullptr), 0);
  VImage r(rot);
  vips_image_set_int(r.get(), VIPS_META_ORIENTATION, 6);
  ASSERT_EQ(vips_jpegsave(r.get(), path("rotated.jpg").c_str(), "Q", 95, nullptr), 0);

  const ImageHashes upright = hash_image_file(path("upright.jpg"));
  const ImageHashes stored = hash_image_file(path("rotated.jpg"));
  EXPECT_GT(hamming_distance(upright.pdq, stored.pdq), 64);  // orientation ignored
  EXPECT_EQ(stored.width, kH);
  HashOptions orient;
  orient.exif_orient = true;
  const ImageHashes shown = hash_image_file(path("rotated.jpg"), orient);
  EXPECT_LE(hamming_distance(upright.pdq, shown.pdq), 16);
  EXPECT_EQ(shown.width, kW);
  EXPECT_EQ(shown.height, kH);
  orient.mode = PdqMode::fast;
  EXPECT_LE(hamming_distance(upright.pdq, hash_image_file(path("rotated.jpg"), orient).pdq), 24);
}

TEST_F(Formats, DigestsAreOfTheExactFileBytes) {
  std::ofstream(path("x.bin"), std::ios::binary) << "abc";
  const Digests d = compute_digests(std::vector<std::uint8_t>{'a', 'b', 'c'});
  EXPECT_EQ(d.md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(d.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto img = image(3);
  ASSERT_EQ(vips_pngsave(img.get(), path("rgb.png").c_str(), nullptr), 0);
  std::ifstream in(path("rgb.png"), std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  const ImageHashes from_file = hash_image_file(path("rgb.png"));
  const ImageHashes from_bytes = hash_image_bytes(bytes);
  EXPECT_EQ(from_file.digests.sha256, compute_digests(bytes).sha256);
  EXPECT_EQ(from_file.digests.md5, from_bytes.digests.md5);
  EXPECT_EQ(from_file.digests.sha1, from_bytes.digests.sha1);
  EXPECT_EQ(from_file.pdq, from_bytes.pdq);
}

}  // namespace
}  // namespace vigil::media
