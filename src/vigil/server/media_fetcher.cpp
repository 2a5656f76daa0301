#include "vigil/server/media_fetcher.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "vigil/common/ascii.h"
#include "vigil/server/api_error.h"

namespace vigil::server {
namespace {

bool is_private_v4(std::uint32_t a) {  // host byte order
  const auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
         in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xC0000000, 24) ||
         in(0xC6120000, 15) || a >= 0xE0000000;
}

bool is_private_v6(const in6_addr& a) {
  const std::uint8_t* b = a.s6_addr;
  static const std::uint8_t zero[16] = {};
  if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  if ((b[0] & 0xFE) == 0xFC) return true;                                        // fc00::/7
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;                        // fe80::/10
  if (b[0] == 0xFF) return true;                                                 // multicast
  static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(b, mapped, 12) == 0) {
    std::uint32_t v4 = (std::uint32_t(b[12]) << 24) | (std::uint32_t(b[13]) << 16) | (std::uint32_t(b[14]) << 8) | b[15];
    return is_private_v4(v4);
  }
  return false;
}

// Resolves the host; returns the first address as text. Refuses private targets unless allowed.
std::string resolve(const ParsedUrl& url, bool allow_private) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) {
    throw ApiError(422, "fetch_failed", fmt::format("cannot resolve media host '{}': {}", url.host, gai_strerror(rc)));
  }
  std::string first;
  for (addrinfo* p = res; p; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    bool priv = false;
    if (p->ai_family == AF_INET) {
      const auto* sa = reinterpret_cast<const sockaddr_in*>(p->ai_addr);
      priv = is_private_v4(ntohl(sa->sin_addr.s_addr));
      inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf);
    } else if (p->ai_family == AF_INET6) {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(p->ai_addr);
      priv = is_private_v6(sa->sin6_addr);
      inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf);
    } else {
      continue;
    }
    if (priv && !allow_private) {
      freeaddrinfo(res);
      throw ApiError(400, "fetch_private_address",
                     fmt::format("media host '{}' resolves to a loopback/private address, which is not allowed",
                                 url.host));
    }
    if (first.empty()) first = buf;
  }
  freeaddrinfo(res);
  if (first.empty()) throw ApiError(422, "fetch_failed", fmt::format("media host '{}' has no address", url.host));
  return first;
}

}  // namespace

ParsedUrl parse_url(const std::string& url) {
  ParsedUrl u;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw ApiError(400, "fetch_bad_url", "media URL must be absolute http(s)");
  u.scheme = ascii_lower(url.substr(0, scheme_end));
  if (u.scheme != "http" && u.scheme != "https") {
    throw ApiError(400, "fetch_bad_url", fmt::format("media URL scheme '{}' is not http or https", u.scheme));
  }
  std::string rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_start);
  u.path = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (!u.path.empty() && u.path[0] != '/') u.path = "/" + u.path;
  if (const auto hash = u.path.find('#'); hash != std::string::npos) u.path.resize(hash);
  if (authority.find('@') != std::string::npos) {
    throw ApiError(400, "fetch_bad_url", "media URL must not contain credentials");
  }
  u.port = u.scheme == "https" ? 443 : 80;
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) throw ApiError(400, "fetch_bad_url", "media URL has a malformed IPv6 host");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw ApiError(400, "fetch_bad_url", "media URL has a malformed host");
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  u.host = ascii_lower(u.host);
  if (u.host.empty()) throw ApiError(400, "fetch_bad_url", "media URL has no host");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit)) {
      throw ApiError(400, "fetch_bad_url", "media URL has a bad port");
    }
    u.port = std::stoi(port_text);
    if (u.port < 1 || u.port > 65535) throw ApiError(400, "fetch_bad_url", "media URL has a bad port");
  }
  return u;
}

FetchedMedia MediaFetcher::fetch(const std::string& original_url) const {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(config_.timeout_ms);
  std::string url = original_url;
  for (int hop = 0;; ++hop) {
    const ParsedUrl u = parse_url(url);
    const bool allowed = std::any_of(config_.allowed_hosts.begin(), config_.allowed_hosts.end(),
                                     [&](const std::string& h) { return ascii_lower(h) == u.host; });
    if (!allowed) {
      if (hop == 0) {
        throw ApiError(400, "fetch_host_not_allowed",
                       fmt::format("media host '{}' is not on the fetch allow-list", u.host));
      }
      throw ApiError(422, "fetch_redirect_not_allowed",
                     fmt::format("media URL redirected to host '{}', which is not on the fetch allow-list", u.host));
    }
    const std::string address = resolve(u, config_.allow_private_addresses);
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (remaining.count() <= 0) throw ApiError(422, "fetch_timeout", "media fetch timed out");

    std::unique_ptr<httplib::ClientImpl> client;
    const std::string host_header =
        (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) +
        ((u.scheme == "https" && u.port == 443) || (u.scheme == "http" && u.port == 80) ? "" : fmt::format(":{}", u.port));
    if (u.scheme == "https") {
      auto ssl = std::make_unique<httplib::SSLClient>(u.host, u.port);
      ssl->enable_server_certificate_verification(true);
      client = std::move(ssl);
    } else {
      client = std::make_unique<httplib::ClientImpl>(address, u.port);  // the checked address, not a re-resolve
    }
    const auto secs = static_cast<time_t>(remaining.count() / 1000);
    const auto usecs = static_cast<time_t>((remaining.count() % 1000) * 1000);
    client->set_connection_timeout(secs, usecs);
    client->set_read_timeout(secs, usecs);
    client->set_write_timeout(secs, usecs);
    client->set_follow_location(false);
    client->set_keep_alive(false);

    FetchedMedia out;
    bool too_large = false;
    bool timed_out = false;
    httplib::Headers headers{{"Host", host_header}, {"Accept", "image/*"}};
    auto res = client->Get(u.path, headers, [&](const char* data, size_t len) {
      if (out.bytes.size() + len > config_.max_bytes) {
        too_large = true;
        return false;
      }
      if (clock::now() > deadline) {
        timed_out = true;
        return false;
      }
      out.bytes.insert(out.bytes.end(), data, data + len);
      return true;
    });
    if (too_large) {
      throw ApiError(422, "fetch_too_large", fmt::format("media at host '{}' is larger than the {} byte limit",
                                                         u.host, config_.max_bytes));
    }
    if (timed_out) throw ApiError(422, "fetch_timeout", "media fetch timed out");
    if (!res) {
      const auto err = res.error();
      if (err == httplib::Error::Read || err == httplib::Error::Connection || clock::now() >= deadline) {
        if (clock::now() >= deadline - std::chrono::milliseconds(50)) {
          throw ApiError(422, "fetch_timeout", fmt::format("media fetch from host '{}' timed out", u.host));
        }
      }
      throw ApiError(422, "fetch_failed",
                     fmt::format("media fetch from host '{}' failed: {}", u.host, httplib::to_string(err)));
    }
    const int status = res->status;
    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
      if (hop >= config_.max_redirects) {
        throw ApiError(422, "fetch_failed", fmt::format("media fetch followed more than {} redirects", config_.max_redirects));
      }
      std::string location = res->get_header_value("Location");
      if (location.empty()) throw ApiError(422, "fetch_failed", "media fetch redirect has no Location");
      if (location.rfind("//", 0) == 0) {
        location = u.scheme + ":" + location;
      } else if (location.find("://") == std::string::npos) {
        const std::string base = u.scheme + "://" + host_header;
        if (location[0] == '/') {
          location = base + location;
        } else {
          const auto slash = u.path.rfind('/');
          location = base + u.path.substr(0, slash + 1) + location;
        }
      }
      url = location;
      continue;
    }
    if (status < 200 || status > 299) {
      throw ApiError(422, "fetch_failed", fmt::format("media fetch from host '{}' answered HTTP {}", u.host, status));
    }
    out.content_type = res->get_header_value("Content-Type");
    out.final_url = url;
    return out;
  }
}

}  // namespace vigil::server
