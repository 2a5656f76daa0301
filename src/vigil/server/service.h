#pragma once
// `vigil serve`: the detection service. One process, an embedded SQLite store in the data
// directory, an HTTP server (HttpServer: httplib's request handling on an epoll loop) with
//   /v1/...          the events and cases API (docs/service.md, /v1/openapi.json),
//   /h, /m, /c/...   the HMA-compatible hashing, matching and curation API (docs/hma-api.md),
//   /healthz, /readyz, /metrics   operations,
// a queue worker pool (EventProcessor) and a live match index (match::Matcher) refreshed from
// the bank store.
//
// Lifecycle: start() binds and returns (the index loads in the background; /readyz answers 503
// until it is loaded); stop() stops accepting, lets in-flight requests and claimed events
// finish, and returns. Safe to call stop() from a signal-handling thread.
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "vigil/server/auth.h"
#include "vigil/server/config.h"
#include "vigil/server/event_intake.h"
#include "vigil/server/event_processor.h"
#include "vigil/server/http_server.h"
#include "vigil/server/media_fetcher.h"
#include "vigil/server/metrics.h"
#include "vigil/server/text_signals.h"
#include "vigil/store/sqlite_bank_store.h"
#include "vigil/store/sqlite_database.h"
#include "vigil/store/sqlite_service_store.h"

namespace vigil::match {
class Matcher;
}

namespace vigil::server {

class HmaApi;

class Service {
 public:
  // Opens (creating) the store in config.data_dir. `text` overrides the text signal source
  // (nullptr: the text-signals engine per config.text).
  explicit Service(ServiceConfig config, std::unique_ptr<TextSignalSource> text = nullptr);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds the listen address and starts serving on background threads. Returns the bound port.
  int start();
  void stop();
  // Blocks until stop() has completed.
  void wait();

  int port() const { return port_; }
  bool ready() const { return matcher_ptr_.load() != nullptr; }
  store::ServiceStore& service_store() { return *service_store_; }
  Metrics& metrics() { return metrics_; }

  // Folds bank changes into the live index now (the refresh thread also does this periodically).
  void refresh_index();

 private:
  friend class HmaApi;
  void register_ops_routes();
  void register_v1_routes();
  void register_hma_routes();
  void load_index();
  const match::Matcher* matcher() const { return matcher_ptr_.load(); }

  // Request helpers.
  std::optional<Identity> authorize(const httplib::Request& req, httplib::Response& res,
                                    std::initializer_list<store::TokenRole> roles);

  ServiceConfig config_;
  Metrics metrics_;
  std::unique_ptr<store::SqliteDatabase> bank_db_;
  std::unique_ptr<store::SqliteBankStore> bank_store_;
  std::mutex bank_mutex_;  // the bank store connection and matcher refresh/rebuild
  std::unique_ptr<store::SqliteServiceStore> service_store_;
  std::unique_ptr<TextSignalSource> text_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<MediaFetcher> fetcher_;
  std::unique_ptr<EventIntake> intake_;
  std::unique_ptr<EventProcessor> processor_;
  std::unique_ptr<match::Matcher> matcher_owner_;
  std::atomic<const match::Matcher*> matcher_ptr_{nullptr};
  std::atomic<std::int64_t> queue_depth_{0};
  std::atomic<std::int64_t> last_refresh_{-1};  // unix seconds of the last index build/refresh
  std::shared_ptr<HmaApi> hma_;
  HttpServer http_;
  int port_ = 0;
  std::thread index_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;  // with stop_cv_: wakes the index refresh thread
  std::condition_variable stop_cv_;
  std::mutex lifecycle_mutex_;
  std::condition_variable done_cv_;
  bool stop_requested_ = false;
  bool done_ = false;
  bool started_ = false;
};

}  // namespace vigil::server
