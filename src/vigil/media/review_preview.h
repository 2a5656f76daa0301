#pragma once
// Reviewer-safe renditions of stored media: what `vigil serve` shows a human reviewer unless they
// explicitly ask for the original (docs/service.md, "Reviewer media"). Industry reviewer-wellness
// practice (e.g. ROOST's Coop): small, greyscale, blurred, revealed only on demand.
//
// The rendition is the FIRST frame (GIF/WebP animations, TIFF/HEIF pages) of the image, decoded
// with the same loaders and the same DecodeLimits as hashing (image_decoder.h: JPEG, PNG, WebP,
// GIF, TIFF, HEIF through libvips with every other libvips loader blocked, BMP through
// gdk-pixbuf's BMP loader), size limits checked on the header before any pixel is decoded, and
// the decode time bounded by DecodeLimits::max_decode_seconds. Then:
//   1. alpha is flattened onto white (so a transparent image cannot hide anything from the blur),
//   2. EXIF orientation is applied (the reviewer sees the image upright),
//   3. the image is downscaled (never enlarged) so that its longer side is at most `max_side`,
//   4. converted to greyscale (one band),
//   5. Gaussian-blurred with sigma = `blur_fraction` x the preview's longer side (at least 0.5 px),
//   6. written as a baseline greyscale JPEG with NO metadata (EXIF, XMP, ICC, comments stripped).
// Thread-safe; every failure is a vigil::Error whose message names what was wrong (never the
// bytes themselves).
#include <cstdint>
#include <span>
#include <vector>

#include "vigil/media/image_hasher.h"

namespace vigil::media {

struct ReviewPreviewOptions {
  // Longer side of the preview in pixels (16..4096). Smaller images keep their size.
  int max_side = 320;
  // Gaussian sigma as a fraction of the preview's longer side (0.01..0.5): 0.03 blurs a 320 px
  // preview with sigma ~10 px, enough to hide detail while leaving shapes and layout visible.
  double blur_fraction = 0.03;
  // JPEG quality of the preview (1..100); a blurred image compresses well at modest quality.
  int jpeg_quality = 75;
};

// Throws vigil::Error when an option is out of range (naming it).
void validate(const ReviewPreviewOptions& options);

// Returns the JPEG bytes of the reviewer-safe rendition of `bytes` (see above). Throws
// vigil::Error ("review preview: <reason>") for empty, oversized, truncated, corrupt or
// unsupported input, or input over `limits`.
std::vector<std::uint8_t> render_review_preview(std::span<const std::uint8_t> bytes,
                                                const ReviewPreviewOptions& options = {},
                                                const DecodeLimits& limits = {});

}  // namespace vigil::media
