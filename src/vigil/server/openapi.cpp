#include "vigil/server/openapi.h"

#include <nlohmann/json.hpp>

#include "vigil/server/event_intake.h"

namespace vigil::server {

namespace {

using json = nlohmann::json;

json error_ref() { return {{"$ref", "#/components/responses/Error"}}; }

json build() {
  json media = {{"type", "object"},
                {"description", "Exactly one of base64, url (allow-listed host) or upload (multipart part name)"},
                {"properties",
                 {{"base64", {{"type", "string"}}},
                  {"url", {{"type", "string"}, {"format", "uri"}}},
                  {"upload", {{"type", "string"}}},
                  {"content_type", {{"type", "string"}}}}}};
  json common = {{"idempotency_key", {{"type", "string"}, {"maxLength", 200}}},
                 {"type", {{"type", "string"}, {"enum", event_types()}}},
                 {"occurred_at", {{"type", "string"}, {"format", "date-time"}}},
                 {"account_id", {{"type", "string"}, {"maxLength", 200}}},
                 {"media", {{"oneOf", json::array({{{"$ref", "#/components/schemas/Media"}},
                                                    {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Media"}}}}})}}},
                 {"group_id", {{"type", "string"}}},
                 {"username", {{"type", "string"}}},
                 {"display_name", {{"type", "string"}}},
                 {"name", {{"type", "string"}}},
                 {"description", {{"type", "string"}}},
                 {"reporter_account_id", {{"type", "string"}}},
                 {"reported_account_id", {{"type", "string"}}},
                 {"message_id", {{"type", "string"}}},
                 {"text", {{"type", "string"}}},
                 {"reason", {{"type", "string"}}},
                 {"franking", {{"type", "object"}}},
                 {"created_at", {{"type", "string"}, {"format", "date-time"}}},
                 {"device_type", {{"type", "string"}}},
                 {"counters", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}}};
  json event = {{"type", "object"},
                {"required", json::array({"idempotency_key", "type", "occurred_at", "account_id"})},
                {"description", "Fields beyond the common four depend on type; see docs/service.md"},
                {"properties", common}};
  json accepted = {{"type", "object"},
                   {"properties",
                    {{"id", {{"type", "integer"}}},
                     {"status", {{"type", "string"}, {"enum", json::array({"queued", "processing", "done", "failed"})}}},
                     {"duplicate", {{"type", "boolean"}}}}}};
  json bearer = json::array({{{"bearer", json::array()}}});
  auto op = [&](const std::string& summary, const std::string& roles, json responses) {
    return json{{"summary", summary}, {"description", "Roles: " + roles}, {"security", bearer}, {"responses", responses}};
  };
  json paths;
  paths["/v1/events"]["post"] = op("Submit one event or a batch", "ingest",
                                   {{"202", {{"description", "Accepted (committed to the queue)"},
                                             {"content", {{"application/json", {{"schema", accepted}}}}}}},
                                    {"400", error_ref()}, {"401", error_ref()}, {"403", error_ref()},
                                    {"413", error_ref()}, {"422", error_ref()}, {"503", error_ref()}});
  paths["/v1/events"]["post"]["requestBody"] = {
      {"required", true},
      {"content",
       {{"application/json",
         {{"schema", {{"oneOf", json::array({{{"$ref", "#/components/schemas/Event"}},
                                             {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Event"}}}}})}}}}},
        {"multipart/form-data",
         {{"schema", {{"type", "object"}, {"properties", {{"event", {{"type", "string"}, {"description", "the JSON event"}}}}}}}}}}}};
  paths["/v1/events/{id}"]["get"] = op("Event status and outcome", "ingest, reviewer, legal",
                                       {{"200", {{"description", "The event"}}}, {"404", error_ref()}});
  paths["/v1/cases"]["get"] = op("List cases (filters: state, priority, older_than_seconds, newer_than_seconds, limit, before_id)",
                                 "reviewer, legal", {{"200", {{"description", "{cases: [...]}"}}}});
  paths["/v1/cases/{id}"]["get"] = op("A case: events, signals (distances, banks, why), decisions", "reviewer, legal",
                                      {{"200", {{"description", "The case"}}}, {"404", error_ref()}});
  paths["/v1/cases/{id}/decision"]["post"] = op("Record a decision (decision, reason, close)", "reviewer",
                                                {{"201", {{"description", "The decision"}}}, {"400", error_ref()}, {"404", error_ref()}});
  paths["/v1/cases/{id}"]["get"]["description"] =
      "Roles: reviewer, legal. Also lists `reveals`: every time a reviewer asked for original media "
      "(revealed_by: token name, role, event_id, media_index, media_url, revealed_at_ms).";
  json media_op = op(
      "Media of an event in the case: a blurred greyscale preview, or the original on ?reveal=true", "reviewer",
      {{"200",
        {{"description",
          "By default a reviewer-safe preview (JPEG, greyscale, longer side <= review.preview_max_side, Gaussian "
          "blur, no metadata; header X-Vigil-Media: preview; greyscale; blurred). With reveal=true the original "
          "bytes as stored (X-Vigil-Media: original), recorded in the case's reveals. Never cached (no-store)."},
         {"headers",
          {{"X-Vigil-Media", {{"schema", {{"type", "string"}, {"enum", json::array({"preview; greyscale; blurred", "original"})}}}}},
           {"Cache-Control", {{"schema", {{"type", "string"}}}}}}},
         {"content",
          {{"image/jpeg", {{"schema", {{"type", "string"}, {"format", "binary"}}}}},
           {"application/octet-stream",
            {{"schema", {{"type", "string"}, {"format", "binary"}}},
             {"description", "reveal=true only: the original in its own format (image/png, image/gif, ...)"}}}}}}},
       {"400", error_ref()},
       {"401", error_ref()},
       {"403", error_ref()},
       {"404", error_ref()},
       {"422", {{"description", "The stored media cannot be decoded into a preview (error undecodable_media); the "
                                "original is never sent instead"},
                {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/ErrorBody"}}}}}}}}},
       {"429",
        {{"description",
          "reveal=true over the exposure limit: the token already revealed review.reveals_per_day originals in the "
          "last 24 hours (error exposure_limit); nothing is served or recorded. The preview stays available."},
         {"headers", {{"Retry-After", {{"schema", {{"type", "integer"}}}, {"description", "seconds until a reveal is possible"}}}}},
         {"content",
          {{"application/json",
            {{"schema",
              {{"type", "object"},
               {"properties",
                {{"error", {{"type", "string"}, {"enum", json::array({"exposure_limit"})}}},
                 {"message", {{"type", "string"}}},
                 {"limit", {{"type", "integer"}}},
                 {"window_seconds", {{"type", "integer"}}},
                 {"retry_after_seconds", {{"type", "integer"}}}}}}}}}}}}}});
  media_op["parameters"] = json::array(
      {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}},
       {{"name", "event_id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}},
       {{"name", "index"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}},
       {{"name", "reveal"},
        {"in", "query"},
        {"required", false},
        {"schema", {{"type", "boolean"}, {"default", false}}},
        {"description", "true: the original bytes instead of the preview (recorded, limited per token per 24 h)"}}});
  paths["/v1/cases/{id}/media/{event_id}/{index}"]["get"] = media_op;
  json error_schema = {{"type", "object"},
                       {"properties", {{"error", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}};
  json error_response = {{"description", "An error naming the problem"},
                         {"content", {{"application/json", {{"schema", error_schema}}}}}};
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "Vigil service API"}, {"version", "1"}};
  doc["paths"] = paths;
  doc["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["schemas"]["Event"] = event;
  doc["components"]["schemas"]["Media"] = media;
  doc["components"]["schemas"]["ErrorBody"] = error_schema;
  doc["components"]["responses"]["Error"] = error_response;
  return doc;
}

}  // namespace

const std::string& openapi_document() {
  static const std::string doc = build().dump(2);
  return doc;
}

}  // namespace vigil::server
