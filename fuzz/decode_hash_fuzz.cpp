// libFuzzer target: arbitrary bytes through decoding and hashing (vigil::media::hash_image_bytes),
// in both PDQ modes, with and without EXIF orientation and dihedral hashes. The contract under
// test: any input either hashes or throws vigil::Error; no crash, no leak, no other exception,
// no undefined behaviour, no runaway memory (tight limits keep each run small and quick).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vigil::media::initialize_media();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::media;
  const std::span<const std::uint8_t> bytes(data, size);
  HashOptions options;
  options.limits.max_file_bytes = 1u << 20;
  options.limits.max_pixels = 4'000'000;
  options.limits.max_dimension = 8192;
  options.limits.max_decode_seconds = 5.0;
  // The last byte picks the options, so the fuzzer explores every path from one corpus.
  const std::uint8_t selector = size ? data[size - 1] : 0;
  options.mode = (selector & 1) ? PdqMode::fast : PdqMode::reference;
  options.dihedral = (selector & 2) != 0;
  options.exif_orient = (selector & 4) != 0;
  try {
    const ImageHashes hashes = hash_image_bytes(bytes, options);
    if (hashes.quality < 0 || hashes.quality > 100) std::abort();
    if (hashes.width <= 0 || hashes.height <= 0) std::abort();
    if (options.dihedral && (!hashes.dihedral || (*hashes.dihedral)[0] != hashes.pdq)) std::abort();
    if (hashes.digests.sha256.size() != 64) std::abort();
  } catch (const vigil::Error&) {
    // Expected for most inputs: a clear, named failure.
  }
  return 0;
}
