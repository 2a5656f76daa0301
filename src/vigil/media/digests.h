#pragma once
// MD5, SHA-1 and SHA-256 of a byte stream, fed in pieces (OpenSSL EVP), so a file is digested
// in the same pass that reads it.
#include <cstdint>
#include <memory>
#include <span>

#include "vigil/media/image_hasher.h"

namespace vigil::media {

class DigestAccumulator {
 public:
  DigestAccumulator();
  ~DigestAccumulator();
  DigestAccumulator(const DigestAccumulator&) = delete;
  DigestAccumulator& operator=(const DigestAccumulator&) = delete;

  void update(std::span<const std::uint8_t> bytes);
  // Lowercase hex of the three digests; the accumulator cannot be used afterwards.
  Digests finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vigil::media
