#include "vigil/media/vips_support.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "vigil/common/error.h"

namespace vigil::media {

VipsImageRef open_vips_image(std::span<const std::uint8_t> bytes, ImageFormat format, VipsAccess access, int shrink) {
  using BufferLoader = int (*)(void*, size_t, VipsImage**, ...);
  BufferLoader load = nullptr;
  switch (format) {
    case ImageFormat::jpeg: load = &vips_jpegload_buffer; break;
    case ImageFormat::png: load = &vips_pngload_buffer; break;
    case ImageFormat::webp: load = &vips_webpload_buffer; break;
    case ImageFormat::gif: load = &vips_gifload_buffer; break;
    case ImageFormat::tiff: load = &vips_tiffload_buffer; break;
    case ImageFormat::heif: load = &vips_heifload_buffer; break;
    case ImageFormat::bmp:  // bmp_reader.cpp
    case ImageFormat::unknown: break;
  }
  if (load == nullptr) {
    throw Error("not a supported image format (expected JPEG, PNG, WebP, GIF, TIFF, BMP or HEIF/AVIF)");
  }
  VipsImageRef image;
  void* data = const_cast<std::uint8_t*>(bytes.data());  // libvips only reads the buffer
  // libjpeg reports corrupt entropy data only as warnings, so JPEG fails on warnings; libpng's
  // warnings are mostly benign remarks (e.g. about colour profiles), so others fail on errors.
  const VipsFailOn fail_on = format == ImageFormat::jpeg ? VIPS_FAIL_ON_WARNING : VIPS_FAIL_ON_ERROR;
  if (shrink > 1 && (format == ImageFormat::jpeg || format == ImageFormat::webp)) {
    // libvips 8.14 rounds a shrunk size down, and a zero-sized result trips an assertion that
    // aborts the process (a 2324x4 JPEG at shrink 8; found by the fuzzer): never shrink a side
    // below one pixel. The header is read lazily, so this costs a header parse.
    VipsImageRef header;
    if (load(data, bytes.size(), header.out(), "access", access, "fail_on", fail_on, nullptr) != 0) {
      throw Error("cannot decode " + std::string(format_name(format)) + " image: " + vips_reason());
    }
    const int shorter = std::min(vips_image_get_width(header.get()), vips_image_get_height(header.get()));
    while (shrink > 1 && shorter / shrink < 1) shrink /= 2;
  }
  int status = 0;
  if (format == ImageFormat::jpeg && shrink > 1) {
    status = load(data, bytes.size(), image.out(), "access", access, "fail_on", fail_on, "shrink", shrink, nullptr);
  } else if (format == ImageFormat::webp && shrink > 1) {
    status = load(data, bytes.size(), image.out(), "access", access, "fail_on", fail_on, "scale", 1.0 / shrink,
                  nullptr);
  } else {
    status = load(data, bytes.size(), image.out(), "access", access, "fail_on", fail_on, nullptr);
  }
  if (status != 0) throw Error("cannot decode " + std::string(format_name(format)) + " image: " + vips_reason());
  return image;
}

std::string vips_reason() {
  char* raw = vips_error_buffer_copy();
  std::string text = raw != nullptr ? raw : "";
  g_free(raw);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto nl = text.rfind('\n');
  if (nl != std::string::npos) text = text.substr(nl + 1);
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out.empty() ? "unknown libvips error" : out;
}

void check_image_size(int width, int height, const DecodeLimits& limits) {
  if (width <= 0 || height <= 0) throw Error("image has no pixels");
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (width > limits.max_dimension || height > limits.max_dimension) {
    throw Error("image is " + size + " pixels, a side over the limit of " + std::to_string(limits.max_dimension));
  }
  const std::uint64_t pixels = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height);
  if (pixels > limits.max_pixels) {
    throw Error("image is " + size + " = " + std::to_string(pixels) + " pixels, over the limit of " +
                std::to_string(limits.max_pixels) + " (decompression bomb?)");
  }
}

int orientation_of(VipsImage* image) {
  int orientation = 1;
  if (vips_image_get_typeof(image, VIPS_META_ORIENTATION) != 0 &&
      vips_image_get_int(image, VIPS_META_ORIENTATION, &orientation) != 0) {
    vips_error_clear();
    orientation = 1;
  }
  return (orientation >= 1 && orientation <= 8) ? orientation : 1;
}

DecodeClock::time_point deadline_from(const DecodeLimits& limits) {
  const double seconds = std::clamp(limits.max_decode_seconds, 0.0, 1e6);
  return DecodeClock::now() +
         std::chrono::duration_cast<DecodeClock::duration>(std::chrono::duration<double>(seconds));
}

void check_deadline(DecodeClock::time_point deadline, const DecodeLimits& limits) {
  if (DecodeClock::now() > deadline) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", limits.max_decode_seconds);
    throw Error(std::string("decoding took longer than the time limit (") + seconds + " s)");
  }
}

}  // namespace vigil::media
