// The HMA-compatible API (Meta's Hasher-Matcher-Actioner / OpenMediaMatch blueprints):
// hashing /h, matching /m, curation /c. Same paths, parameters and response shapes; mapping and
// deviations are in docs/hma-api.md. Unlike HMA, every endpoint requires a bearer token.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "vigil/common/ascii.h"
#include "vigil/match/matcher.h"
#include "vigil/media/image_hasher.h"
#include "vigil/server/api_error.h"
#include "vigil/server/http_util.h"
#include "vigil/server/service.h"

namespace vigil::server {

using json = nlohmann::json;
using store::TokenRole;

namespace {

constexpr std::initializer_list<TokenRole> kHashRoles = {TokenRole::ingest, TokenRole::curator, TokenRole::reviewer};
constexpr std::initializer_list<TokenRole> kReadBankRoles = {TokenRole::curator, TokenRole::reviewer};
constexpr std::initializer_list<TokenRole> kWriteBankRoles = {TokenRole::curator};

const std::vector<SignalType> kAllTypes = {SignalType::pdq, SignalType::md5, SignalType::sha1, SignalType::sha256};

SignalType require_signal_type(const std::string& name) {
  auto t = parse_signal_type(name);
  if (!t) throw ApiError(400, "unknown_signal_type", fmt::format("No such SignalType '{}'", name.substr(0, 100)));
  return *t;
}

std::string validate_signal(SignalType type, const std::string& value) {
  match::Signal s{type, value};
  try {
    match::validate_signal(s);
  } catch (const Error& e) {
    throw ApiError(400, "invalid_signal", fmt::format("invalid signal: {}", e.what()));
  }
  return ascii_lower(value);
}

std::optional<std::set<std::string>> parse_banks(const httplib::Request& req) {
  auto b = query_param(req, "banks");
  if (!b || b->empty()) return std::nullopt;
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= b->size()) {
    const auto comma = b->find(',', start);
    out.insert(b->substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The signal types to compute, from HMA's `types` parameter (comma-separated).
std::vector<SignalType> parse_types(const httplib::Request& req) {
  auto t = query_param(req, "types");
  if (!t) return kAllTypes;
  std::vector<SignalType> out;
  std::size_t start = 0;
  while (start <= t->size()) {
    const auto comma = t->find(',', start);
    std::string name = t->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) {
      auto st = parse_signal_type(name);
      if (!st) throw ApiError(400, "unknown_signal_type", fmt::format("signal type '{}' doesn't exist or is disabled", name.substr(0, 100)));
      out.push_back(*st);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) throw ApiError(400, "unknown_signal_type", "empty signal type selection");
  return out;
}

json bank_json(const store::Bank& b) { return {{"name", b.name}, {"matching_enabled_ratio", b.enabled ? 1.0 : 0.0}}; }

}  // namespace

// Holds the HMA handlers' shared logic; a friend of Service.
class HmaApi {
 public:
  explicit HmaApi(Service& s) : s_(s) {}

  const match::Matcher& matcher() {
    const match::Matcher* m = s_.matcher();
    if (!m) throw ApiError(503, "index_not_ready", "index not yet ready");
    return *m;
  }

  std::map<std::string, std::string> hash_bytes(const std::string& bytes, const std::vector<SignalType>& types) {
    if (bytes.size() > s_.config_.media.max_bytes) {
      throw ApiError(413, "media_too_large", fmt::format("media is larger than {} bytes", s_.config_.media.max_bytes));
    }
    media::HashOptions options;
    options.mode = s_.config_.media.pdq_mode == "fast" ? media::PdqMode::fast : media::PdqMode::reference;
    options.limits.max_file_bytes = s_.config_.media.max_bytes;
    options.limits.max_pixels = s_.config_.media.max_pixels;
    options.limits.max_dimension = s_.config_.media.max_dimension;
    options.limits.max_decode_seconds = s_.config_.media.max_decode_seconds;
    media::ImageHashes h;
    try {
      h = media::hash_image_bytes(
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), options);
    } catch (const Error& e) {
      throw ApiError(422, "undecodable_image", e.what());
    }
    std::map<std::string, std::string> out;
    for (auto t : types) {
      switch (t) {
        case SignalType::pdq: out["pdq"] = h.pdq.to_hex(); break;
        case SignalType::md5: out["md5"] = h.digests.md5; break;
        case SignalType::sha1: out["sha1"] = h.digests.sha1; break;
        case SignalType::sha256: out["sha256"] = h.digests.sha256; break;
      }
    }
    return out;
  }

  // GET /h/hash?url=... and the url forms of /m/lookup and /c/bank/<name>/content.
  std::map<std::string, std::string> hash_url(const httplib::Request& req) {
    const std::string url = *query_param(req, "url");
    if (auto ct = query_param(req, "content_type"); ct && *ct != "photo") {
      throw ApiError(400, "unsupported_content_type", fmt::format("content_type {} is disabled", ct->substr(0, 50)));
    }
    FetchedMedia fetched = s_.fetcher_->fetch(url);
    const auto types = parse_types(req);
    if (!query_param(req, "content_type") && !fetched.content_type.empty()) {
      const std::string ct = ascii_lower(fetched.content_type);
      if (ct.rfind("image", 0) != 0) {
        throw ApiError(400, "unsupported_content_type",
                       fmt::format("unsupported url ContentType: '{}', if you know the expected type, provide it with "
                                   "the content_type query param",
                                   fetched.content_type.substr(0, 100)));
      }
    }
    return hash_bytes(std::string(fetched.bytes.begin(), fetched.bytes.end()), types);
  }

  // POST /h/hash, POST /m/lookup: one multipart file whose field name is the content type.
  std::map<std::string, std::string> hash_form(const httplib::Request& req) {
    if (!req.is_multipart_form_data() || req.files.empty()) {
      throw ApiError(400, "missing_upload", "Missing multipart/form-data file upload");
    }
    if (req.files.size() > 1) throw ApiError(400, "too_many_files", "Only one file allowed per request");
    const auto& [field, file] = *req.files.begin();
    if (field != "photo") {
      throw ApiError(400, "unsupported_content_type", fmt::format("no such content_type: '{}'", field.substr(0, 50)));
    }
    return hash_bytes(file.content, parse_types(req));
  }

  std::vector<match::Match> query(SignalType type, const std::string& value, bool include_allow) {
    match::Query q;
    q.signals.push_back({type, value});
    match::QueryResult r = matcher().match(q);
    std::vector<match::Match> out;
    for (auto& m : r.matches) {
      if (include_allow || !m.suppressed) out.push_back(std::move(m));
    }
    if (include_allow) {
      for (auto& m : r.allow_matches) out.push_back(std::move(m));
    }
    return out;
  }

  // HMA's lookup(): {bank_name: [{bank_content_id, distance}]}, allow banks applied.
  json lookup(SignalType type, const std::string& value, const std::optional<std::set<std::string>>& banks) {
    json out = json::object();
    for (const auto& m : query(type, validate_signal(type, value), false)) {
      if (banks && !banks->count(m.bank_name)) continue;
      out[m.bank_name].push_back({{"bank_content_id", m.entry_id}, {"distance", std::to_string(m.distance)}});
    }
    return out;
  }

  store::Bank require_bank(const std::string& name) {
    std::lock_guard lock(s_.bank_mutex_);
    auto b = s_.bank_store_->find_bank(std::string_view(name));
    if (!b) throw ApiError(404, "not_found", fmt::format("bank '{}' not found", name.substr(0, 100)));
    return *b;
  }

  json add_signals(const store::Bank& bank, const std::map<std::string, std::string>& signals, const json& metadata) {
    if (signals.empty()) throw ApiError(400, "no_signals", "No signals given");
    std::vector<store::BankEntry> entries;
    json echo = json::object();
    for (const auto& [name, value] : signals) {
      auto type = parse_signal_type(name);
      if (!type) throw ApiError(400, "unknown_signal_type", fmt::format("No such signal type {}", name.substr(0, 50)));
      store::BankEntry e;
      e.signal_type = *type;
      try {
        e.value = validate_signal(*type, value);
      } catch (const ApiError&) {
        throw ApiError(400, "invalid_signal", fmt::format("Invalid {} signal", name));
      }
      e.added_by = "hma-api";
      if (metadata.is_object()) {
        if (auto c = metadata.find("content_id"); c != metadata.end() && c->is_string()) e.source_id = c->get<std::string>().substr(0, 200);
        if (auto u = metadata.find("content_uri"); u != metadata.end() && u->is_string()) e.note = u->get<std::string>().substr(0, 1000);
      }
      echo[name] = e.value;
      entries.push_back(std::move(e));
    }
    // PDQ first so that the answered id is the perceptual entry's.
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.signal_type == SignalType::pdq && b.signal_type != SignalType::pdq;
    });
    std::int64_t first_id = 0;
    {
      std::lock_guard lock(s_.bank_mutex_);
      s_.bank_store_->add_entries(bank.id, entries);
      // Find the id of the first signal (new or merged duplicate).
      s_.bank_store_->for_each_entry(bank.id, [&](const store::BankEntry& e) {
        if (first_id == 0 && e.signal_type == entries[0].signal_type && e.value == entries[0].value) first_id = e.id;
      });
    }
    s_.refresh_index();
    return {{"id", first_id}, {"signals", echo}};
  }

  json content_json(const store::BankEntry& e, const store::Bank& bank, bool include_signals) {
    json j = {{"id", e.id},
              {"disable_until_ts", e.disabled ? 1 : 0},
              {"collab_metadata", json::object()},
              {"original_media_uri", e.note.empty() ? json(nullptr) : json(e.note)},
              {"bank", bank_json(bank)}};
    if (include_signals) j["signals"] = {{std::string(to_string(e.signal_type)), e.value}};
    return j;
  }

  store::BankEntry require_entry(const store::Bank& bank, std::int64_t id) {
    std::lock_guard lock(s_.bank_mutex_);
    auto e = s_.bank_store_->find_entry(id);
    if (!e || e->bank_id != bank.id) throw ApiError(404, "not_found", fmt::format("content '{}' not found", id));
    return *e;
  }

  void register_routes(httplib::Server& http);

 private:
  Service& s_;
};

void HmaApi::register_routes(httplib::Server& http) {
  http.Get("/m/raw_lookup", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kHashRoles)) return;
             auto signal = query_param(req, "signal");
             auto type_name = query_param(req, "signal_type");
             if (!signal) throw ApiError(400, "missing_parameter", "missing required parameter 'signal'");
             if (!type_name) throw ApiError(400, "missing_parameter", "missing required parameter 'signal_type'");
             const SignalType type = require_signal_type(*type_name);
             const std::string value = validate_signal(type, *signal);
             const bool with_distance = query_bool(req, "include_distance", false);
             const auto banks = parse_banks(req);
             json matches = json::array();
             for (const auto& m : query(type, value, true)) {
               if (banks && !banks->count(m.bank_name)) continue;
               if (with_distance) {
                 matches.push_back({{"bank_content_id", m.entry_id}, {"distance", std::to_string(m.distance)}});
               } else {
                 matches.push_back(m.entry_id);
               }
             }
             send_json(res, 200, {{"matches", matches}});
           }));
  // ---- hashing
  http.Get("/h/hash", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kHashRoles)) return;
             if (!query_param(req, "url")) throw ApiError(400, "missing_parameter", "url is required");
             send_json(res, 200, hash_url(req));
           }));
  http.Post("/h/hash", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!s_.authorize(req, res, kHashRoles)) return;
              send_json(res, 200, hash_form(req));
            }));

  // ---- matching
  http.Get("/m/lookup", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kHashRoles)) return;
             const auto banks = parse_banks(req);
             if (auto url = query_param(req, "url"); url && !url->empty()) {
               json out = json::object();
               for (const auto& [name, value] : hash_url(req)) out[name] = lookup(*parse_signal_type(name), value, banks);
               if (auto st = query_param(req, "signal_type")) {
                 send_json(res, 200, out.contains(*st) ? out[*st] : json::object());
               } else {
                 send_json(res, 200, out);
               }
               return;
             }
             auto signal = query_param(req, "signal");
             auto type_name = query_param(req, "signal_type");
             if (!signal || !type_name) {
               throw ApiError(400, "missing_parameter", "Either url or both signal and signal_type are required");
             }
             send_json(res, 200, lookup(require_signal_type(*type_name), *signal, banks));
           }));
  http.Post("/m/lookup", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!s_.authorize(req, res, kHashRoles)) return;
              const auto banks = parse_banks(req);
              json out = json::object();
              for (const auto& [name, value] : hash_form(req)) out[name] = lookup(*parse_signal_type(name), value, banks);
              send_json(res, 200, out);
            }));
  http.Post("/m/compare", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!s_.authorize(req, res, kHashRoles)) return;
              const json body = parse_json_body(req);
              if (!body.is_object()) throw ApiError(400, "invalid_body", "Request input was not a dict");
              json out = json::object();
              for (const auto& [name, pair] : body.items()) {
                if (!pair.is_array()) {
                  throw ApiError(400, "invalid_body", fmt::format("Comparison hashes for {} was not a list", name.substr(0, 50)));
                }
                if (pair.size() != 2) throw ApiError(400, "invalid_body", "Comparison hash list length must be exactly 2");
                const SignalType type = require_signal_type(name);
                if (!pair[0].is_string() || !pair[1].is_string()) {
                  throw ApiError(400, "invalid_signal", fmt::format("Invalid {} hash: not a string", name));
                }
                const std::string a = validate_signal(type, pair[0].get<std::string>());
                const std::string b = validate_signal(type, pair[1].get<std::string>());
                if (type == SignalType::pdq) {
                  const int d = hamming_distance(Hash256::parse_hex(a), Hash256::parse_hex(b));
                  // HMA: PDQ compare matches at distance <= 31 (its default threshold).
                  out[name] = json::array({d <= 31, {{"distance", d}}});
                } else {
                  out[name] = json::array({a == b, {{"distance", a == b ? 0 : 1}}});
                }
              }
              send_json(res, 200, out);
            }));
  http.Get("/m/index/status", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kHashRoles)) return;
             std::vector<SignalType> types = kAllTypes;
             if (auto st = query_param(req, "signal_type")) {
               auto t = parse_signal_type(*st);
               if (!t) throw ApiError(400, "unknown_signal_type", fmt::format("No such signal type '{}'", st->substr(0, 50)));
               types = {*t};
             }
             const match::Matcher* m = s_.matcher();
             std::map<SignalType, std::int64_t> sizes;
             if (m) {
               std::lock_guard lock(s_.bank_mutex_);
               for (const auto& bank : s_.bank_store_->list_banks()) {
                 if (!bank.enabled) continue;
                 const auto stats = s_.bank_store_->bank_stats(bank.id);
                 sizes[SignalType::pdq] += stats.pdq;
                 sizes[SignalType::md5] += stats.md5;
                 sizes[SignalType::sha1] += stats.sha1;
                 sizes[SignalType::sha256] += stats.sha256;
               }
             }
             const auto built_to = s_.last_refresh_.load();
             json out = json::object();
             for (auto t : types) {
               if (!m) {
                 out[std::string(to_string(t))] = {{"present", false}, {"built_to", -1}, {"size", 0}};
               } else {
                 const std::int64_t size =
                     t == SignalType::pdq ? static_cast<std::int64_t>(m->stats().pdq_entries) : sizes[t];
                 out[std::string(to_string(t))] = {{"present", true}, {"built_to", built_to}, {"size", size}};
               }
             }
             send_json(res, 200, out);
           }));

  // ---- curation: banks
  http.Get("/c/banks", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kReadBankRoles)) return;
             json out = json::array();
             std::lock_guard lock(s_.bank_mutex_);
             for (const auto& b : s_.bank_store_->list_banks()) out.push_back(bank_json(b));
             send_json(res, 200, out);
           }));
  http.Post("/c/banks", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!s_.authorize(req, res, kWriteBankRoles)) return;
              const json body = parse_json_body(req);
              if (!body.is_object() || !body.contains("name") || !body["name"].is_string()) {
                throw ApiError(400, "missing_field", "name is required");
              }
              store::Bank spec;
              spec.name = body["name"].get<std::string>();
              if (auto r = body.find("enabled_ratio"); r != body.end() && !r->is_null()) {
                if (!r->is_number()) throw ApiError(400, "invalid_field", "enabled_ratio must be a number");
                spec.enabled = r->get<double>() > 0;
              } else if (auto e = body.find("enabled"); e != body.end() && !e->is_null()) {
                spec.enabled = e->is_boolean() ? e->get<bool>() : (e->is_number() && e->get<double>() != 0);
              }
              std::lock_guard lock(s_.bank_mutex_);
              if (s_.bank_store_->find_bank(std::string_view(spec.name))) {
                throw ApiError(403, "bank_exists", "Bank already exists");
              }
              store::Bank created = s_.bank_store_->create_bank(spec);
              send_json(res, 201, bank_json(created));
            }));
  http.Get(R"(/c/bank/([^/]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kReadBankRoles)) return;
             send_json(res, 200, bank_json(require_bank(req.matches[1])));
           }));
  http.Put(R"(/c/bank/([^/]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kWriteBankRoles)) return;
             store::Bank bank = require_bank(req.matches[1]);
             const json body = parse_json_body(req);
             if (!body.is_object()) throw ApiError(400, "invalid_body", "the body must be a JSON object");
             if (auto n = body.find("name"); n != body.end() && !n->is_null()) {
               if (!n->is_string()) throw ApiError(400, "invalid_field", "name must be a string");
               bank.name = n->get<std::string>();
             }
             if (auto e = body.find("enabled"); e != body.end() && !e->is_null()) {
               bank.enabled = e->is_boolean() ? e->get<bool>() : (e->is_number() && e->get<double>() != 0);
             }
             if (auto r = body.find("enabled_ratio"); r != body.end() && !r->is_null()) {
               if (!r->is_number()) throw ApiError(400, "invalid_field", "enabled_ratio must be a number");
               bank.enabled = r->get<double>() > 0;
             }
             store::Bank updated;
             {
               std::lock_guard lock(s_.bank_mutex_);
               try {
                 updated = s_.bank_store_->update_bank(bank);
               } catch (const Error& err) {
                 if (std::string(err.what()).find("already exists") != std::string::npos) {
                   throw ApiError(403, "bank_exists", "Bank name already exists");
                 }
                 throw;
               }
             }
             s_.refresh_index();
             send_json(res, 200, bank_json(updated));
           }));
  http.Delete(R"(/c/bank/([^/]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
                if (!s_.authorize(req, res, kWriteBankRoles)) return;
                {
                  std::lock_guard lock(s_.bank_mutex_);
                  if (s_.bank_store_->find_bank(std::string_view(req.matches[1].str()))) {
                    s_.bank_store_->delete_bank(req.matches[1].str());
                  }
                }
                s_.refresh_index();
                send_json(res, 200, {{"message", "Done"}});
              }));

  // ---- curation: content
  http.Post(R"(/c/bank/([^/]+)/content)", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!s_.authorize(req, res, kWriteBankRoles)) return;
              const store::Bank bank = require_bank(req.matches[1]);
              json metadata;
              if (auto m = query_param(req, "metadata")) {
                metadata = json::parse(*m);
                if (!metadata.is_object()) throw ApiError(400, "invalid_field", "metadata should be a json object");
              }
              std::map<std::string, std::string> hashes;
              if (auto url = query_param(req, "url"); url && !url->empty()) {
                hashes = hash_url(req);
              } else if (req.is_multipart_form_data() && !req.files.empty()) {
                hashes = hash_form(req);
              } else {
                throw ApiError(400, "missing_upload", "Neither `url` nor multipart file upload was received");
              }
              // Bank the perceptual hash and the MD5 (HMA's photo signal types); other digests only on request.
              if (!query_param(req, "types")) {
                hashes.erase("sha1");
                hashes.erase("sha256");
              }
              send_json(res, 200, add_signals(bank, hashes, metadata));
            }));
  http.Post(R"(/c/bank/([^/]+)/signal)", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!s_.authorize(req, res, kWriteBankRoles)) return;
              const store::Bank bank = require_bank(req.matches[1]);
              const json body = parse_json_body(req);
              if (!body.is_object()) throw ApiError(400, "invalid_body", "the body must be a JSON object of signal type to hash");
              std::map<std::string, std::string> signals;
              for (const auto& [k, v] : body.items()) {
                if (!v.is_string()) throw ApiError(400, "invalid_signal", fmt::format("Invalid {} signal", k.substr(0, 50)));
                signals[k] = v.get<std::string>();
              }
              send_json(res, 200, add_signals(bank, signals, json()));
            }));
  http.Get(R"(/c/bank/([^/]+)/content/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kReadBankRoles)) return;
             const store::Bank bank = require_bank(req.matches[1]);
             const auto entry = require_entry(bank, parse_id(req.matches[2], "content id"));
             const std::string inc = ascii_lower(query_param(req, "include_signals").value_or("false"));
             send_json(res, 200, content_json(entry, bank, inc == "true"));
           }));
  http.Put(R"(/c/bank/([^/]+)/content/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
             if (!s_.authorize(req, res, kWriteBankRoles)) return;
             const store::Bank bank = require_bank(req.matches[1]);
             auto entry = require_entry(bank, parse_id(req.matches[2], "content id"));
             const json body = parse_json_body(req);
             if (!body.is_object()) throw ApiError(400, "invalid_body", "the body must be a JSON object");
             if (auto d = body.find("disable_until_ts"); d != body.end()) {
               std::int64_t ts = 0;
               if (d->is_number_integer()) {
                 ts = d->get<std::int64_t>();
               } else if (d->is_string()) {
                 ts = parse_id(d->get<std::string>(), "disable_until_ts");
               } else {
                 throw ApiError(400, "invalid_field", "disable_until_ts must be a non-negative integer");
               }
               if (ts < 0) throw ApiError(400, "invalid_field", "disable_until_ts must be a non-negative integer");
               const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count();
               if (ts > now + 5LL * 365 * 24 * 3600) {
                 throw ApiError(400, "invalid_field", "disable_until_ts must be less than 5 years in the future");
               }
               const bool disable = ts != 0;
               {
                 std::lock_guard lock(s_.bank_mutex_);
                 s_.bank_store_->set_entry_disabled(entry.id, disable,
                                                    disable ? fmt::format("disabled via HMA API (disable_until_ts {})", ts) : "");
                 entry = *s_.bank_store_->find_entry(entry.id);
               }
               s_.refresh_index();
             }
             send_json(res, 200, content_json(entry, bank, false));
           }));
  http.Delete(R"(/c/bank/([^/]+)/content/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
                if (!s_.authorize(req, res, kWriteBankRoles)) return;
                const store::Bank bank = require_bank(req.matches[1]);
                const auto id = parse_id(req.matches[2], "content id");
                int deleted = 0;
                {
                  std::lock_guard lock(s_.bank_mutex_);
                  auto e = s_.bank_store_->find_entry(id);
                  if (e && e->bank_id == bank.id) {
                    s_.bank_store_->delete_entry(id);
                    deleted = 1;
                  }
                }
                s_.refresh_index();
                send_json(res, 200, {{"deleted", deleted}});
              }));
}

void Service::register_hma_routes() {
  hma_ = std::make_shared<HmaApi>(*this);
  hma_->register_routes(http_);
}

}  // namespace vigil::server
