// libFuzzer target: arbitrary bytes through the reviewer preview (vigil::media::render_review_preview),
// which the service runs on stored media every time a reviewer opens a case. The contract under
// test: any input either becomes a JPEG preview or throws vigil::Error; no crash, no leak, no other
// exception, no undefined behaviour. Seeds: the decode_hash corpus (the same image formats).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"
#include "vigil/media/review_preview.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vigil::media::initialize_media();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::media;
  DecodeLimits limits;
  limits.max_file_bytes = 1u << 20;
  limits.max_pixels = 4'000'000;
  limits.max_dimension = 8192;
  limits.max_decode_seconds = 5.0;
  ReviewPreviewOptions options;
  // The last byte picks the preview size, so small and large outputs are both explored.
  options.max_side = size && (data[size - 1] & 1) ? 64 : 320;
  try {
    const auto jpeg = render_review_preview(std::span<const std::uint8_t>(data, size), options, limits);
    if (jpeg.size() < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8) std::abort();  // a JPEG, always
  } catch (const vigil::Error&) {
    // Expected for most inputs: a clear, named failure.
  }
  return 0;
}
