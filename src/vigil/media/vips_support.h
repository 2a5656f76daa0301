#pragma once
// Helpers shared by the media area's two libvips pipelines (image_decoder.cpp for hashing,
// review_preview.cpp for reviewer previews). Internal to src/vigil/media.
#include <vips/vips.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "vigil/media/image_decoder.h"
#include "vigil/media/image_hasher.h"

namespace vigil::media {

// Owns one reference to a libvips (GObject) object.
template <typename T>
class VipsRef {
 public:
  VipsRef() = default;
  explicit VipsRef(T* p) : p_(p) {}
  ~VipsRef() { reset(); }
  VipsRef(const VipsRef&) = delete;
  VipsRef& operator=(const VipsRef&) = delete;
  VipsRef(VipsRef&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  VipsRef& operator=(VipsRef&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_;
      o.p_ = nullptr;
    }
    return *this;
  }
  T* get() const { return p_; }
  T** out() {  // for libvips's output parameters: drops what was held first
    reset();
    return &p_;
  }
  void reset() {
    if (p_ != nullptr) g_object_unref(p_);
    p_ = nullptr;
  }

 private:
  T* p_ = nullptr;
};
using VipsImageRef = VipsRef<VipsImage>;

// Opens an image lazily (header only: pixels are decoded when regions are requested) with the one
// libvips loader for its format (the others stay blocked, see initialize_decoder). Every loader
// reads the first page/frame only. `shrink` > 1 asks JPEG and WebP for shrink-on-load. JPEG fails
// on libjpeg warnings (corrupt entropy data is only a warning there), the others on errors.
// Throws vigil::Error for BMP (bmp_reader.h) and unknown formats, and naming libvips's reason.
VipsImageRef open_vips_image(std::span<const std::uint8_t> bytes, ImageFormat format, VipsAccess access, int shrink);

// libvips's reason for the failure that just happened, on one line. libvips keeps one error log
// for the whole process (warnings from other decodes can be in it too), so the last line, which
// is the error that stopped this operation, is the reason. Printable characters only, bounded.
std::string vips_reason();

// Throws vigil::Error naming the size and the limit when an image of width x height breaks the
// dimension or pixel-count limits (checked on the header, before any pixel is decoded).
void check_image_size(int width, int height, const DecodeLimits& limits);

// The EXIF orientation (1..8) libvips read from the header; 1 when absent or invalid.
int orientation_of(VipsImage* image);

// The decode time limit: a deadline taken when decoding starts, checked between strips.
using DecodeClock = std::chrono::steady_clock;
DecodeClock::time_point deadline_from(const DecodeLimits& limits);
void check_deadline(DecodeClock::time_point deadline, const DecodeLimits& limits);

}  // namespace vigil::media
