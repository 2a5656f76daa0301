#pragma once
// Processes the persisted event queue: worker threads claim queued events, turn media hashes into
// bank matches (allow banks applied) and text fields into text signals, and commit each event's
// outcome together with its case effects in one store transaction (ServiceStore::complete_event),
// so a crash at any point re-delivers the event and its effects still apply exactly once.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "vigil/server/config.h"
#include "vigil/server/metrics.h"
#include "vigil/server/text_signals.h"
#include "vigil/store/service_store.h"

namespace vigil::match {
class Matcher;
}

namespace vigil::server {

class EventProcessor {
 public:
  // `matcher` returns the live matcher, or nullptr while the index is still loading (workers wait).
  EventProcessor(const ServiceConfig& config, store::ServiceStore& store, std::function<const match::Matcher*()> matcher,
                 const TextSignalSource* text, Metrics& metrics);
  ~EventProcessor();

  void start();
  // Stops claiming, finishes the events already claimed, joins the workers.
  void stop();
  void notify();  // new events were queued

  // Computes the outcome of one event (pure: reads the matcher and text source only).
  store::EventOutcome process(const store::EventRecord& event) const;

 private:
  void run();

  const ServiceConfig& config_;
  store::ServiceStore& store_;
  std::function<const match::Matcher*()> matcher_;
  const TextSignalSource* text_;
  Metrics& metrics_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
};

}  // namespace vigil::server
