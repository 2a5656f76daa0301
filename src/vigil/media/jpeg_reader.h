#pragma once
// Reads a JPEG row by row with libjpeg-turbo directly, with the decoder settings ImageMagick 6
// uses (libjpeg defaults: islow integer IDCT, fancy upsampling), so reference mode sees the
// pixels Meta's hasher saw, without libvips's pipeline overhead. Optional DCT-domain scaling
// (1/2, 1/4, 1/8) for fast mode. Any libjpeg warning (corrupt or truncated data) is an error.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

namespace vigil::media {

class JpegReader {
 public:
  // Reads the header; throws vigil::Error ("cannot decode JPEG image: <reason>").
  // Decoding stops with an error once `deadline` has passed (checked by libjpeg's progress
  // monitor, so also inside the decoding of a progressive JPEG's scans) or after too many
  // progressive scans (a known way to make a small file take minutes).
  JpegReader(std::span<const std::uint8_t> bytes, std::chrono::steady_clock::time_point deadline);
  ~JpegReader();
  JpegReader(const JpegReader&) = delete;
  JpegReader& operator=(const JpegReader&) = delete;

  // The stored size (before scaling) and the output size (after).
  int image_width() const;
  int image_height() const;
  // The colour space stored in the file is CMYK (or YCCK).
  bool cmyk() const;
  // Begins decompression at 1/scale_denom size (1, 2, 4 or 8); once, after checking limits.
  // `luma_only` asks for the Y channel of a YCbCr JPEG (chroma is then never decoded).
  void start(int scale_denom, bool luma_only = false);
  int width() const;
  int height() const;
  // 1 (grey), 3 (RGB) or 4 (CMYK as ink amounts: Adobe's inversion undone).
  int components() const;

  // Row `y` (0-based, increasing between calls; rows in between are skipped cheaply).
  const std::uint8_t* row(int y);

  struct State;  // libjpeg state (public only for libjpeg's C callbacks)

 private:
  std::unique_ptr<State> s_;
};

}  // namespace vigil::media
