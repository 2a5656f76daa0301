#pragma once
// The service's configuration: every setting has a default (docs/configuration.md lists them);
// a TOML file overrides any subset. Unknown keys and out-of-range values are errors that name
// the key, so a typo never silently falls back to a default.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vigil::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  // Threads on the HTTP event loop (0: one per core). They also answer the short, non-blocking
  // routes (/m/raw_lookup, /healthz, /readyz) themselves.
  int event_threads = 0;
  // HTTP handler threads for every other route. Idle kept-alive connections hold none; a
  // request holds one while it is handled (hashing an image, fetching a URL, a store commit).
  int threads = 16;
  int keep_alive_max_requests = 100;  // requests on one connection before the server closes it
  int keep_alive_timeout_ms = 5'000;  // idle time before the server closes a kept-alive connection
  int max_connections = 4'096;        // open connections; more are answered 503
  std::uint64_t max_body_bytes = 32ull << 20;
  int read_timeout_ms = 10'000;
  int write_timeout_ms = 10'000;
};

struct QueueConfig {
  int workers = 2;                  // processing threads
  int claim_batch = 16;             // events claimed per store round-trip
  std::int64_t max_depth = 1'000'000;  // queued events above which POST /v1/events answers 503
  int max_batch_events = 500;       // events in one POST /v1/events batch
  int max_attempts = 5;             // processing attempts before an event is marked failed
};

struct MediaConfig {
  std::uint64_t max_bytes = 16ull << 20;  // one image (upload, base64 or fetched)
  std::uint64_t max_pixels = 50'000'000;
  int max_dimension = 20'000;
  double max_decode_seconds = 10.0;
  std::string pdq_mode = "reference";  // "reference" or "fast"
  int max_media_per_event = 8;
};

struct FetchConfig {
  std::vector<std::string> allowed_hosts;  // exact host names (or IPs); empty: URL media refused
  int timeout_ms = 5'000;                  // connect + read, per hop
  std::uint64_t max_bytes = 16ull << 20;
  int max_redirects = 3;                   // each hop's host is re-checked against the allow-list
  bool allow_private_addresses = false;    // loopback/private/link-local targets (tests, labs)
};

struct MatchingConfig {
  bool dihedral = false;      // also match the 8 rotations/flips of uploaded images
  bool snapshot = true;       // keep a memory-mappable index snapshot in the data directory
  int refresh_interval_ms = 5'000;  // how often bank changes are folded into the live index
  std::string pdq_index_layout = "automatic";  // automatic | compact | filtered (match/pdq_index.h)
};

struct TextConfig {
  bool enabled = true;
  std::filesystem::path rules;  // optional rules file for the text scanner; empty: built-in defaults
};

struct CasesConfig {
  bool open_on_report = true;   // a message.reported event opens a case even without other signals
  bool keep_media_for_review = true;  // keep media of events that joined a case (reviewer role only)
};

// Reviewer wellness: media is shown as a small greyscale blurred preview unless the reviewer
// asks for the original (?reveal=true), which is recorded and limited per token.
struct ReviewConfig {
  int reveals_per_day = 50;              // originals one token may reveal in any 24 h
  int preview_max_side = 320;            // longer side of the preview, px
  double preview_blur_fraction = 0.03;   // Gaussian sigma / the preview's longer side
};

struct StoreConfig {
  std::string synchronous = "full";  // "full" (power-loss safe) or "normal" (crash safe)
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
  bool json = true;            // one JSON object per line
};

struct ServiceConfig {
  std::filesystem::path data_dir;
  ServerConfig server;
  QueueConfig queue;
  MediaConfig media;
  FetchConfig fetch;
  MatchingConfig matching;
  TextConfig text;
  CasesConfig cases;
  ReviewConfig review;
  StoreConfig store;
  LogConfig log;
};

// Parses TOML text (`origin` names it in errors). Throws vigil::Error naming the bad key.
ServiceConfig parse_config(std::string_view toml_text, std::string_view origin = "config");
ServiceConfig load_config(const std::filesystem::path& file);

// Splits "host:port" (IPv6 as "[::1]:8080"); throws vigil::Error when malformed.
std::pair<std::string, int> parse_listen(std::string_view listen);

}  // namespace vigil::server
