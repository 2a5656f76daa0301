#include "vigil/media/digests.h"

#include <openssl/evp.h>

#include <array>
#include <string>

#include "vigil/common/error.h"

namespace vigil::media {
namespace {

struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxDeleter>;

CtxPtr make_ctx(const EVP_MD* md) {
  CtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    throw Error("cannot initialise a message digest (OpenSSL)");
  }
  return ctx;
}

std::string final_hex(EVP_MD_CTX* ctx) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1) {
    throw Error("cannot finish a message digest (OpenSSL)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

}  // namespace

struct DigestAccumulator::State {
  CtxPtr md5 = make_ctx(EVP_md5());
  CtxPtr sha1 = make_ctx(EVP_sha1());
  CtxPtr sha256 = make_ctx(EVP_sha256());
};

DigestAccumulator::DigestAccumulator() : state_(std::make_unique<State>()) {}
DigestAccumulator::~DigestAccumulator() = default;

void DigestAccumulator::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(state_->md5.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestUpdate(state_->sha1.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestUpdate(state_->sha256.get(), bytes.data(), bytes.size()) != 1) {
    throw Error("cannot update a message digest (OpenSSL)");
  }
}

Digests DigestAccumulator::finish() {
  Digests d;
  d.md5 = final_hex(state_->md5.get());
  d.sha1 = final_hex(state_->sha1.get());
  d.sha256 = final_hex(state_->sha256.get());
  return d;
}

Digests compute_digests(std::span<const std::uint8_t> bytes) {
  DigestAccumulator acc;
  acc.update(bytes);
  return acc.finish();
}

}  // namespace vigil::media
