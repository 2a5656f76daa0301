#include "vigil/media/image_decoder.h"

#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "vigil/common/error.h"
#include "vigil/media/bmp_reader.h"
#include "vigil/media/jpeg_reader.h"
#include "vigil/media/pdq.h"
#include "vigil/media/vips_support.h"

namespace vigil::media {
namespace {

using Clock = DecodeClock;

// The reference hasher squashes any image with a side over this to exactly this square.
constexpr int kReferenceSide = 512;
// Rows pulled from libvips per request in the streaming (reference) pipeline.
constexpr int kStripRows = 32;

template <typename T>
using Ref = VipsRef<T>;
using Image = VipsImageRef;

[[noreturn]] void fail_decode(ImageFormat format, const char* /*stage*/) {
  throw Error("cannot decode " + std::string(format_name(format)) + " image: " + vips_reason());
}

// Where libvips and gdk-pixbuf would print warnings (corrupt data, libpng remarks) to stderr: the
// errors that matter reach the caller as vigil::Error, so warnings are dropped.
void drop_vips_warning(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

void check_limits(int width, int height, int bands, const DecodeLimits& limits) {
  check_image_size(width, height, limits);
  if (bands < 1 || bands > 16) throw Error("image has " + std::to_string(bands) + " bands");
}

// Reduces any decoded image to 1 (grey), 3 (RGB) or 4 (CMYK) bands of 8 or 16 bits, dropping
// alpha. Unusual colour spaces (LAB, XYZ, float, ...) go through libvips's sRGB conversion.
Image normalise_bands(Image image, ImageFormat format) {
  VipsImage* in = image.get();
  const VipsInterpretation interp = vips_image_guess_interpretation(in);
  const VipsBandFormat fmt = vips_image_get_format(in);
  const int bands = vips_image_get_bands(in);
  const bool int_format = fmt == VIPS_FORMAT_UCHAR || fmt == VIPS_FORMAT_USHORT;
  int keep = 0;
  if (int_format) {
    if (interp == VIPS_INTERPRETATION_CMYK && bands >= 4) {
      keep = 4;
    } else if ((interp == VIPS_INTERPRETATION_B_W || interp == VIPS_INTERPRETATION_GREY16 ||
                interp == VIPS_INTERPRETATION_MULTIBAND) && bands <= 2) {
      keep = 1;
    } else if ((interp == VIPS_INTERPRETATION_sRGB || interp == VIPS_INTERPRETATION_RGB16 ||
                interp == VIPS_INTERPRETATION_RGB || interp == VIPS_INTERPRETATION_MULTIBAND) &&
               (bands == 3 || bands == 4)) {
      keep = 3;
    }
  }
  if (keep != 0) {
    if (keep == bands) return image;
    Image out;
    if (vips_extract_band(in, out.out(), 0, "n", keep, nullptr) != 0) fail_decode(format, "bands");
    return out;
  }
  Image srgb;
  if (vips_colourspace(in, srgb.out(), VIPS_INTERPRETATION_sRGB, nullptr) != 0) {
    fail_decode(format, "colour conversion");
  }
  Image rgb;
  if (vips_extract_band(srgb.get(), rgb.out(), 0, "n", 3, nullptr) != 0) fail_decode(format, "bands");
  Image cast;
  if (vips_cast_uchar(rgb.get(), cast.out(), nullptr) != 0) fail_decode(format, "cast");
  return cast;
}

// ImageMagick 6 (Q16) arithmetic, which produced the pixels the reference hasher saw.
inline std::uint8_t im_quantum_to_char(unsigned quantum) {
  return static_cast<std::uint8_t>(((quantum + 128u) - ((quantum + 128u) >> 8)) >> 8);
}
inline unsigned im_cmyk_channel(unsigned ink, unsigned black) {
  constexpr double range = 65535.0;
  const double value = range - (ink / range * (range - black) + black);
  if (value <= 0.0) return 0;
  if (value >= range) return 65535;
  return static_cast<unsigned>(value + 0.5);
}

// One decoded row (any supported layout) to 8-bit RGB (or grey) as ImageMagick writes PNM.
template <typename Sample>
void convert_row(const Sample* in, int width, int bands, std::uint8_t* out) {
  constexpr bool wide = sizeof(Sample) == 2;
  const auto q = [](Sample s) -> unsigned { return wide ? s : static_cast<unsigned>(s) * 257u; };
  if (bands == 1) {
    for (int x = 0; x < width; ++x) out[x] = im_quantum_to_char(q(in[x]));
  } else if (bands == 3) {
    for (int x = 0; x < 3 * width; ++x) out[x] = im_quantum_to_char(q(in[x]));
  } else {  // CMYK (ink amounts; libvips has already undone Adobe's inversion)
    for (int x = 0; x < width; ++x) {
      const Sample* p = in + 4 * x;
      const unsigned k = q(p[3]);
      out[3 * x] = im_quantum_to_char(im_cmyk_channel(q(p[0]), k));
      out[3 * x + 1] = im_quantum_to_char(im_cmyk_channel(q(p[1]), k));
      out[3 * x + 2] = im_quantum_to_char(im_cmyk_channel(q(p[2]), k));
    }
  }
}

bool row_is_grey(const std::uint8_t* rgb, int width) {
  for (int x = 0; x < width; ++x) {
    const std::uint8_t* p = rgb + 3 * x;
    if (p[0] != p[1] || p[1] != p[2]) return false;
  }
  return true;
}

// This thread's spare luma buffer (see recycle_luma).
thread_local std::vector<float> spare_luma;

// Luma of an 8-bit image held as planes of n pixels each: one (grey) or three (R, G, B). An RGB
// image whose pixels are all grey is taken as grey, as ImageMagick writes it as PGM and the
// reference then reads one channel. Planes (not interleaved RGB) let the loop vectorize.
std::vector<float> luma_of(std::span<const std::uint8_t> planes, std::size_t n, int channels, bool all_grey) {
  std::vector<float> luma = std::move(spare_luma);
  spare_luma = {};
  luma.resize(n);
  const std::uint8_t* r = planes.data();
  if (channels == 1 || all_grey) {
    for (std::size_t i = 0; i < n; ++i) luma[i] = static_cast<float>(r[i]);
  } else {
    const std::uint8_t* g = r + n;
    const std::uint8_t* b = g + n;
    for (std::size_t i = 0; i < n; ++i) luma[i] = pdq::luma_from_rgb(r[i], g[i], b[i]);
  }
  return luma;
}

// Smallest shrink-on-load factor (1, 2, 4, 8: JPEG's DCT-domain scaling; WebP's scaled decode)
// that brings the longer side to 512 or less, so that fast mode decodes no more than a bare
// shrink-on-load decode to 512 px does.
int shrink_on_load_for(int width, int height) {
  const int longer = std::max(width, height);
  int shrink = 1;
  while (shrink < 8 && (longer + shrink - 1) / shrink > kReferenceSide) shrink *= 2;
  return shrink;
}

// Rows of a decoded image (1 grey, 3 RGB or 4 CMYK bands of 8 or 16 bits), asked for in
// increasing order; rows never asked for may be skipped by the decoder.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual const std::uint8_t* row(int y) = 0;
};

class VipsRows final : public RowSource {
 public:
  VipsRows(VipsImage* image, ImageFormat format)
      : region_(vips_region_new(image)), format_(format), width_(vips_image_get_width(image)),
        height_(vips_image_get_height(image)) {}
  const std::uint8_t* row(int y) override {
    if (y >= strip_end_) {
      const int y0 = y - y % kStripRows;
      VipsRect rect{0, y0, width_, std::min(kStripRows, height_ - y0)};
      if (vips_region_prepare(region_.get(), &rect) != 0) fail_decode(format_, "pixels");
      strip_end_ = y0 + rect.height;
    }
    return VIPS_REGION_ADDR(region_.get(), 0, y);
  }

 private:
  Ref<VipsRegion> region_;
  ImageFormat format_;
  int width_;
  int height_;
  int strip_end_ = 0;
};

class JpegRows final : public RowSource {
 public:
  explicit JpegRows(JpegReader& reader) : reader_(reader) {}
  const std::uint8_t* row(int y) override { return reader_.row(y); }

 private:
  JpegReader& reader_;
};

class MemoryRows final : public RowSource {
 public:
  MemoryRows(const std::uint8_t* data, std::size_t stride) : data_(data), stride_(stride) {}
  const std::uint8_t* row(int y) override { return data_ + static_cast<std::size_t>(y) * stride_; }

 private:
  const std::uint8_t* data_;
  std::size_t stride_;
};

struct SourceShape {
  int width = 0;
  int height = 0;
  int bands = 0;  // 1, 3 or 4 (CMYK)
  bool wide = false;
};

// Keeps only the rows and columns that CImg's nearest-neighbour squash to 512x512 samples (the
// whole image when both sides are 512 or less), converting them as ImageMagick writes PNM, and
// takes the image as grey when every pixel is grey (ImageMagick then writes PGM, and the
// reference reads one channel instead of computing luma).
LumaImage sample_rows(RowSource& source, const SourceShape& shape, Clock::time_point deadline,
                      const DecodeLimits& limits) {
  const int in_w = shape.width;
  const int in_h = shape.height;
  const bool direct = !shape.wide && shape.bands != 4;  // rows usable as decoded
  const int channels = shape.bands == 1 ? 1 : 3;

  const bool squash = in_w > kReferenceSide || in_h > kReferenceSide;
  const int out_w = squash ? kReferenceSide : in_w;
  const int out_h = squash ? kReferenceSide : in_h;
  std::vector<std::size_t> src_x(static_cast<std::size_t>(out_w));
  for (int x = 0; x < out_w; ++x) {
    src_x[static_cast<std::size_t>(x)] =
        static_cast<std::size_t>(nearest_source_index(x, in_w, out_w)) * static_cast<std::size_t>(channels);
  }
  // The sampled pixels as planes (R, G, B, or one grey). Every byte is written below; kept per
  // thread (at most 512x512x3) rather than allocated and zero-filled for every image.
  thread_local std::vector<std::uint8_t> pixel_buffer;
  const std::size_t plane = static_cast<std::size_t>(out_w) * static_cast<std::size_t>(out_h);
  const std::size_t pixel_bytes = plane * static_cast<std::size_t>(channels);
  if (pixel_buffer.size() < pixel_bytes) pixel_buffer.resize(pixel_bytes);
  const std::span<std::uint8_t> pixels(pixel_buffer.data(), pixel_bytes);
  std::vector<std::uint8_t> converted(direct ? 0 : static_cast<std::size_t>(in_w) * static_cast<std::size_t>(channels));
  bool all_grey = true;
  bool grey_known = channels == 1;  // once a colour pixel is seen, the answer is known
  int next_out = 0;
  int next_src = nearest_source_index(0, in_h, out_h);

  for (int y = 0; y < in_h; ++y) {
    if (y % kStripRows == 0) check_deadline(deadline, limits);
    const bool needed = next_out < out_h && next_src == y;
    if (!needed && grey_known) continue;
    const std::uint8_t* row = source.row(y);
    if (!direct) {
      if (shape.wide) {
        convert_row(reinterpret_cast<const std::uint16_t*>(row), in_w, shape.bands, converted.data());
      } else {
        convert_row(row, in_w, shape.bands, converted.data());
      }
      row = converted.data();
    }
    if (!grey_known && !row_is_grey(row, in_w)) {
      grey_known = true;
      all_grey = false;
    }
    while (next_out < out_h && next_src == y) {
      std::uint8_t* dst = pixels.data() + static_cast<std::size_t>(next_out) * static_cast<std::size_t>(out_w);
      if (channels == 1) {
        for (int x = 0; x < out_w; ++x) dst[x] = row[src_x[static_cast<std::size_t>(x)]];
      } else {
        std::uint8_t* dst_g = dst + plane;
        std::uint8_t* dst_b = dst_g + plane;
        for (int x = 0; x < out_w; ++x) {
          const std::uint8_t* s = row + src_x[static_cast<std::size_t>(x)];
          dst[x] = s[0];
          dst_g[x] = s[1];
          dst_b[x] = s[2];
        }
      }
      ++next_out;
      if (next_out < out_h) next_src = nearest_source_index(next_out, in_h, out_h);
    }
  }
  check_deadline(deadline, limits);

  LumaImage result;
  result.luma = luma_of(pixels, plane, channels, channels == 1 || all_grey);
  result.rows = out_h;
  result.cols = out_w;
  return result;
}

// JPEG without EXIF rotation: libjpeg-turbo directly (see jpeg_reader.h). Returns false when the
// libvips pipeline must be used instead (CMYK in fast mode, for its ICC profile).
bool decode_jpeg_direct(std::span<const std::uint8_t> bytes, const HashOptions& options,
                        Clock::time_point deadline, LumaImage& out) {
  JpegReader reader(bytes, deadline);
  const int width = reader.image_width();
  const int height = reader.image_height();
  check_limits(width, height, 1, options.limits);
  const bool fast = options.mode == PdqMode::fast;
  if (fast && reader.cmyk()) return false;
  // Fast mode on a large JPEG takes JPEG's own luma (Y = 0.299 R + 0.587 G + 0.114 B, as PDQ's)
  // instead of converting to RGB and back: the chroma planes are then never decoded. Images of
  // 512 px or less decode exactly as in reference mode.
  const int shrink = fast ? shrink_on_load_for(width, height) : 1;
  reader.start(shrink, shrink > 1);
  JpegRows rows(reader);
  out = sample_rows(rows, {reader.width(), reader.height(), reader.components(), false}, deadline, options.limits);
  out.width = width;
  out.height = height;
  return true;
}

// Both modes: stream the decoded image, convert each needed row as ImageMagick would have for
// PNM and sample it as the reference's squash does. Fast mode differs only in asking the JPEG
// decoder for a DCT-domain shrink first and in using an embedded ICC profile for CMYK.
LumaImage decode_streamed(std::span<const std::uint8_t> bytes, ImageFormat format,
                          const HashOptions& options) {
  const auto deadline = deadline_from(options.limits);
  const bool fast = options.mode == PdqMode::fast;
  if (format == ImageFormat::jpeg && !options.exif_orient) {
    LumaImage direct;
    if (decode_jpeg_direct(bytes, options, deadline, direct)) return direct;
  }
  if (format == ImageFormat::bmp) {
    const BmpSize size = bmp_size(bytes);
    check_limits(size.width, size.height, 3, options.limits);
    const BmpImage bmp = decode_bmp(bytes);
    check_deadline(deadline, options.limits);
    MemoryRows rows(bmp.rgb.data(), static_cast<std::size_t>(bmp.width) * 3);
    LumaImage result = sample_rows(rows, {bmp.width, bmp.height, 3, false}, deadline, options.limits);
    result.width = bmp.width;
    result.height = bmp.height;
    return result;
  }
  Image image = open_vips_image(bytes, format, VIPS_ACCESS_SEQUENTIAL, 1);
  int width = vips_image_get_width(image.get());
  int height = vips_image_get_height(image.get());
  check_limits(width, height, vips_image_get_bands(image.get()), options.limits);
  const int orientation = options.exif_orient ? orientation_of(image.get()) : 1;
  const bool rotate = orientation != 1;
  const bool can_shrink = format == ImageFormat::jpeg || format == ImageFormat::webp;
  const int shrink = (fast && can_shrink) ? shrink_on_load_for(width, height) : 1;
  if (rotate) {
    // Rotation needs random access to the decoded image.
    image = open_vips_image(bytes, format, VIPS_ACCESS_RANDOM, shrink);
    Image rotated;
    if (vips_autorot(image.get(), rotated.out(), nullptr) != 0) fail_decode(format, "orientation");
    image = std::move(rotated);
    if (orientation >= 5) std::swap(width, height);  // 5..8 turn the image by 90 degrees
  } else if (shrink > 1) {
    image = open_vips_image(bytes, format, VIPS_ACCESS_SEQUENTIAL, shrink);
  }
  if (fast && vips_image_guess_interpretation(image.get()) == VIPS_INTERPRETATION_CMYK &&
      vips_image_get_typeof(image.get(), VIPS_META_ICC_NAME) != 0) {
    Image srgb;
    if (vips_icc_transform(image.get(), srgb.out(), "srgb", "embedded", TRUE, "depth", 8, nullptr) != 0) {
      fail_decode(format, "ICC colour conversion");
    }
    image = std::move(srgb);
  }
  image = normalise_bands(std::move(image), format);

  const SourceShape shape{vips_image_get_width(image.get()), vips_image_get_height(image.get()),
                          vips_image_get_bands(image.get()),
                          vips_image_get_format(image.get()) == VIPS_FORMAT_USHORT};
  VipsRows rows(image.get(), format);
  LumaImage result = sample_rows(rows, shape, deadline, options.limits);
  result.width = width;
  result.height = height;
  return result;
}

}  // namespace

int nearest_source_index(int out, int in_size, int out_size) {
  return static_cast<int>(static_cast<std::int64_t>(out) * in_size / out_size);
}

ImageFormat sniff_format(std::span<const std::uint8_t> b) {
  const auto starts = [&](std::string_view magic, std::size_t at = 0) {
    return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
  };
  if (starts("\xFF\xD8\xFF")) return ImageFormat::jpeg;
  if (starts("\x89PNG\r\n\x1A\n")) return ImageFormat::png;
  if (starts("GIF87a") || starts("GIF89a")) return ImageFormat::gif;
  if (starts("RIFF") && starts("WEBP", 8)) return ImageFormat::webp;
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4)) ||
      starts(std::string_view("II+\0", 4)) || starts(std::string_view("MM\0+", 4))) {
    return ImageFormat::tiff;
  }
  if (starts("BM") && b.size() >= 26) return ImageFormat::bmp;
  if (starts("ftyp", 4)) {
    for (std::string_view brand : {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"}) {
      if (starts(brand, 8)) return ImageFormat::heif;
    }
  }
  return ImageFormat::unknown;
}

std::string_view format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::png: return "PNG";
    case ImageFormat::webp: return "WebP";
    case ImageFormat::gif: return "GIF";
    case ImageFormat::tiff: return "TIFF";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::heif: return "HEIF/AVIF";
    case ImageFormat::unknown: break;
  }
  return "unknown";
}

void initialize_decoder() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    if (VIPS_INIT("vigil") != 0) {
      failure = "cannot start libvips: " + vips_reason();
      return;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_vips_warning, nullptr);
    g_log_set_handler("GdkPixbuf", G_LOG_LEVEL_WARNING, drop_vips_warning, nullptr);
    // Decoded images are transient: caching operations on them would only hold memory.
    vips_cache_set_max(0);
    // Only the loaders Vigil calls: untrusted ones (ImageMagick, PDF, ...) are blocked, and so is
    // every other loader (SVG, PPM, matrix, ...), whether flagged untrusted or not.
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    for (const char* loader : {"jpegload_buffer", "pngload_buffer", "webpload_buffer", "gifload_buffer",
                               "tiffload_buffer", "heifload_buffer"}) {
      const GType type = vips_type_find("VipsOperation", loader);
      // Unblock the format's loader family (file, buffer and source variants).
      if (type != 0) vips_operation_block_set(g_type_name(g_type_parent(type)), FALSE);
    }
  });
  if (!failure.empty()) throw Error(failure);
}

void recycle_luma(std::vector<float>&& luma) {
  if (luma.capacity() <= static_cast<std::size_t>(kReferenceSide) * kReferenceSide) spare_luma = std::move(luma);
}

LumaImage decode_luma(std::span<const std::uint8_t> bytes, const HashOptions& options) {
  initialize_decoder();
  if (bytes.empty()) throw Error("empty input (0 bytes)");
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::unknown) {
    throw Error("not an image in a supported format (JPEG, PNG, WebP, GIF, TIFF, BMP, HEIF/AVIF)");
  }
  return decode_streamed(bytes, format, options);
}

}  // namespace vigil::media
