#pragma once
// Turns one image (a file or bytes in memory) into every hash Vigil matches on: PDQ (with its
// quality and, on request, the 8 dihedral variants) and the MD5/SHA-1/SHA-256 of the exact bytes.
//
// Decoding: libjpeg-turbo for JPEG, gdk-pixbuf's BMP loader for BMP, libvips (only its PNG, WebP,
// GIF, TIFF and HEIF loaders; all others, the untrusted ones included, blocked) for the rest, with
// hard limits (DecodeLimits) checked on the header before any pixel is decoded; every failure
// throws vigil::Error whose message names the input and the reason (truncated, not an image, over
// a limit, ...). Pipelines, colour handling and bit-exactness: docs/pdq.md.
// Thread-safe: call from any number of threads at once.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "vigil/common/hash256.h"

namespace vigil::media {

enum class PdqMode {
  // Bit-compatible with Meta's reference pdq-photo-hasher (ImageMagick decode, images with a side
  // over 512 px squashed to 512x512 by nearest neighbour, EXIF orientation ignored).
  reference,
  // Shrink-on-load decode straight to a small image; a few bits from reference (see docs/pdq.md).
  fast,
};

struct DecodeLimits {
  std::uint64_t max_file_bytes = 64ull << 20;   // 64 MiB
  std::uint64_t max_pixels = 100'000'000;       // width * height, against decompression bombs
  int max_dimension = 30'000;                   // each side
  double max_decode_seconds = 10.0;             // wall clock for one decode
};

struct HashOptions {
  PdqMode mode = PdqMode::reference;
  bool dihedral = false;     // also compute the 8 dihedral hashes (from one DCT)
  bool exif_orient = false;  // apply EXIF orientation before hashing
  DecodeLimits limits;
};

struct Digests {
  std::string md5;     // lowercase hex
  std::string sha1;
  std::string sha256;
};

struct ImageHashes {
  Hash256 pdq;
  int quality = 0;  // 0..100, PDQ's gradient-based quality metric
  // Filled when HashOptions::dihedral: original, rotate 90, rotate 180, rotate 270, flip x,
  // flip y, flip plus 1, flip minus 1 (the reference's order); dihedral[0] == pdq.
  std::optional<std::array<Hash256, 8>> dihedral;
  Digests digests;
  int width = 0;   // the decoded image's size, before any resizing for hashing
  int height = 0;
};

// Must be called once before hashing (idempotent, thread-safe): starts libvips and blocks its
// untrusted loaders.
void initialize_media();

ImageHashes hash_image_file(const std::filesystem::path& path, const HashOptions& options = {});
ImageHashes hash_image_bytes(std::span<const std::uint8_t> bytes, const HashOptions& options = {});

// Digests of the exact bytes (OpenSSL EVP), one pass.
Digests compute_digests(std::span<const std::uint8_t> bytes);

}  // namespace vigil::media
