#include "vigil/server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "vigil/common/error.h"
#include "vigil/common/hex.h"

namespace vigil::server {

std::string generate_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error("cannot generate a token: no secure randomness");
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "vgl_";
  // base64url without padding: 32 bytes -> 43 characters.
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  OPENSSL_cleanse(bytes, sizeof bytes);
  return out;
}

std::string hash_token(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: with EVP_sha256() OpenSSL 3 looks the implementation up again (under a global
  // lock) on every call, which cost ~5% of a raw_lookup request (every request hashes its token).
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (EVP_Digest(token.data(), token.size(), digest, &len, sha256 ? sha256 : EVP_sha256(), nullptr) != 1) {
    throw Error("cannot hash token: SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Authenticator::Authenticator(store::ServiceStore& store, std::chrono::milliseconds cache_ttl)
    : store_(store), ttl_(cache_ttl) {}

AuthResult Authenticator::authenticate(std::string_view authorization) {
  if (authorization.empty()) return {std::nullopt, "missing Authorization header (expected 'Bearer <token>')"};
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer) {
    return {std::nullopt, "malformed Authorization header (expected 'Bearer <token>')"};
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > 256) return {std::nullopt, "malformed bearer token"};
  const std::string hash = hash_token(token);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.expires > now) return {it->second.identity, it->second.reason};
  }
  Cached entry;
  entry.expires = now + ttl_;
  auto found = store_.find_token_by_hash(hash);
  if (!found || !constant_time_equal(found->token_hash, hash)) {
    entry.reason = "unknown token";
  } else if (found->revoked_at) {
    entry.reason = "token revoked";
  } else {
    entry.identity = Identity{found->name, found->role};
  }
  std::lock_guard lock(mutex_);
  if (cache_.size() > 10'000) cache_.clear();  // bounded: unknown tokens must not grow it forever
  cache_[hash] = entry;
  return {entry.identity, entry.reason};
}

bool role_allowed(store::TokenRole role, std::initializer_list<store::TokenRole> allowed) {
  if (role == store::TokenRole::admin) return true;
  for (auto r : allowed) {
    if (r == role) return true;
  }
  return false;
}

}  // namespace vigil::server
