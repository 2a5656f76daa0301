#include "vigil/media/review_preview.h"

#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <new>
#include <string>

#include "vigil/common/error.h"
#include "vigil/media/bmp_reader.h"
#include "vigil/media/image_decoder.h"
#include "vigil/media/vips_support.h"

namespace vigil::media {
namespace {

using Clock = DecodeClock;

// Output rows pulled through the decode pipeline per request; the decode deadline is checked
// between requests.
constexpr int kStripRows = 16;

using Image = VipsImageRef;

[[noreturn]] void fail(ImageFormat format, const char* stage) {
  throw Error("cannot " + std::string(stage) + " " + std::string(format_name(format)) + " image: " + vips_reason());
}

// Largest JPEG shrink-on-load factor (1, 2, 4, 8) that still leaves the longer side at least
// `max_side`, so that the final downscale has full detail to work from (and then blurs it).
int jpeg_shrink_for(int width, int height, int max_side) {
  const int longer = std::max(width, height);
  int shrink = 1;
  while (shrink < 8 && longer / (shrink * 2) >= max_side) shrink *= 2;
  return shrink;
}

// Any decoded image -> one band of 8-bit grey, alpha flattened onto white.
Image to_grey(Image image, ImageFormat format) {
  VipsBandFormat fmt = vips_image_get_format(image.get());
  if (fmt != VIPS_FORMAT_UCHAR && fmt != VIPS_FORMAT_USHORT) {
    // Float, signed or 32-bit samples (TIFF): libvips's own conversion to 8-bit sRGB first.
    Image srgb;
    if (vips_colourspace(image.get(), srgb.out(), VIPS_INTERPRETATION_sRGB, nullptr) != 0) fail(format, "convert");
    Image cast;
    if (vips_cast_uchar(srgb.get(), cast.out(), nullptr) != 0) fail(format, "convert");
    image = std::move(cast);
    fmt = VIPS_FORMAT_UCHAR;
  }
  if (vips_image_hasalpha(image.get())) {
    const bool cmyk = vips_image_guess_interpretation(image.get()) == VIPS_INTERPRETATION_CMYK;
    const double max_alpha = fmt == VIPS_FORMAT_USHORT ? 65535.0 : 255.0;
    // White paper: full intensity for grey/RGB, no ink for CMYK.
    VipsArrayDouble* background = vips_array_double_newv(1, cmyk ? 0.0 : max_alpha);
    Image flat;
    const int status = vips_flatten(image.get(), flat.out(), "background", background, "max_alpha", max_alpha, nullptr);
    vips_area_unref(VIPS_AREA(background));
    if (status != 0) fail(format, "flatten");
    image = std::move(flat);
  }
  if (vips_image_get_bands(image.get()) > 1 ||
      vips_image_guess_interpretation(image.get()) != VIPS_INTERPRETATION_B_W) {
    Image grey;
    if (vips_colourspace(image.get(), grey.out(), VIPS_INTERPRETATION_B_W, nullptr) != 0) fail(format, "convert");
    image = std::move(grey);
  }
  if (vips_image_get_bands(image.get()) > 1) {
    Image first;
    if (vips_extract_band(image.get(), first.out(), 0, nullptr) != 0) fail(format, "convert");
    image = std::move(first);
  }
  if (vips_image_get_format(image.get()) == VIPS_FORMAT_USHORT) {
    Image shifted;
    if (vips_rshift_const1(image.get(), shifted.out(), 8, nullptr) != 0) fail(format, "convert");
    image = std::move(shifted);
  }
  if (vips_image_get_format(image.get()) != VIPS_FORMAT_UCHAR) {
    Image cast;
    if (vips_cast_uchar(image.get(), cast.out(), nullptr) != 0) fail(format, "convert");
    image = std::move(cast);
  }
  return image;
}

// Downscales so that the longer side is at most max_side (never enlarges); each side >= 1.
Image downscale(Image image, int max_side, ImageFormat format) {
  const int w = vips_image_get_width(image.get());
  const int h = vips_image_get_height(image.get());
  const int longer = std::max(w, h);
  if (longer <= max_side) return image;
  const double scale = static_cast<double>(max_side) / longer;
  const int target_w = std::clamp(static_cast<int>(std::lround(w * scale)), 1, max_side);
  const int target_h = std::clamp(static_cast<int>(std::lround(h * scale)), 1, max_side);
  // Separate scales hit the target sizes exactly (a 1-pixel-thin image stays 1 pixel thin).
  const double hscale = static_cast<double>(target_w) / w;
  const double vscale = static_cast<double>(target_h) / h;
  Image out;
  if (vips_resize(image.get(), out.out(), hscale, "vscale", vscale, nullptr) != 0) fail(format, "resize");
  return out;
}

// Pulls the (small) grey image through the decode pipeline in strips of rows, checking the
// deadline between strips, into memory.
Image materialise(const Image& image, ImageFormat format, Clock::time_point deadline, const DecodeLimits& limits) {
  const int w = vips_image_get_width(image.get());
  const int h = vips_image_get_height(image.get());
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  VipsRegion* region = vips_region_new(image.get());
  if (region == nullptr) fail(format, "decode");
  try {
    for (int y = 0; y < h; y += kStripRows) {
      check_deadline(deadline, limits);
      VipsRect rect{0, y, w, std::min(kStripRows, h - y)};
      if (vips_region_prepare(region, &rect) != 0) fail(format, "decode");
      for (int row = 0; row < rect.height; ++row) {
        const auto* src = reinterpret_cast<const std::uint8_t*>(VIPS_REGION_ADDR(region, 0, y + row));
        std::copy(src, src + w, pixels.begin() + static_cast<std::ptrdiff_t>(y + row) * w);
      }
    }
    check_deadline(deadline, limits);
  } catch (...) {
    g_object_unref(region);
    throw;
  }
  g_object_unref(region);
  // One 8-bit band: libvips takes it as B_W.
  Image out;
  *out.out() = vips_image_new_from_memory_copy(pixels.data(), pixels.size(), w, h, 1, VIPS_FORMAT_UCHAR);
  if (out.get() == nullptr) fail(format, "decode");
  return out;
}

Image apply_orientation(Image image, int orientation, ImageFormat format) {
  if (orientation == 1) return image;
  vips_image_set_int(image.get(), VIPS_META_ORIENTATION, orientation);
  Image rotated;
  if (vips_autorot(image.get(), rotated.out(), nullptr) != 0) fail(format, "orient");
  return rotated;
}

std::vector<std::uint8_t> render(std::span<const std::uint8_t> bytes, const ReviewPreviewOptions& options,
                                 const DecodeLimits& limits) {
  if (bytes.empty()) throw Error("empty input (0 bytes)");
  if (bytes.size() > limits.max_file_bytes) {
    throw Error("image is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                std::to_string(limits.max_file_bytes) + " bytes");
  }
  initialize_decoder();
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::unknown) {
    throw Error("not an image in a supported format (JPEG, PNG, WebP, GIF, TIFF, BMP, HEIF/AVIF)");
  }
  const auto deadline = deadline_from(limits);

  BmpImage bmp;  // owns the pixels a BMP's memory image points at, until materialised
  Image decoded;
  int orientation = 1;
  if (format == ImageFormat::bmp) {
    const BmpSize size = bmp_size(bytes);
    check_image_size(size.width, size.height, limits);
    bmp = decode_bmp(bytes);
    check_deadline(deadline, limits);
    // Three 8-bit bands: libvips takes them as sRGB.
    *decoded.out() = vips_image_new_from_memory(bmp.rgb.data(), bmp.rgb.size(), bmp.width, bmp.height, 3,
                                                VIPS_FORMAT_UCHAR);
    if (decoded.get() == nullptr) fail(format, "decode");
  } else {
    Image header = open_vips_image(bytes, format, VIPS_ACCESS_SEQUENTIAL, 1);
    const int width = vips_image_get_width(header.get());
    const int height = vips_image_get_height(header.get());
    check_image_size(width, height, limits);
    const int bands = vips_image_get_bands(header.get());
    if (bands < 1 || bands > 16) throw Error("image has " + std::to_string(bands) + " bands");
    orientation = orientation_of(header.get());
    const int shrink = format == ImageFormat::jpeg ? jpeg_shrink_for(width, height, options.max_side) : 1;
    decoded = shrink > 1 ? open_vips_image(bytes, format, VIPS_ACCESS_SEQUENTIAL, shrink) : std::move(header);
  }

  Image small = downscale(to_grey(std::move(decoded), format), options.max_side, format);
  Image grey = apply_orientation(materialise(small, format, deadline, limits), orientation, format);
  small.reset();

  const int longer = std::max(vips_image_get_width(grey.get()), vips_image_get_height(grey.get()));
  const double sigma = std::max(0.5, options.blur_fraction * longer);
  Image blurred;
  if (vips_gaussblur(grey.get(), blurred.out(), sigma, nullptr) != 0) fail(format, "blur");

  void* jpeg = nullptr;
  std::size_t jpeg_size = 0;
  if (vips_jpegsave_buffer(blurred.get(), &jpeg, &jpeg_size, "Q", options.jpeg_quality, "strip", TRUE,
                           "optimize_coding", TRUE, nullptr) != 0) {
    fail(format, "encode the preview of the");
  }
  const auto* begin = static_cast<const std::uint8_t*>(jpeg);
  std::vector<std::uint8_t> out(begin, begin + jpeg_size);
  g_free(jpeg);
  return out;
}

}  // namespace

void validate(const ReviewPreviewOptions& options) {
  if (options.max_side < 16 || options.max_side > 4096) {
    throw Error("review preview max_side = " + std::to_string(options.max_side) + " is out of range 16..4096");
  }
  if (!(options.blur_fraction >= 0.01 && options.blur_fraction <= 0.5)) {
    char text[64];
    std::snprintf(text, sizeof text, "%g", options.blur_fraction);
    throw Error(std::string("review preview blur_fraction = ") + text + " is out of range 0.01..0.5");
  }
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100) {
    throw Error("review preview jpeg_quality = " + std::to_string(options.jpeg_quality) + " is out of range 1..100");
  }
}

std::vector<std::uint8_t> render_review_preview(std::span<const std::uint8_t> bytes,
                                                const ReviewPreviewOptions& options, const DecodeLimits& limits) {
  validate(options);
  try {
    return render(bytes, options, limits);
  } catch (const Error& e) {
    throw Error(std::string("review preview: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw Error("review preview: out of memory while decoding");
  }
}

}  // namespace vigil::media
