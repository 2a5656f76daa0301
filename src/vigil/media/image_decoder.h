#pragma once
// Decodes untrusted image bytes with libvips into the luminance image that PDQ hashes, under
// hard limits. Two pipelines (see docs/pdq.md):
//  - reference: full decode streamed in strips, pixels converted as ImageMagick 6 converts them
//    for PNM output (CMYK by its naive formula, alpha dropped, all-grey images as grey), images
//    with a side over 512 squashed to 512x512 by CImg's nearest-neighbour rule;
//  - fast: libvips thumbnail (shrink-on-load) straight to at most 512x512.
// Errors are vigil::Error with a reason only (no path): the caller names the input.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "vigil/media/image_hasher.h"

namespace vigil::media {

enum class ImageFormat { unknown, jpeg, png, webp, gif, tiff, bmp, heif };

// Recognises a format from its first bytes (magic numbers); unknown for anything else.
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);
std::string_view format_name(ImageFormat format);

// Starts libvips once (thread-safe) and blocks its untrusted loaders.
void initialize_decoder();

struct LumaImage {
  std::vector<float> luma;  // rows x cols, row-major
  int rows = 0;
  int cols = 0;
  int width = 0;   // the decoded image, before resizing for hashing
  int height = 0;
};

LumaImage decode_luma(std::span<const std::uint8_t> bytes, const HashOptions& options);

// Hands a luma buffer that is no longer needed back to this thread's decoder, which fills it
// for the next image instead of allocating (and page-faulting in) a fresh 1 MiB.
void recycle_luma(std::vector<float>&& luma);

// The source index that CImg's nearest-neighbour resize (and so the reference hasher) samples
// for output index `out` when resizing `in_size` to `out_size`.
int nearest_source_index(int out, int in_size, int out_size);

}  // namespace vigil::media
