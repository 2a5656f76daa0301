#pragma once
// Fetches media from a URL on an allow-listed host, for events and for HMA's `url` parameters.
// Every hop (the URL and each redirect) must be http(s) on an allowed host; the host's addresses
// are resolved and loopback/private/link-local targets are refused unless the config allows
// them; redirects are followed by hand (never by the HTTP client) up to max_redirects; the body
// is cut off at max_bytes and the whole fetch at timeout_ms. Failures throw ApiError with a code
// naming what went wrong (fetch_host_not_allowed, fetch_redirect_not_allowed, fetch_timeout,
// fetch_too_large, fetch_failed, fetch_bad_url, fetch_private_address).
#include <cstdint>
#include <string>
#include <vector>

#include "vigil/server/config.h"

namespace vigil::server {

struct FetchedMedia {
  std::vector<std::uint8_t> bytes;
  std::string content_type;
  std::string final_url;
};

struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-cased; IPv6 without brackets
  int port = 0;
  std::string path;    // with query, starting with '/'
};

// Throws ApiError(400, "fetch_bad_url") on anything but an absolute http(s) URL.
ParsedUrl parse_url(const std::string& url);

class MediaFetcher {
 public:
  explicit MediaFetcher(FetchConfig config) : config_(std::move(config)) {}
  FetchedMedia fetch(const std::string& url) const;
  const FetchConfig& config() const { return config_; }

 private:
  FetchConfig config_;
};

}  // namespace vigil::server
