#pragma once
// Event intake: validates one event (a JSON object) against its type's schema, obtains its media
// (base64, a multipart part, or a URL on the fetch allow-list), hashes the media, and produces
// the store::NewEvent that is committed to the queue. Every problem throws ApiError naming the
// field and what was wrong; nothing is queued for an invalid event.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vigil/server/config.h"
#include "vigil/server/media_fetcher.h"
#include "vigil/store/service_store.h"

namespace vigil::server {

// The event types the service accepts.
const std::vector<std::string>& event_types();

// Multipart parts of the request by name (for media given as {"upload": "<part name>"}).
using UploadedParts = std::map<std::string, std::string>;

class EventIntake {
 public:
  EventIntake(const ServiceConfig& config, const MediaFetcher& fetcher) : config_(config), fetcher_(fetcher) {}
  store::NewEvent prepare(const nlohmann::json& event, const UploadedParts& parts) const;

 private:
  struct MediaOut {
    nlohmann::json ref;
    store::EventMedia media;
  };
  MediaOut load_media(const nlohmann::json& spec, const std::string& field, int index, const std::string& role,
                      const UploadedParts& parts) const;

  const ServiceConfig& config_;
  const MediaFetcher& fetcher_;
};

// Decodes standard or URL-safe base64 (padding optional, whitespace ignored); throws ApiError.
std::vector<std::uint8_t> decode_base64(std::string_view text, std::uint64_t max_bytes, const std::string& field);

}  // namespace vigil::server
