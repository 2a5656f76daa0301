#pragma once
// API tokens: generated secrets ("vgl_" + 43 base64url characters, 256 random bits), stored only
// as SHA-256 hashes, compared in constant time. An Authenticator turns an Authorization header
// into the token's identity and role, with a short-lived cache so that hot endpoints do not hit
// the store on every request (revocation takes effect within `cache_ttl`).
#include <chrono>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "vigil/store/service_store.h"

namespace vigil::server {

std::string generate_token();
std::string hash_token(std::string_view token);  // lowercase hex SHA-256
bool constant_time_equal(std::string_view a, std::string_view b);

struct Identity {
  std::string name;
  store::TokenRole role = store::TokenRole::ingest;
};

struct AuthResult {
  std::optional<Identity> identity;  // set when authenticated
  std::string reason;                // why not, for the 401 body (never echoes the token)
};

class Authenticator {
 public:
  explicit Authenticator(store::ServiceStore& store,
                         std::chrono::milliseconds cache_ttl = std::chrono::milliseconds(1000));
  // `authorization` is the raw header value ("Bearer <token>"); empty when absent.
  AuthResult authenticate(std::string_view authorization);

 private:
  struct Cached {
    std::optional<Identity> identity;
    std::string reason;
    std::chrono::steady_clock::time_point expires;
  };
  store::ServiceStore& store_;
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Cached> cache_;  // by token hash
};

// True when `role` may call an endpoint open to `allowed`. admin may call everything.
bool role_allowed(store::TokenRole role, std::initializer_list<store::TokenRole> allowed);

}  // namespace vigil::server
