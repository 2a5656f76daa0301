#include "vigil/server/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "vigil/match/matcher.h"
#include "vigil/media/image_hasher.h"
#include "vigil/server/api_error.h"
#include "vigil/server/http_util.h"
#include "vigil/store/data_directory.h"

namespace vigil::server {

using json = nlohmann::json;
using store::TokenRole;

Service::Service(ServiceConfig config, std::unique_ptr<TextSignalSource> text)
    : config_(std::move(config)),
      text_(std::move(text)),
      http_(HttpServerOptions{.event_threads = config_.server.event_threads,
                              .threads = config_.server.threads,
                              .keep_alive_max_requests = config_.server.keep_alive_max_requests,
                              .keep_alive_timeout_ms = config_.server.keep_alive_timeout_ms,
                              .read_timeout_ms = config_.server.read_timeout_ms,
                              .write_timeout_ms = config_.server.write_timeout_ms,
                              .max_connections = config_.server.max_connections}) {
  store::DataDirectory dir(config_.data_dir, store::DataDirectory::Mode::create_if_missing);
  media::initialize_media();
  bank_db_ = std::make_unique<store::SqliteDatabase>(dir.store_path());
  bank_store_ = std::make_unique<store::SqliteBankStore>(*bank_db_);
  store::SqliteServiceStoreOptions options;
  options.synchronous = config_.store.synchronous;
  service_store_ = std::make_unique<store::SqliteServiceStore>(dir.store_path(), options);
  if (!text_ && config_.text.enabled) text_ = make_text_scanner_source(config_.text);
  auth_ = std::make_unique<Authenticator>(*service_store_);
  fetcher_ = std::make_unique<MediaFetcher>(config_.fetch);
  intake_ = std::make_unique<EventIntake>(config_, *fetcher_);
  processor_ = std::make_unique<EventProcessor>(
      config_, *service_store_, [this] { return matcher(); }, text_.get(), metrics_);

  metrics_.describe("vigil_events_accepted_total", "counter", "Events accepted into the queue, by type");
  metrics_.describe("vigil_events_rejected_total", "counter", "Events refused at intake, by reason");
  metrics_.describe("vigil_events_duplicate_total", "counter", "Events whose idempotency key was already known");
  metrics_.describe("vigil_events_processed_total", "counter", "Events processed, by type and outcome");
  metrics_.describe("vigil_event_processing_seconds", "histogram", "Time to process one event from the queue");
  metrics_.describe("vigil_http_request_seconds", "histogram", "HTTP request latency by route group");
  metrics_.describe("vigil_matches_total", "counter", "Bank matches in processed events, by bank");
  metrics_.describe("vigil_queue_depth", "gauge", "Events queued or being processed");
  metrics_.describe("vigil_index_entries", "gauge", "Entries per bank (enabled and disabled) in the bank store");
  metrics_.describe("vigil_index_ready", "gauge", "1 when the match index is loaded");
  metrics_.describe("vigil_http_open_connections", "gauge", "Open HTTP connections (idle kept-alive ones included)");
  metrics_.gauge_fn("vigil_http_open_connections",
                    [this](auto& out) { out.push_back({{}, static_cast<double>(http_.open_connections())}); });
  metrics_.gauge_fn("vigil_queue_depth", [this](auto& out) {
    out.push_back({{}, static_cast<double>(service_store_->queue_depth())});
  });
  metrics_.gauge_fn("vigil_index_ready", [this](auto& out) { out.push_back({{}, ready() ? 1.0 : 0.0}); });
  metrics_.gauge_fn("vigil_index_entries", [this](auto& out) {
    std::lock_guard lock(bank_mutex_);
    for (const auto& bank : bank_store_->list_banks()) {
      out.push_back({{{"bank", bank.name}}, static_cast<double>(bank_store_->count_entries(bank.id))});
    }
  });

  http_.set_payload_max_length(config_.server.max_body_bytes);
  http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      const auto ct = req.get_header_value("Content-Type");
      if (ct.rfind("application/x-www-form-urlencoded", 0) == 0) {
        send_error(res, 413, "body_too_large",
                   "form-urlencoded bodies are limited to 8 KiB; send JSON with Content-Type: application/json");
      } else {
        send_error(res, 413, "body_too_large", "request body is larger than server.max_body_bytes");
      }
    } else if (res.status == 404) {
      send_error(res, 404, "not_found", fmt::format("no route for {} {}", req.method, req.path));
    } else if (res.status == 400) {
      send_error(res, 400, "bad_request", "malformed HTTP request");
    } else {
      send_error(res, res.status, "error", fmt::format("HTTP {}", res.status));
    }
  });
  http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal_error", "internal error; see the server log");
  });
  http_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    // Path only: queries may carry media URLs; bodies and headers (tokens) are never logged.
    spdlog::info("http {} {} {}", req.method, req.path, res.status);
  });
  // Short handlers that never wait on I/O run on the event threads (no hand-off to a handler
  // thread). /m/raw_lookup reads only the in-memory index (and a token cache).
  http_.set_inline_paths({"/m/raw_lookup", "/healthz", "/readyz"});
  // httplib tries routes in registration order (each a regex): the hot lookup path goes first.
  register_hma_routes();
  register_ops_routes();
  register_v1_routes();
}

Service::~Service() {
  stop();
  if (index_thread_.joinable()) index_thread_.join();
}

std::optional<Identity> Service::authorize(const httplib::Request& req, httplib::Response& res,
                                           std::initializer_list<TokenRole> roles) {
  AuthResult r = auth_->authenticate(req.get_header_value("Authorization"));
  if (!r.identity) {
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthenticated", r.reason);
    return std::nullopt;
  }
  if (!role_allowed(r.identity->role, roles)) {
    std::string list;
    for (auto role : roles) list += (list.empty() ? "" : ", ") + std::string(to_string(role));
    send_error(res, 403, "forbidden",
               fmt::format("token role '{}' may not call {} {} (needs: {})", to_string(r.identity->role), req.method,
                           req.path, list));
    return std::nullopt;
  }
  return r.identity;
}

void Service::load_index() {
  try {
    match::MatcherOptions options;
    options.dihedral = config_.matching.dihedral;
    if (config_.matching.pdq_index_layout == "compact") options.pdq_layout = match::PdqIndexLayout::compact;
    if (config_.matching.pdq_index_layout == "filtered") options.pdq_layout = match::PdqIndexLayout::filtered;
    if (config_.matching.snapshot) options.snapshot_path = config_.data_dir / "match-index.snapshot";
    std::unique_ptr<match::Matcher> m;
    {
      std::lock_guard lock(bank_mutex_);
      m = std::make_unique<match::Matcher>(*bank_store_, options);
    }
    const auto stats = m->stats();
    spdlog::info("match index loaded: {} PDQ and {} digest entries ({})", stats.pdq_entries, stats.exact_entries,
                 stats.snapshot_status);
    matcher_owner_ = std::move(m);
    last_refresh_ = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    matcher_ptr_ = matcher_owner_.get();
    processor_->notify();
  } catch (const std::exception& e) {
    spdlog::error("cannot load the match index: {}", e.what());
    return;
  }
  // Periodic refresh: bank changes made by other processes (vigil bank import) reach the index.
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(config_.matching.refresh_interval_ms));
    if (stopping_) break;
    lock.unlock();
    try {
      queue_depth_ = service_store_->queue_depth();
      refresh_index();
    } catch (const std::exception& e) {
      spdlog::error("match index refresh failed: {}", e.what());
    }
    lock.lock();
  }
}

void Service::refresh_index() {
  auto* m = matcher_owner_.get();
  if (!m || !matcher_ptr_.load()) return;
  std::lock_guard lock(bank_mutex_);
  matcher_owner_->refresh();
  last_refresh_ = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
}

int Service::start() {
  auto [host, port] = parse_listen(config_.server.listen);
  const int recovered = service_store_->recover_in_flight();
  queue_depth_ = service_store_->queue_depth();
  if (recovered > 0) spdlog::warn("requeued {} events that were being processed when the service last stopped", recovered);
  port_ = http_.bind_and_listen(host, port);
  started_ = true;
  processor_->start();
  index_thread_ = std::thread([this] { load_index(); });
  http_.start();
  spdlog::info("vigil serve listening on {}:{}", host, port_);
  return port_;
}

void Service::stop() {
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (stop_requested_) return;
    stop_requested_ = true;
    if (!started_) {
      done_ = true;
      done_cv_.notify_all();
      return;
    }
  }
  spdlog::info("vigil serve stopping: finishing in-flight requests and claimed events");
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  http_.shutdown();
  processor_->stop();
  if (index_thread_.joinable()) index_thread_.join();
  if (matcher_owner_ && config_.matching.snapshot) {
    try {
      std::lock_guard lock(bank_mutex_);
      matcher_owner_->save_snapshot();
    } catch (const std::exception& e) {
      spdlog::warn("cannot save the match index snapshot: {}", e.what());
    }
  }
  spdlog::info("vigil serve stopped");
  std::lock_guard lock(lifecycle_mutex_);
  done_ = true;
  done_cv_.notify_all();
}

void Service::wait() {
  std::unique_lock lock(lifecycle_mutex_);
  done_cv_.wait(lock, [this] { return done_; });
}

}  // namespace vigil::server
