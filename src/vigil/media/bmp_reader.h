#pragma once
// BMP decoding with gdk-pixbuf's BMP loader, asked for by name (no format guessing), because
// libvips 8.14 has no BMP loader of its own and its ImageMagick loader, which would guess the
// format from the bytes, stays blocked as untrusted. The header's size is read first so that
// limits apply before any pixel is decoded.
#include <cstdint>
#include <span>
#include <vector>

namespace vigil::media {

// Width and height from a BMP header (top-down images have a negative height in the file).
// Throws vigil::Error for a header too short or malformed.
struct BmpSize {
  int width = 0;
  int height = 0;
};
BmpSize bmp_size(std::span<const std::uint8_t> bytes);

struct BmpImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3, alpha (if any) dropped
};
// Throws vigil::Error ("cannot decode BMP image: <reason>").
BmpImage decode_bmp(std::span<const std::uint8_t> bytes);

}  // namespace vigil::media
