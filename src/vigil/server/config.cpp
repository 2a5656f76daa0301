#include "vigil/server/config.h"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "vigil/common/error.h"

namespace vigil::server {
namespace {

// Reads the settings of one [section], refusing keys it does not know.
class Section {
 public:
  Section(const toml::table& root, std::string name, std::string origin)
      : name_(std::move(name)), origin_(std::move(origin)) {
    const toml::node* node = root.get(name_);
    if (node) {
      table_ = node->as_table();
      if (!table_) throw Error(fmt::format("{}: [{}] must be a table", origin_, name_));
    }
  }
  ~Section() = default;

  void check_unknown() const {
    if (!table_) return;
    for (const auto& [key, value] : *table_) {
      (void)value;
      if (!known_.count(std::string(key.str()))) {
        throw Error(fmt::format("{}: unknown setting {}.{}", origin_, name_, key.str()));
      }
    }
  }

  template <typename Int>
  void integer(const char* key, Int& out, std::int64_t lo, std::int64_t hi) {
    known_.insert(key);
    const toml::node* n = table_ ? table_->get(key) : nullptr;
    if (!n) return;
    auto v = n->value<std::int64_t>();
    if (!v || !n->is_integer()) throw Error(fmt::format("{}: {}.{} must be an integer", origin_, name_, key));
    if (*v < lo || *v > hi) {
      throw Error(fmt::format("{}: {}.{} = {} is out of range {}..{}", origin_, name_, key, *v, lo, hi));
    }
    out = static_cast<Int>(*v);
  }
  void number(const char* key, double& out, double lo, double hi) {
    known_.insert(key);
    const toml::node* n = table_ ? table_->get(key) : nullptr;
    if (!n) return;
    auto v = n->value<double>();
    if (!v) throw Error(fmt::format("{}: {}.{} must be a number", origin_, name_, key));
    if (*v < lo || *v > hi) {
      throw Error(fmt::format("{}: {}.{} = {} is out of range {}..{}", origin_, name_, key, *v, lo, hi));
    }
    out = *v;
  }
  void boolean(const char* key, bool& out) {
    known_.insert(key);
    const toml::node* n = table_ ? table_->get(key) : nullptr;
    if (!n) return;
    if (!n->is_boolean()) throw Error(fmt::format("{}: {}.{} must be true or false", origin_, name_, key));
    out = *n->value<bool>();
  }
  void string(const char* key, std::string& out, std::initializer_list<const char*> allowed = {}) {
    known_.insert(key);
    const toml::node* n = table_ ? table_->get(key) : nullptr;
    if (!n) return;
    if (!n->is_string()) throw Error(fmt::format("{}: {}.{} must be a string", origin_, name_, key));
    std::string v = *n->value<std::string>();
    if (allowed.size() > 0) {
      bool ok = false;
      std::string list;
      for (const char* a : allowed) {
        ok = ok || v == a;
        list += list.empty() ? a : std::string(", ") + a;
      }
      if (!ok) throw Error(fmt::format("{}: {}.{} = \"{}\" is not one of: {}", origin_, name_, key, v, list));
    }
    out = std::move(v);
  }
  void strings(const char* key, std::vector<std::string>& out) {
    known_.insert(key);
    const toml::node* n = table_ ? table_->get(key) : nullptr;
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr) throw Error(fmt::format("{}: {}.{} must be an array of strings", origin_, name_, key));
    out.clear();
    for (const auto& item : *arr) {
      if (!item.is_string()) throw Error(fmt::format("{}: {}.{} must be an array of strings", origin_, name_, key));
      out.push_back(*item.value<std::string>());
    }
  }

 private:
  std::string name_;
  std::string origin_;
  const toml::table* table_ = nullptr;
  std::set<std::string> known_;
};

}  // namespace

std::pair<std::string, int> parse_listen(std::string_view listen) {
  std::string host;
  std::string_view port_text;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      throw Error(fmt::format("listen address '{}' must be host:port", listen));
    }
    host = std::string(listen.substr(1, close - 1));
    port_text = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw Error(fmt::format("listen address '{}' must be host:port", listen));
    }
    host = std::string(listen.substr(0, colon));
    port_text = listen.substr(colon + 1);
  }
  int port = 0;
  if (port_text.empty() || port_text.size() > 5) throw Error(fmt::format("listen address '{}' has a bad port", listen));
  for (char c : port_text) {
    if (c < '0' || c > '9') throw Error(fmt::format("listen address '{}' has a bad port", listen));
    port = port * 10 + (c - '0');
  }
  if (port > 65535) throw Error(fmt::format("listen address '{}' has a port over 65535", listen));
  return {host, port};
}

ServiceConfig parse_config(std::string_view toml_text, std::string_view origin_view) {
  const std::string origin(origin_view);
  toml::table root;
  try {
    root = toml::parse(toml_text, origin_view);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}: line {}: {}", origin, e.source().begin.line, e.description()));
  }
  static const std::set<std::string> sections = {"server", "queue", "media", "fetch", "matching",
                                                  "text",   "cases", "review", "store", "log"};
  for (const auto& [key, value] : root) {
    (void)value;
    if (!sections.count(std::string(key.str()))) {
      throw Error(fmt::format("{}: unknown section [{}]", origin, key.str()));
    }
  }
  ServiceConfig c;
  {
    Section s(root, "server", origin);
    s.string("listen", c.server.listen);
    s.integer("threads", c.server.threads, 1, 256);
    s.integer("event_threads", c.server.event_threads, 0, 64);
    s.integer("keep_alive_max_requests", c.server.keep_alive_max_requests, 1, 1'000'000);
    s.integer("keep_alive_timeout_ms", c.server.keep_alive_timeout_ms, 100, 3'600'000);
    s.integer("max_connections", c.server.max_connections, 1, 1'000'000);
    s.integer("max_body_bytes", c.server.max_body_bytes, 1024, std::int64_t{1} << 32);
    s.integer("read_timeout_ms", c.server.read_timeout_ms, 100, 600'000);
    s.integer("write_timeout_ms", c.server.write_timeout_ms, 100, 600'000);
    s.check_unknown();
    parse_listen(c.server.listen);
  }
  {
    Section s(root, "queue", origin);
    s.integer("workers", c.queue.workers, 1, 64);
    s.integer("claim_batch", c.queue.claim_batch, 1, 1000);
    s.integer("max_depth", c.queue.max_depth, 1, std::int64_t{1} << 40);
    s.integer("max_batch_events", c.queue.max_batch_events, 1, 10'000);
    s.integer("max_attempts", c.queue.max_attempts, 1, 100);
    s.check_unknown();
  }
  {
    Section s(root, "media", origin);
    s.integer("max_bytes", c.media.max_bytes, 1024, std::int64_t{1} << 32);
    s.integer("max_pixels", c.media.max_pixels, 1, std::int64_t{1} << 34);
    s.integer("max_dimension", c.media.max_dimension, 1, 1'000'000);
    s.number("max_decode_seconds", c.media.max_decode_seconds, 0.01, 600);
    s.string("pdq_mode", c.media.pdq_mode, {"reference", "fast"});
    s.integer("max_media_per_event", c.media.max_media_per_event, 1, 100);
    s.check_unknown();
  }
  {
    Section s(root, "fetch", origin);
    s.strings("allowed_hosts", c.fetch.allowed_hosts);
    s.integer("timeout_ms", c.fetch.timeout_ms, 10, 600'000);
    s.integer("max_bytes", c.fetch.max_bytes, 1024, std::int64_t{1} << 32);
    s.integer("max_redirects", c.fetch.max_redirects, 0, 20);
    s.boolean("allow_private_addresses", c.fetch.allow_private_addresses);
    s.check_unknown();
  }
  {
    Section s(root, "matching", origin);
    s.boolean("dihedral", c.matching.dihedral);
    s.boolean("snapshot", c.matching.snapshot);
    s.integer("refresh_interval_ms", c.matching.refresh_interval_ms, 50, 3'600'000);
    s.string("pdq_index_layout", c.matching.pdq_index_layout, {"automatic", "compact", "filtered"});
    s.check_unknown();
  }
  {
    Section s(root, "text", origin);
    s.boolean("enabled", c.text.enabled);
    std::string rules;
    s.string("rules", rules);
    if (!rules.empty()) c.text.rules = rules;
    s.check_unknown();
  }
  {
    Section s(root, "cases", origin);
    s.boolean("open_on_report", c.cases.open_on_report);
    s.boolean("keep_media_for_review", c.cases.keep_media_for_review);
    s.check_unknown();
  }
  {
    Section s(root, "review", origin);
    s.integer("reveals_per_day", c.review.reveals_per_day, 0, 100'000);
    s.integer("preview_max_side", c.review.preview_max_side, 16, 4096);
    s.number("preview_blur_fraction", c.review.preview_blur_fraction, 0.01, 0.5);
    s.check_unknown();
  }
  {
    Section s(root, "store", origin);
    s.string("synchronous", c.store.synchronous, {"full", "normal"});
    s.check_unknown();
  }
  {
    Section s(root, "log", origin);
    s.string("level", c.log.level, {"trace", "debug", "info", "warn", "error", "off"});
    s.boolean("json", c.log.json);
    s.check_unknown();
  }
  return c;
}

ServiceConfig load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read config file {}", file.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), file.string());
}

}  // namespace vigil::server
