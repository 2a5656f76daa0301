// The reviewer-safe preview: a small, greyscale, blurred JPEG without metadata, first frame
// only, under the hashing decode limits; hostile input gives a vigil::Error naming the reason.
// Images are generated here (checkerboards, flat fields) or taken from the shared pdq-reference
// set of benign photos.
#include <gtest/gtest.h>
#include <vips/vips.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"
#include "vigil/media/review_preview.h"

namespace vigil::media {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

const fs::path kPhoto = fs::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference" / "bridge-mods" / "aaa-orig.jpg";

struct Pixels {
  int width = 0;
  int height = 0;
  int bands = 0;
  std::vector<std::uint8_t> data;  // row-major, interleaved bands
  std::uint8_t at(int x, int y, int band = 0) const {
    return data[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) *
                    static_cast<std::size_t>(bands) +
                static_cast<std::size_t>(band)];
  }
};

// Saves pixels with a libvips saver ("png", "jpeg", "tiff"); `meta` may set fields first.
template <typename Meta>
Bytes encode(const Pixels& p, const char* saver, Meta meta) {
  VipsImage* img = vips_image_new_from_memory_copy(p.data.data(), p.data.size(), p.width, p.height, p.bands,
                                                   VIPS_FORMAT_UCHAR);
  EXPECT_NE(img, nullptr);
  meta(img);
  void* buf = nullptr;
  std::size_t len = 0;
  const std::string op = std::string(saver) + "save_buffer";
  int status = -1;
  if (op == "pngsave_buffer") status = vips_pngsave_buffer(img, &buf, &len, nullptr);
  if (op == "jpegsave_buffer") status = vips_jpegsave_buffer(img, &buf, &len, nullptr);
  if (op == "tiffsave_buffer") status = vips_tiffsave_buffer(img, &buf, &len, nullptr);
  g_object_unref(img);
  EXPECT_EQ(status, 0) << vips_error_buffer();
  Bytes out(static_cast<const std::uint8_t*>(buf), static_cast<const std::uint8_t*>(buf) + len);
  g_free(buf);
  return out;
}
Bytes encode(const Pixels& p, const char* saver) {
  return encode(p, saver, [](VipsImage*) {});
}

// Decodes a JPEG (the preview) to pixels.
Pixels decode_jpeg(const Bytes& jpeg) {
  Pixels p;
  VipsImage* img = nullptr;
  if (vips_jpegload_buffer(const_cast<std::uint8_t*>(jpeg.data()), jpeg.size(), &img, nullptr) != 0) {
    ADD_FAILURE() << "preview is not a decodable JPEG: " << vips_error_buffer();
    return p;
  }
  std::size_t size = 0;
  void* mem = vips_image_write_to_memory(img, &size);
  p.width = vips_image_get_width(img);
  p.height = vips_image_get_height(img);
  p.bands = vips_image_get_bands(img);
  EXPECT_EQ(vips_image_get_format(img), VIPS_FORMAT_UCHAR);
  p.data.assign(static_cast<std::uint8_t*>(mem), static_cast<std::uint8_t*>(mem) + size);
  g_free(mem);
  g_object_unref(img);
  return p;
}

// Greyscale: one band, or three equal bands.
bool is_grey(const Pixels& p) {
  if (p.bands == 1) return true;
  if (p.bands != 3) return false;
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      if (p.at(x, y, 0) != p.at(x, y, 1) || p.at(x, y, 1) != p.at(x, y, 2)) return false;
    }
  }
  return true;
}

// High-frequency energy: mean absolute difference between horizontal and vertical neighbours
// of band 0.
double detail_energy(const Pixels& p) {
  double sum = 0;
  std::size_t n = 0;
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      if (x + 1 < p.width) {
        sum += std::abs(int(p.at(x + 1, y)) - int(p.at(x, y)));
        ++n;
      }
      if (y + 1 < p.height) {
        sum += std::abs(int(p.at(x, y + 1)) - int(p.at(x, y)));
        ++n;
      }
    }
  }
  return n == 0 ? 0 : sum / static_cast<double>(n);
}

double mean(const Pixels& p, int x0, int y0, int x1, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) sum += p.at(x, y);
  }
  return sum / (static_cast<double>(x1 - x0) * (y1 - y0));
}

// A colour checkerboard: dark red and white squares of `square` pixels.
Pixels checkerboard(int w, int h, int square) {
  Pixels p{w, h, 3, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3)};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const bool dark = ((x / square) + (y / square)) % 2 == 0;
      std::uint8_t* px = &p.data[(static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)) * 3];
      px[0] = dark ? 120 : 255;
      px[1] = dark ? 0 : 255;
      px[2] = dark ? 0 : 255;
    }
  }
  return p;
}

// The same image merely downscaled (box filter, integer factor) and made grey (mean of RGB):
// what a preview without the blur would show.
Pixels box_grey(const Pixels& p, int factor) {
  Pixels out{p.width / factor, p.height / factor, 1, {}};
  out.data.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height));
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      double sum = 0;
      for (int dy = 0; dy < factor; ++dy) {
        for (int dx = 0; dx < factor; ++dx) {
          for (int b = 0; b < p.bands; ++b) sum += p.at(x * factor + dx, y * factor + dy, b);
        }
      }
      out.data[static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) + static_cast<std::size_t>(x)] =
          static_cast<std::uint8_t>(std::lround(sum / (factor * factor * p.bands)));
    }
  }
  return out;
}

// JPEG marker segments before the scan: any APPn other than APP0 (JFIF), or a comment, carries
// metadata.
std::vector<int> metadata_markers(const Bytes& jpeg) {
  std::vector<int> found;
  std::size_t i = 2;
  while (i + 4 <= jpeg.size() && jpeg[i] == 0xFF) {
    const int marker = jpeg[i + 1];
    if (marker == 0xDA) break;  // start of scan
    if ((marker >= 0xE1 && marker <= 0xEF) || marker == 0xFE) found.push_back(marker);
    i += 2 + ((static_cast<std::size_t>(jpeg[i + 2]) << 8) | jpeg[i + 3]);
  }
  return found;
}

std::string error_of(const Bytes& bytes, const ReviewPreviewOptions& o = {}, const DecodeLimits& limits = {}) {
  try {
    render_review_preview(bytes, o, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class ReviewPreview : public ::testing::Test {
 protected:
  void SetUp() override { initialize_media(); }
};

TEST_F(ReviewPreview, ACheckerboardBecomesASmallGreyBlurredJpeg) {
  const Pixels board = checkerboard(1280, 960, 16);
  const Bytes preview = render_review_preview(encode(board, "png"));
  ASSERT_GE(preview.size(), 3u);
  EXPECT_EQ(preview[0], 0xFF);
  EXPECT_EQ(preview[1], 0xD8);
  EXPECT_EQ(preview[2], 0xFF);
  const Pixels p = decode_jpeg(preview);
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.height, 240);
  EXPECT_TRUE(is_grey(p)) << p.bands << " bands";

  // Merely downscaled and greyscale, the board is 4-pixel squares: strong pixel-level detail.
  const Pixels plain = box_grey(board, 4);
  const double plain_energy = detail_energy(plain);
  const double preview_energy = detail_energy(p);
  EXPECT_GT(plain_energy, 40.0);
  EXPECT_LT(preview_energy, plain_energy / 20) << "preview " << preview_energy << " vs plain " << plain_energy;
}

TEST_F(ReviewPreview, APhotoLosesItsDetailButKeepsItsLayout) {
  const Bytes photo = read_bytes(kPhoto);
  ASSERT_FALSE(photo.empty()) << kPhoto;
  const Pixels p = decode_jpeg(render_review_preview(photo));
  EXPECT_EQ(std::max(p.width, p.height), 320);
  EXPECT_TRUE(is_grey(p));

  // The same photo downscaled to the same size and made grey by libvips, without the blur.
  VipsImage* in = nullptr;
  ASSERT_EQ(vips_jpegload_buffer(const_cast<std::uint8_t*>(photo.data()), photo.size(), &in, nullptr), 0);
  VipsImage* grey = nullptr;
  ASSERT_EQ(vips_colourspace(in, &grey, VIPS_INTERPRETATION_B_W, nullptr), 0);
  VipsImage* small = nullptr;
  ASSERT_EQ(vips_resize(grey, &small, static_cast<double>(p.width) / vips_image_get_width(in), "vscale",
                        static_cast<double>(p.height) / vips_image_get_height(in), nullptr),
            0);
  Pixels plain{vips_image_get_width(small), vips_image_get_height(small), vips_image_get_bands(small), {}};
  std::size_t size = 0;
  void* mem = vips_image_write_to_memory(small, &size);
  plain.data.assign(static_cast<std::uint8_t*>(mem), static_cast<std::uint8_t*>(mem) + size);
  g_free(mem);
  g_object_unref(small);
  g_object_unref(grey);
  g_object_unref(in);
  ASSERT_EQ(plain.bands, 1);
  const double plain_energy = detail_energy(plain);
  const double preview_energy = detail_energy(p);
  EXPECT_GT(plain_energy, 3.0);
  EXPECT_LT(preview_energy, plain_energy / 5) << "preview " << preview_energy << " vs plain " << plain_energy;
}

TEST_F(ReviewPreview, CoarseLayoutSurvivesTheBlur) {
  // Left half black, right half white: a reviewer still sees where things are.
  Pixels halves{400, 200, 1, std::vector<std::uint8_t>(400 * 200)};
  for (int y = 0; y < 200; ++y) {
    for (int x = 200; x < 400; ++x) halves.data[static_cast<std::size_t>(y) * 400 + static_cast<std::size_t>(x)] = 255;
  }
  const Pixels p = decode_jpeg(render_review_preview(encode(halves, "png")));
  ASSERT_EQ(p.width, 320);
  ASSERT_EQ(p.height, 160);
  EXPECT_LT(mean(p, 0, 0, 80, 160), 40.0);
  EXPECT_GT(mean(p, 240, 0, 320, 160), 215.0);
}

// Thin JPEG strips: shrink-on-load must not shrink a side below one pixel. libvips 8.14 rounds
// the shrunk size down, and a zero-height image trips an assertion that aborts the process (a
// libFuzzer find: 2324x4 asked for shrink 8). Previews and fast-mode hashes of such strips work.
TEST_F(ReviewPreview, ThinJpegStripsAreShrunkNoFurtherThanOnePixel) {
  ReviewPreviewOptions o;
  o.max_side = 100;  // 2324 / 8 >= 100: the preview asks for the largest shrink, 8
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{2324, 4}, {4000, 1}, {1, 4000}, {4000, 3}}) {
    const Bytes jpeg = encode(checkerboard(w, h, 2), "jpeg");
    Pixels p = decode_jpeg(render_review_preview(jpeg, o));
    EXPECT_EQ(std::max(p.width, p.height), 100) << w << "x" << h;
    EXPECT_GE(std::min(p.width, p.height), 1) << w << "x" << h;
    HashOptions fast;
    fast.mode = PdqMode::fast;
    const auto hashes = hash_image_bytes(jpeg, fast);
    EXPECT_EQ(hashes.width, w);
    EXPECT_EQ(hashes.height, h);
  }
}

TEST_F(ReviewPreview, SizeOptionsAndSmallImagesAreNotEnlarged) {
  ReviewPreviewOptions o;
  o.max_side = 100;
  Pixels p = decode_jpeg(render_review_preview(encode(checkerboard(600, 300, 8), "png"), o));
  EXPECT_EQ(p.width, 100);
  EXPECT_EQ(p.height, 50);
  p = decode_jpeg(render_review_preview(encode(checkerboard(64, 48, 4), "png")));
  EXPECT_EQ(p.width, 64);
  EXPECT_EQ(p.height, 48);
  // A one-pixel-thin strip stays a strip.
  p = decode_jpeg(render_review_preview(encode(checkerboard(3000, 1, 2), "png")));
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.height, 1);

  o.max_side = 8;
  EXPECT_NE(error_of(encode(checkerboard(64, 48, 4), "png"), o).find("max_side = 8 is out of range"), std::string::npos);
  o.max_side = 320;
  o.blur_fraction = 0;
  EXPECT_NE(error_of(encode(checkerboard(64, 48, 4), "png"), o).find("blur_fraction = 0 is out of range"),
            std::string::npos);
}

TEST_F(ReviewPreview, TransparencyIsFlattenedOntoWhite) {
  // Fully transparent black: the colour under the alpha must not show.
  Pixels rgba{120, 80, 4, std::vector<std::uint8_t>(120 * 80 * 4, 0)};
  const Pixels p = decode_jpeg(render_review_preview(encode(rgba, "png")));
  EXPECT_TRUE(is_grey(p));
  EXPECT_GT(mean(p, 0, 0, p.width, p.height), 250.0);
}

// Re-labels / converts a uchar image before saving: 16-bit RGBA, or CMYK ink.
Bytes save_converted(const Pixels& p, bool sixteen_bit, VipsInterpretation interpretation, const char* saver) {
  VipsImage* img = vips_image_new_from_memory_copy(p.data.data(), p.data.size(), p.width, p.height, p.bands,
                                                   VIPS_FORMAT_UCHAR);
  VipsImage* scaled = nullptr;
  if (sixteen_bit) {
    EXPECT_EQ(vips_linear1(img, &scaled, 257.0, 0.0, "uchar", FALSE, nullptr), 0);
    VipsImage* cast = nullptr;
    EXPECT_EQ(vips_cast_ushort(scaled, &cast, nullptr), 0);
    g_object_unref(scaled);
    scaled = cast;
  } else {
    scaled = img;
    g_object_ref(scaled);
  }
  VipsImage* tagged = nullptr;
  EXPECT_EQ(vips_copy(scaled, &tagged, "interpretation", interpretation, nullptr), 0);
  void* buf = nullptr;
  std::size_t len = 0;
  const int status = std::string(saver) == "png" ? vips_pngsave_buffer(tagged, &buf, &len, nullptr)
                                                 : vips_jpegsave_buffer(tagged, &buf, &len, nullptr);
  EXPECT_EQ(status, 0) << vips_error_buffer();
  Bytes out(static_cast<const std::uint8_t*>(buf), static_cast<const std::uint8_t*>(buf) + len);
  g_free(buf);
  g_object_unref(tagged);
  g_object_unref(scaled);
  g_object_unref(img);
  return out;
}

TEST_F(ReviewPreview, SixteenBitAndCmykImagesBecomeGreyToo) {
  // 16-bit RGBA, left half opaque black, right half transparent (white once flattened).
  Pixels rgba{200, 100, 4, std::vector<std::uint8_t>(200 * 100 * 4, 0)};
  for (int y = 0; y < 100; ++y) {
    for (int x = 0; x < 100; ++x) rgba.data[(static_cast<std::size_t>(y) * 200 + static_cast<std::size_t>(x)) * 4 + 3] = 255;
  }
  const Bytes png16 = save_converted(rgba, true, VIPS_INTERPRETATION_RGB16, "png");
  Pixels p = decode_jpeg(render_review_preview(png16));
  EXPECT_EQ(p.width, 200);
  EXPECT_TRUE(is_grey(p));
  EXPECT_LT(mean(p, 0, 0, 40, 100), 30.0);
  EXPECT_GT(mean(p, 160, 0, 200, 100), 225.0);

  // CMYK JPEG with no ink: white paper.
  Pixels ink{120, 90, 4, std::vector<std::uint8_t>(120 * 90 * 4, 0)};
  p = decode_jpeg(render_review_preview(save_converted(ink, false, VIPS_INTERPRETATION_CMYK, "jpeg")));
  EXPECT_EQ(p.width, 120);
  EXPECT_TRUE(is_grey(p));
  EXPECT_GT(mean(p, 0, 0, p.width, p.height), 225.0);
}

TEST_F(ReviewPreview, OrientationIsAppliedAndMetadataStripped) {
  // A 200x100 JPEG whose EXIF says "rotate 90 degrees clockwise".
  const Bytes rotated = encode(checkerboard(200, 100, 10), "jpeg",
                               [](VipsImage* img) { vips_image_set_int(img, VIPS_META_ORIENTATION, 6); });
  ASSERT_FALSE(metadata_markers(rotated).empty());  // the input does carry EXIF
  const Bytes preview = render_review_preview(rotated);
  EXPECT_TRUE(metadata_markers(preview).empty());
  const Pixels p = decode_jpeg(preview);
  EXPECT_EQ(p.width, 100);
  EXPECT_EQ(p.height, 200);
}

TEST_F(ReviewPreview, OnlyTheFirstPageIsShown) {
  // A two-page TIFF: a black page then a white page, each 100x100.
  Pixels pages{100, 200, 1, std::vector<std::uint8_t>(100 * 200, 0)};
  std::fill(pages.data.begin() + 100 * 100, pages.data.end(), 255);
  const Bytes tiff = encode(pages, "tiff", [](VipsImage* img) { vips_image_set_int(img, VIPS_META_PAGE_HEIGHT, 100); });
  const Pixels p = decode_jpeg(render_review_preview(tiff));
  EXPECT_EQ(p.width, 100);
  EXPECT_EQ(p.height, 100);
  EXPECT_LT(mean(p, 0, 0, p.width, p.height), 10.0);
}

TEST_F(ReviewPreview, BmpGoesThroughTheBmpDecoder) {
  // A 4x2 24-bit BMP (bottom-up rows padded to 4 bytes), all pixels mid grey.
  Bytes bmp = {'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,  // file header
               40, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0,
               0, 0, 0, 0, 0x13, 0x0B, 0, 0, 0x13, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  bmp.insert(bmp.end(), 4 * 3 * 2, 128);
  const auto size = static_cast<std::uint32_t>(bmp.size());
  for (int i = 0; i < 4; ++i) bmp[2 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (8 * i));
  const Pixels p = decode_jpeg(render_review_preview(bmp));
  EXPECT_EQ(p.width, 4);
  EXPECT_EQ(p.height, 2);
  EXPECT_NEAR(mean(p, 0, 0, 4, 2), 128.0, 6.0);
}

TEST_F(ReviewPreview, HostileInputIsAnErrorNamingTheReason) {
  EXPECT_NE(error_of({}).find("review preview: empty input"), std::string::npos) << error_of({});
  const std::string text = "just some text, not an image";
  const std::string not_image = error_of(Bytes(text.begin(), text.end()));
  EXPECT_NE(not_image.find("not an image in a supported format"), std::string::npos) << not_image;
  Bytes photo = read_bytes(kPhoto);
  const std::string truncated = error_of(Bytes(photo.begin(), photo.begin() + 2000));
  EXPECT_NE(truncated.find("review preview: cannot decode JPEG image"), std::string::npos) << truncated;
  const Bytes header_only(photo.begin(), photo.begin() + 4);
  EXPECT_NE(error_of(header_only).find("review preview: cannot decode JPEG image"), std::string::npos);

  DecodeLimits small;
  small.max_pixels = 1000;
  const std::string bomb = error_of(photo, {}, small);
  EXPECT_NE(bomb.find("over the limit of 1000 (decompression bomb?)"), std::string::npos) << bomb;
  small = {};
  small.max_dimension = 100;
  EXPECT_NE(error_of(photo, {}, small).find("a side over the limit of 100"), std::string::npos);
  small = {};
  small.max_file_bytes = 1000;
  EXPECT_NE(error_of(photo, {}, small).find("over the limit of 1000 bytes"), std::string::npos);
  small = {};
  small.max_decode_seconds = 0;
  EXPECT_NE(error_of(photo, {}, small).find("longer than the time limit"), std::string::npos);

  // A corrupt PNG (valid signature, garbage after).
  Bytes png = encode(checkerboard(64, 64, 8), "png");
  for (std::size_t i = 40; i < png.size(); ++i) png[i] = static_cast<std::uint8_t>(i * 7);
  const std::string corrupt = error_of(png);
  EXPECT_NE(corrupt.find("review preview: cannot decode PNG image"), std::string::npos) << corrupt;
}

}  // namespace
}  // namespace vigil::media
