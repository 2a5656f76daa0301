// The /v1 events and cases API and the operations endpoints (Service member functions).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "vigil/media/review_preview.h"
#include "vigil/server/api_error.h"
#include "vigil/server/http_util.h"
#include "vigil/server/openapi.h"
#include "vigil/server/service.h"

namespace vigil::server {

using json = nlohmann::json;
using store::TokenRole;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* sniff_image_type(const std::vector<std::uint8_t>& b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
  if (b.size() >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "image/png";
  if (b.size() >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') return "image/gif";
  if (b.size() >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E') {
    return "image/webp";
  }
  return "application/octet-stream";
}

json event_json(const store::EventRecord& e) {
  json j = {{"id", e.id},
            {"type", e.type},
            {"account_id", e.account_id},
            {"occurred_at", e.occurred_at},
            {"status", to_string(e.status)},
            {"attempts", e.attempts},
            {"received_at_ms", e.received_at}};
  if (e.processed_at) j["processed_at_ms"] = *e.processed_at;
  if (e.outcome_json) j["outcome"] = json::parse(*e.outcome_json);
  if (e.case_id) j["case_id"] = *e.case_id;
  if (e.error) j["error"] = *e.error;
  return j;
}

const char* priority_name(int p) {
  switch (p) {
    case 3: return "high";
    case 2: return "medium";
    case 1: return "low";
  }
  return "none";
}

int parse_priority(const std::string& s) {
  if (s == "high" || s == "3") return 3;
  if (s == "medium" || s == "2") return 2;
  if (s == "low" || s == "1") return 1;
  throw ApiError(400, "invalid_parameter", "parameter 'priority' must be low, medium or high (or 1..3)");
}

json case_json(const store::CaseRecord& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"state", to_string(c.state)},
          {"priority", priority_name(c.priority)},
          {"priority_level", c.priority},
          {"opened_reason", c.opened_reason},
          {"opened_by_event", c.opened_by_event},
          {"opened_at_ms", c.opened_at},
          {"updated_at_ms", c.updated_at},
          {"signal_count", c.signal_count}};
}

media::ReviewPreviewOptions preview_options(const ServiceConfig& config) {
  media::ReviewPreviewOptions o;
  o.max_side = config.review.preview_max_side;
  o.blur_fraction = config.review.preview_blur_fraction;
  return o;
}

// Stored media was accepted under these limits when it was hashed; the preview decodes under
// the same ones.
media::DecodeLimits preview_limits(const ServiceConfig& config) {
  media::DecodeLimits l;
  l.max_file_bytes = config.media.max_bytes;
  l.max_pixels = config.media.max_pixels;
  l.max_dimension = config.media.max_dimension;
  l.max_decode_seconds = config.media.max_decode_seconds;
  return l;
}

json accepted_json(const store::EnqueueResult& r) {
  json j = {{"id", r.id}, {"status", to_string(r.status)}};
  if (r.duplicate) j["duplicate"] = true;
  return j;
}

}  // namespace

void Service::register_ops_routes() {
  http_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, {{"status", "ok"}}); });
  http_.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (ready()) {
      send_json(res, 200, {{"status", "ready"}});
    } else {
      send_json(res, 503, {{"status", "loading"}, {"error", "index_loading"}, {"message", "the match index is loading"}});
    }
  });
  http_.Get("/metrics", guarded([this](const httplib::Request&, httplib::Response& res) {
              res.set_content(metrics_.render(), "text/plain; version=0.0.4");
            }));
  http_.Get("/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(openapi_document(), "application/json");
  });
}

void Service::register_v1_routes() {
  http_.Post("/v1/events", guarded([this](const httplib::Request& req, httplib::Response& res) {
               if (!authorize(req, res, {TokenRole::ingest})) return;
               const auto start = std::chrono::steady_clock::now();
               UploadedParts parts;
               json body;
               if (req.is_multipart_form_data()) {
                 if (!req.has_file("event")) {
                   throw ApiError(400, "missing_field", "multipart request needs a part named 'event' holding the JSON event");
                 }
                 for (const auto& [name, file] : req.files) {
                   if (name != "event") parts[name] = file.content;
                 }
                 body = json::parse(req.get_file_value("event").content);
               } else {
                 body = parse_json_body(req);
               }
               if (queue_depth_.load() >= config_.queue.max_depth) {
                 res.set_header("Retry-After", "5");
                 throw ApiError(503, "queue_full", "the event queue is full; retry later");
               }
               auto accept_one = [&](const json& e) {
                 try {
                   store::NewEvent ev = intake_->prepare(e, parts);
                   store::EnqueueResult r = service_store_->enqueue_event(ev);
                   if (r.duplicate) {
                     metrics_.inc("vigil_events_duplicate_total", {{"type", ev.type}});
                   } else {
                     metrics_.inc("vigil_events_accepted_total", {{"type", ev.type}});
                     ++queue_depth_;
                   }
                   return r;
                 } catch (const ApiError& err) {
                   metrics_.inc("vigil_events_rejected_total", {{"reason", err.code()}});
                   throw;
                 }
               };
               if (body.is_array()) {
                 if (body.empty()) throw ApiError(400, "empty_batch", "a batch must hold at least one event");
                 if (static_cast<int>(body.size()) > config_.queue.max_batch_events) {
                   throw ApiError(413, "batch_too_large",
                                  fmt::format("a batch holds at most {} events", config_.queue.max_batch_events));
                 }
                 json results = json::array();
                 int accepted = 0;
                 for (std::size_t i = 0; i < body.size(); ++i) {
                   try {
                     results.push_back(accepted_json(accept_one(body[i])));
                     ++accepted;
                   } catch (const ApiError& err) {
                     results.push_back({{"status", "rejected"}, {"error", err.code()}, {"message", err.what()}, {"index", i}});
                   }
                 }
                 processor_->notify();
                 send_json(res, accepted > 0 ? 202 : 400, {{"results", results}, {"accepted", accepted}});
               } else if (body.is_object()) {
                 store::EnqueueResult r = accept_one(body);
                 processor_->notify();
                 send_json(res, 202, accepted_json(r));
               } else {
                 throw ApiError(400, "invalid_event", "the body must be one event (a JSON object) or a batch (an array)");
               }
               metrics_.observe("vigil_http_request_seconds",
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                                {{"route", "events_post"}});
             }));

  http_.Get(R"(/v1/events/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!authorize(req, res, {TokenRole::ingest, TokenRole::reviewer, TokenRole::legal})) return;
              const auto id = parse_id(req.matches[1], "event id");
              auto e = service_store_->find_event(id);
              if (!e) throw ApiError(404, "not_found", fmt::format("event {} not found", id));
              send_json(res, 200, event_json(*e));
            }));

  http_.Get("/v1/cases", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!authorize(req, res, {TokenRole::reviewer, TokenRole::legal})) return;
              store::CaseFilter f;
              if (auto s = query_param(req, "state")) {
                f.state = store::parse_case_state(*s);
                if (!f.state) throw ApiError(400, "invalid_parameter", "parameter 'state' must be open or closed");
              }
              if (auto p = query_param(req, "priority")) f.min_priority = parse_priority(*p);
              if (auto a = query_param(req, "older_than_seconds")) f.older_than_ms = parse_id(*a, "older_than_seconds") * 1000;
              if (auto a = query_param(req, "newer_than_seconds")) f.newer_than_ms = parse_id(*a, "newer_than_seconds") * 1000;
              if (auto l = query_param(req, "limit")) {
                f.limit = static_cast<int>(std::min<std::int64_t>(parse_id(*l, "limit"), 500));
                if (f.limit == 0) throw ApiError(400, "invalid_parameter", "parameter 'limit' must be 1..500");
              }
              if (auto b = query_param(req, "before_id")) f.before_id = parse_id(*b, "before_id");
              json cases = json::array();
              for (const auto& c : service_store_->list_cases(f, now_ms())) cases.push_back(case_json(c));
              send_json(res, 200, {{"cases", cases}});
            }));

  http_.Get(R"(/v1/cases/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
              if (!authorize(req, res, {TokenRole::reviewer, TokenRole::legal})) return;
              const auto id = parse_id(req.matches[1], "case id");
              auto c = service_store_->find_case(id);
              if (!c) throw ApiError(404, "not_found", fmt::format("case {} not found", id));
              json out = case_json(*c);
              json signals = json::array();
              std::vector<std::int64_t> event_ids;
              for (const auto& s : service_store_->case_signals(id)) {
                signals.push_back({{"id", s.id},
                                   {"event_id", s.event_id},
                                   {"event_type", s.event_type},
                                   {"kind", s.kind},
                                   {"detail", json::parse(s.detail_json)},
                                   {"added_at_ms", s.added_at}});
                if (std::find(event_ids.begin(), event_ids.end(), s.event_id) == event_ids.end()) {
                  event_ids.push_back(s.event_id);
                }
              }
              json events = json::array();
              for (auto eid : event_ids) {
                auto e = service_store_->find_event(eid);
                if (!e) continue;
                json ej = event_json(*e);
                json payload = json::parse(e->payload_json);
                if (auto m = payload.find("media"); m != payload.end()) {
                  for (auto& ref : *m) {
                    // Media bytes only through the reviewer-only media endpoint.
                    ref["media_url"] = fmt::format("/v1/cases/{}/media/{}/{}", id, eid, ref.at("index").get<int>());
                  }
                }
                ej["payload"] = payload;
                events.push_back(ej);
              }
              json decisions = json::array();
              for (const auto& d : service_store_->case_decisions(id)) {
                decisions.push_back({{"id", d.id},
                                     {"decision", d.decision},
                                     {"reason", d.reason},
                                     {"decided_by", d.decided_by},
                                     {"closes_case", d.closes_case},
                                     {"decided_at_ms", d.decided_at}});
              }
              out["signals"] = signals;
              out["events"] = events;
              json reveals = json::array();
              for (const auto& rv : service_store_->case_reveals(id)) {
                reveals.push_back({{"id", rv.id},
                                   {"revealed_by", rv.token_name},
                                   {"role", store::to_string(rv.role)},
                                   {"event_id", rv.event_id},
                                   {"media_index", rv.media_index},
                                   {"media_url", fmt::format("/v1/cases/{}/media/{}/{}", id, rv.event_id, rv.media_index)},
                                   {"revealed_at_ms", rv.revealed_at}});
              }
              out["decisions"] = decisions;
              out["reveals"] = reveals;
              send_json(res, 200, out);
            }));

  http_.Post(R"(/v1/cases/(\d+)/decision)", guarded([this](const httplib::Request& req, httplib::Response& res) {
               auto who = authorize(req, res, {TokenRole::reviewer});
               if (!who) return;
               const auto id = parse_id(req.matches[1], "case id");
               const json body = parse_json_body(req);
               if (!body.is_object()) throw ApiError(400, "invalid_body", "the decision must be a JSON object");
               static const std::vector<std::string> kDecisions = {"actioned", "dismissed", "escalated", "needs_more_info"};
               auto d = body.find("decision");
               if (d == body.end() || !d->is_string() ||
                   std::find(kDecisions.begin(), kDecisions.end(), d->get<std::string>()) == kDecisions.end()) {
                 throw ApiError(400, "invalid_field", "field 'decision' must be one of: actioned, dismissed, escalated, needs_more_info");
               }
               auto r = body.find("reason");
               if (r == body.end() || !r->is_string() || r->get<std::string>().empty() || r->get<std::string>().size() > 4000) {
                 throw ApiError(400, "missing_field", "field 'reason' (1..4000 characters) is required: every decision records why");
               }
               store::DecisionRecord rec;
               rec.decision = d->get<std::string>();
               rec.reason = r->get<std::string>();
               rec.decided_by = who->name;
               rec.closes_case = rec.decision == "actioned" || rec.decision == "dismissed";
               if (auto c = body.find("close"); c != body.end()) {
                 if (!c->is_boolean()) throw ApiError(400, "invalid_field", "field 'close' must be true or false");
                 rec.closes_case = c->get<bool>();
               }
               if (!service_store_->find_case(id)) throw ApiError(404, "not_found", fmt::format("case {} not found", id));
               const auto saved = service_store_->add_decision(id, rec);
               spdlog::info("case {} decision {} by token '{}'", id, saved.decision, saved.decided_by);
               send_json(res, 201, {{"id", saved.id},
                                    {"case_id", id},
                                    {"decision", saved.decision},
                                    {"reason", saved.reason},
                                    {"decided_by", saved.decided_by},
                                    {"closes_case", saved.closes_case},
                                    {"decided_at_ms", saved.decided_at}});
             }));

  // Reviewer media: a small greyscale blurred preview by default; the original only on an
  // explicit ?reveal=true, recorded and limited per token (review.reveals_per_day in 24 h).
  http_.Get(R"(/v1/cases/(\d+)/media/(\d+)/(\d+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
              auto who = authorize(req, res, {TokenRole::reviewer});
              if (!who) return;
              const auto case_id = parse_id(req.matches[1], "case id");
              const auto event_id = parse_id(req.matches[2], "event id");
              const auto index = parse_id(req.matches[3], "media index");
              const bool reveal = query_bool(req, "reveal", false);
              const int media_index = static_cast<int>(std::min<std::int64_t>(index, 1000));
              auto m = service_store_->case_media(case_id, event_id, media_index);
              if (!m) throw ApiError(404, "not_found", "no such media in this case (or it was not kept for review)");
              res.set_header("Cache-Control", "no-store");
              res.set_header("X-Content-Type-Options", "nosniff");
              if (!reveal) {
                std::vector<std::uint8_t> preview;
                try {
                  preview = media::render_review_preview(m->bytes, preview_options(config_), preview_limits(config_));
                } catch (const Error& e) {
                  // Never the original bytes instead: a preview or an error.
                  throw ApiError(422, "undecodable_media",
                                 fmt::format("media {} of event {} cannot be shown as a preview: {}", media_index,
                                             event_id, e.what()));
                }
                res.set_header("X-Vigil-Media", "preview; greyscale; blurred");
                res.set_content(std::string(preview.begin(), preview.end()), "image/jpeg");
                return;
              }
              const int limit = config_.review.reveals_per_day;
              constexpr std::int64_t kWindowMs = 24 * 3600 * 1000;
              store::MediaReveal record;
              record.token_name = who->name;
              record.role = who->role;
              record.case_id = case_id;
              record.event_id = event_id;
              record.media_index = media_index;
              record.revealed_at = now_ms();
              const store::RevealResult r = service_store_->record_reveal(record, limit, record.revealed_at - kWindowMs);
              if (!r.recorded) {
                std::int64_t retry_after = 24 * 3600;
                if (r.oldest_in_window) {
                  retry_after = std::max<std::int64_t>(1, (*r.oldest_in_window + kWindowMs - record.revealed_at + 999) / 1000);
                }
                spdlog::warn("token '{}' reached the reveal limit ({} in 24 h); case {} media {}/{} not revealed", who->name,
                             limit, case_id, event_id, media_index);
                res.set_header("Retry-After", std::to_string(retry_after));
                send_json(res, 429,
                          {{"error", "exposure_limit"},
                           {"message", fmt::format("token '{}' has revealed {} original media in the last 24 hours, the "
                                                   "limit (review.reveals_per_day) is {}; the blurred preview is still "
                                                   "available without ?reveal=true",
                                                   who->name, r.in_window, limit)},
                           {"limit", limit},
                           {"window_seconds", kWindowMs / 1000},
                           {"retry_after_seconds", retry_after}});
                return;
              }
              spdlog::info("case {} media {}/{} revealed to token '{}' ({} of {} in 24 h)", case_id, event_id, media_index,
                           who->name, r.in_window, limit);
              res.set_header("X-Vigil-Media", "original");
              res.set_content(std::string(m->bytes.begin(), m->bytes.end()), sniff_image_type(m->bytes));
            }));
}

}  // namespace vigil::server
