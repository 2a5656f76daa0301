#include "vigil/server/event_intake.h"

#include <fmt/format.h>

#include <algorithm>

#include "vigil/media/image_hasher.h"
#include "vigil/server/api_error.h"

namespace vigil::server {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxIdLength = 200;
constexpr std::size_t kMaxTextBytes = 64 * 1024;

[[noreturn]] void bad(const std::string& code, const std::string& message) { throw ApiError(400, code, message); }

const json& require(const json& e, const char* field) {
  auto it = e.find(field);
  if (it == e.end() || it->is_null()) bad("missing_field", fmt::format("missing required field '{}'", field));
  return *it;
}

std::string require_id(const json& e, const char* field) {
  const json& v = require(e, field);
  if (!v.is_string()) bad("invalid_field", fmt::format("field '{}' must be a string", field));
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > kMaxIdLength) {
    bad("invalid_field", fmt::format("field '{}' must be 1..{} characters", field, kMaxIdLength));
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) bad("invalid_field", fmt::format("field '{}' contains a control character", field));
  }
  return s;
}

std::optional<std::string> optional_text(const json& e, const char* field) {
  auto it = e.find(field);
  if (it == e.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) bad("invalid_field", fmt::format("field '{}' must be a string", field));
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxTextBytes) {
    bad("field_too_large", fmt::format("field '{}' is longer than {} bytes", field, kMaxTextBytes));
  }
  return s;
}

// RFC 3339 date-time, e.g. 2026-11-26T15:30:00Z or with fractional seconds / offset.
bool looks_like_rfc3339(const std::string& s) {
  if (s.size() < 20 || s.size() > 40) return false;
  auto digits = [&](std::size_t pos, std::size_t n) {
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (!digits(0, 4) || s[4] != '-' || !digits(5, 2) || s[7] != '-' || !digits(8, 2) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2) || s[13] != ':' || !digits(14, 2) ||
      s[16] != ':' || !digits(17, 2)) {
    return false;
  }
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == s.size();
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) return s.size() == i + 6 && digits(i + 1, 2) && s[i + 3] == ':' && digits(i + 4, 2);
  return false;
}

void check_fields(const json& e, const std::string& type, std::initializer_list<const char*> allowed) {
  static const char* common[] = {"idempotency_key", "type", "occurred_at", "account_id"};
  for (const auto& [key, value] : e.items()) {
    (void)value;
    bool ok = std::find(std::begin(common), std::end(common), key) != std::end(common);
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) bad("unknown_field", fmt::format("field '{}' is not part of a '{}' event", key, type));
  }
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

const std::vector<std::string>& event_types() {
  static const std::vector<std::string> types = {"profile_photo.set", "group_avatar.set", "account.name_changed",
                                                 "group.updated",     "message.reported", "account.metadata"};
  return types;
}

std::vector<std::uint8_t> decode_base64(std::string_view text, std::uint64_t max_bytes, const std::string& field) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = base64_value(c);
    if (v < 0 || padding) bad("invalid_base64", fmt::format("field '{}' is not valid base64", field));
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
      if (out.size() > max_bytes) {
        throw ApiError(413, "media_too_large", fmt::format("field '{}' decodes to more than {} bytes", field, max_bytes));
      }
    }
  }
  if (bits >= 6) bad("invalid_base64", fmt::format("field '{}' is not valid base64 (truncated)", field));
  return out;
}

EventIntake::MediaOut EventIntake::load_media(const json& spec, const std::string& field, int index,
                                              const std::string& role, const UploadedParts& parts) const {
  if (!spec.is_object()) {
    bad("invalid_field", fmt::format("field '{}' must be an object with one of 'base64', 'url', 'upload'", field));
  }
  for (const auto& [key, value] : spec.items()) {
    (void)value;
    if (key != "base64" && key != "url" && key != "upload" && key != "content_type") {
      bad("unknown_field", fmt::format("field '{}.{}' is not a media field", field, key));
    }
  }
  const int sources = static_cast<int>(spec.contains("base64")) + static_cast<int>(spec.contains("url")) +
                      static_cast<int>(spec.contains("upload"));
  if (sources != 1) bad("invalid_field", fmt::format("field '{}' needs exactly one of 'base64', 'url', 'upload'", field));
  MediaOut out;
  out.ref = json::object();
  out.ref["index"] = index;
  out.ref["role"] = role;
  std::vector<std::uint8_t> bytes;
  if (spec.contains("base64")) {
    if (!spec["base64"].is_string()) bad("invalid_field", fmt::format("field '{}.base64' must be a string", field));
    bytes = decode_base64(spec["base64"].get_ref<const std::string&>(), config_.media.max_bytes, field + ".base64");
    out.ref["source"] = "base64";
  } else if (spec.contains("upload")) {
    if (!spec["upload"].is_string()) bad("invalid_field", fmt::format("field '{}.upload' must be a string", field));
    const auto& name = spec["upload"].get_ref<const std::string&>();
    auto it = parts.find(name);
    if (it == parts.end()) {
      bad("missing_upload", fmt::format("field '{}.upload' names multipart part '{}', which is not in the request",
                                        field, name.substr(0, 100)));
    }
    if (it->second.size() > config_.media.max_bytes) {
      throw ApiError(413, "media_too_large", fmt::format("upload '{}' is larger than {} bytes", name.substr(0, 100),
                                                          config_.media.max_bytes));
    }
    bytes.assign(it->second.begin(), it->second.end());
    out.ref["source"] = "upload";
  } else {
    if (!spec["url"].is_string()) bad("invalid_field", fmt::format("field '{}.url' must be a string", field));
    const auto& url = spec["url"].get_ref<const std::string&>();
    if (url.size() > 4096) bad("invalid_field", fmt::format("field '{}.url' is longer than 4096 characters", field));
    FetchedMedia fetched = fetcher_.fetch(url);
    bytes = std::move(fetched.bytes);
    out.ref["source"] = "url";
    out.ref["url"] = url;
  }
  if (bytes.empty()) bad("empty_media", fmt::format("field '{}' holds no bytes", field));
  media::HashOptions options;
  options.mode = config_.media.pdq_mode == "fast" ? media::PdqMode::fast : media::PdqMode::reference;
  options.dihedral = config_.matching.dihedral;
  options.limits.max_file_bytes = config_.media.max_bytes;
  options.limits.max_pixels = config_.media.max_pixels;
  options.limits.max_dimension = config_.media.max_dimension;
  options.limits.max_decode_seconds = config_.media.max_decode_seconds;
  media::ImageHashes h;
  try {
    h = media::hash_image_bytes(bytes, options);
  } catch (const Error& e) {
    throw ApiError(422, "undecodable_image", fmt::format("field '{}': {}", field, e.what()));
  }
  out.ref["bytes"] = bytes.size();
  out.ref["width"] = h.width;
  out.ref["height"] = h.height;
  out.ref["pdq"] = h.pdq.to_hex();
  out.ref["quality"] = h.quality;
  out.ref["md5"] = h.digests.md5;
  out.ref["sha1"] = h.digests.sha1;
  out.ref["sha256"] = h.digests.sha256;
  if (h.dihedral) {
    json d = json::array();
    for (const auto& v : *h.dihedral) d.push_back(v.to_hex());
    out.ref["dihedral"] = d;
  }
  out.media.index = index;
  out.media.role = role;
  out.media.bytes = std::move(bytes);
  return out;
}

store::NewEvent EventIntake::prepare(const json& e, const UploadedParts& parts) const {
  if (!e.is_object()) bad("invalid_event", "an event must be a JSON object");
  store::NewEvent out;
  out.idempotency_key = require_id(e, "idempotency_key");
  const json& type_node = require(e, "type");
  if (!type_node.is_string()) bad("invalid_field", "field 'type' must be a string");
  out.type = type_node.get<std::string>();
  const auto& types = event_types();
  if (std::find(types.begin(), types.end(), out.type) == types.end()) {
    std::string list;
    for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
    bad("unknown_event_type", fmt::format("unknown event type '{}' (known: {})", out.type.substr(0, 100), list));
  }
  out.account_id = require_id(e, "account_id");
  const json& occurred = require(e, "occurred_at");
  if (!occurred.is_string() || !looks_like_rfc3339(occurred.get<std::string>())) {
    bad("invalid_field", "field 'occurred_at' must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z");
  }
  out.occurred_at = occurred.get<std::string>();

  json payload = json::object();
  payload["type"] = out.type;
  payload["account_id"] = out.account_id;
  payload["occurred_at"] = out.occurred_at;
  int media_index = 0;
  auto add_media = [&](const json& spec, const std::string& field, const std::string& role) {
    if (media_index >= config_.media.max_media_per_event) {
      bad("too_many_media", fmt::format("an event carries at most {} media", config_.media.max_media_per_event));
    }
    MediaOut m = load_media(spec, field, media_index++, role, parts);
    out.media.push_back(std::move(m.media));
    return m.ref;
  };
  auto copy_text = [&](const char* field) {
    if (auto t = optional_text(e, field)) payload[field] = *t;
  };

  const std::string& type = out.type;
  if (type == "profile_photo.set") {
    check_fields(e, type, {"media"});
    payload["media"] = json::array({add_media(require(e, "media"), "media", "profile_photo")});
  } else if (type == "group_avatar.set") {
    check_fields(e, type, {"media", "group_id"});
    payload["group_id"] = require_id(e, "group_id");
    payload["media"] = json::array({add_media(require(e, "media"), "media", "group_avatar")});
  } else if (type == "account.name_changed") {
    check_fields(e, type, {"username", "display_name"});
    copy_text("username");
    copy_text("display_name");
    if (!payload.contains("username") && !payload.contains("display_name")) {
      bad("missing_field", "an 'account.name_changed' event needs 'username' or 'display_name'");
    }
  } else if (type == "group.updated") {
    check_fields(e, type, {"group_id", "name", "description"});
    payload["group_id"] = require_id(e, "group_id");
    copy_text("name");
    copy_text("description");
    if (!payload.contains("name") && !payload.contains("description")) {
      bad("missing_field", "a 'group.updated' event needs 'name' or 'description'");
    }
  } else if (type == "message.reported") {
    check_fields(e, type, {"reporter_account_id", "reported_account_id", "text", "media", "franking", "message_id", "reason"});
    payload["reporter_account_id"] = require_id(e, "reporter_account_id");
    payload["reported_account_id"] = require_id(e, "reported_account_id");
    if (e.contains("message_id") && !e["message_id"].is_null()) payload["message_id"] = require_id(e, "message_id");
    copy_text("text");
    copy_text("reason");
    if (auto it = e.find("media"); it != e.end() && !it->is_null()) {
      if (!it->is_array()) bad("invalid_field", "field 'media' must be an array of media objects");
      json refs = json::array();
      for (std::size_t i = 0; i < it->size(); ++i) {
        refs.push_back(add_media((*it)[i], fmt::format("media[{}]", i), "attachment"));
      }
      payload["media"] = refs;
    }
    if (auto it = e.find("franking"); it != e.end() && !it->is_null()) {
      if (!it->is_object()) bad("invalid_field", "field 'franking' must be an object");
      if (it->dump().size() > 16 * 1024) bad("field_too_large", "field 'franking' is larger than 16 KiB");
      payload["franking"] = *it;  // kept verbatim for later verification
    }
  } else if (type == "account.metadata") {
    check_fields(e, type, {"created_at", "device_type", "counters"});
    if (auto it = e.find("created_at"); it != e.end() && !it->is_null()) {
      if (!it->is_string() || !looks_like_rfc3339(it->get<std::string>())) {
        bad("invalid_field", "field 'created_at' must be an RFC 3339 date-time");
      }
      payload["created_at"] = *it;
    }
    if (auto t = optional_text(e, "device_type")) {
      if (t->size() > 100) bad("invalid_field", "field 'device_type' must be at most 100 characters");
      payload["device_type"] = *t;
    }
    if (auto it = e.find("counters"); it != e.end() && !it->is_null()) {
      if (!it->is_object() || it->size() > 100) bad("invalid_field", "field 'counters' must be an object of at most 100 integers");
      for (const auto& [k, v] : it->items()) {
        if (!v.is_number_integer() || k.size() > 100) {
          bad("invalid_field", fmt::format("counter '{}' must be an integer", k.substr(0, 100)));
        }
      }
      payload["counters"] = *it;
    }
  }
  out.payload_json = payload.dump();
  return out;
}

}  // namespace vigil::server
