#include "vigil/server/event_processor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "vigil/common/error.h"
#include "vigil/match/matcher.h"

namespace vigil::server {

using json = nlohmann::json;

EventProcessor::EventProcessor(const ServiceConfig& config, store::ServiceStore& store,
                               std::function<const match::Matcher*()> matcher, const TextSignalSource* text,
                               Metrics& metrics)
    : config_(config), store_(store), matcher_(std::move(matcher)), text_(text), metrics_(metrics) {}

EventProcessor::~EventProcessor() { stop(); }

void EventProcessor::start() {
  stopping_ = false;
  for (int i = 0; i < config_.queue.workers; ++i) workers_.emplace_back([this] { run(); });
}

void EventProcessor::stop() {
  stopping_ = true;
  wake_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void EventProcessor::notify() { wake_.notify_one(); }

store::EventOutcome EventProcessor::process(const store::EventRecord& event) const {
  const json payload = json::parse(event.payload_json);
  store::EventOutcome out;
  json outcome = json::object();
  json matches = json::array();
  json suppressed = json::array();
  json text_results = json::array();
  out.case_account_id = event.account_id;
  std::string reason;

  // Media: PDQ + digests against the banks.
  if (auto it = payload.find("media"); it != payload.end()) {
    const match::Matcher* matcher = matcher_();
    if (!matcher) throw Error("the match index is not loaded yet");
    for (const auto& m : *it) {
      match::Query q;
      q.signals.push_back({SignalType::pdq, m.at("pdq").get<std::string>()});
      q.signals.push_back({SignalType::md5, m.at("md5").get<std::string>()});
      q.signals.push_back({SignalType::sha1, m.at("sha1").get<std::string>()});
      q.signals.push_back({SignalType::sha256, m.at("sha256").get<std::string>()});
      q.pdq_quality = m.at("quality").get<int>();
      if (auto d = m.find("dihedral"); d != m.end() && d->size() == 8) {
        std::array<Hash256, 8> hashes;
        for (std::size_t i = 0; i < 8; ++i) hashes[i] = Hash256::parse_hex((*d)[i].get<std::string>());
        q.pdq_dihedral = hashes;
      }
      const match::QueryResult r = matcher->match(q);
      for (const auto& hit : r.matches) {
        json h = {{"media_index", m.at("index")},
                  {"bank", hit.bank_name},
                  {"bank_id", hit.bank_id},
                  {"entry_id", hit.entry_id},
                  {"signal_type", to_string(hit.signal_type)},
                  {"value", hit.value},
                  {"query_value", hit.query_value},
                  {"distance", hit.distance},
                  {"threshold", hit.threshold},
                  {"dihedral_variant", hit.dihedral_variant},
                  {"labels", hit.labels}};
        if (hit.suppressed) {
          h["suppressed_by_bank"] = hit.suppressed_by_bank;
          if (hit.suppressed_by_entry) h["suppressed_by_entry"] = *hit.suppressed_by_entry;
          h["why"] = fmt::format("allow bank '{}' also matched this media: known false positive", hit.suppressed_by_bank);
          suppressed.push_back(h);
          continue;
        }
        h["why"] = hit.signal_type == SignalType::pdq
                       ? fmt::format("PDQ distance {} <= bank '{}' threshold {}", hit.distance, hit.bank_name, hit.threshold)
                       : fmt::format("exact {} digest in bank '{}'", to_string(hit.signal_type), hit.bank_name);
        metrics_.inc("vigil_matches_total", {{"bank", hit.bank_name}});
        out.signals.push_back({event.id, "bank_match", h.dump()});
        if (reason.empty()) reason = fmt::format("bank_match:{}", hit.bank_name);
        matches.push_back(std::move(h));
      }
      for (const auto& s : r.skipped) {
        outcome["skipped_banks"].push_back({{"bank", s.bank_name}, {"reason", s.reason}});
      }
    }
  }
  if (!matches.empty()) out.priority = 3;

  // Text fields.
  std::vector<std::pair<const char*, TextFieldKind>> fields;
  if (event.type == "account.name_changed") {
    fields = {{"username", TextFieldKind::username}, {"display_name", TextFieldKind::display_name}};
  } else if (event.type == "group.updated") {
    fields = {{"name", TextFieldKind::group_name}, {"description", TextFieldKind::group_description}};
  } else if (event.type == "message.reported") {
    fields = {{"text", TextFieldKind::message_text}};
  }
  if (text_) {
    for (const auto& [name, kind] : fields) {
      auto it = payload.find(name);
      if (it == payload.end()) continue;
      const TextSignal s = text_->scan(it->get_ref<const std::string&>(), kind);
      json r = {{"field", name}, {"flagged", s.flagged}, {"score", s.score}};
      text_results.push_back(r);
      if (s.flagged) {
        json detail = s.detail;
        detail["field"] = name;
        detail["why"] = fmt::format("text score {:.2f} in field '{}' reached the lexicon's flag threshold", s.score, name);
        out.signals.push_back({event.id, "text", detail.dump()});
        if (reason.empty()) reason = fmt::format("text:{}", name);
        out.priority = std::max(out.priority, 2);
      }
    }
  }

  // Reports are signals in themselves; the case is about the reported account.
  if (event.type == "message.reported") {
    out.case_account_id = payload.at("reported_account_id").get<std::string>();
    if (config_.cases.open_on_report || !out.signals.empty()) {
      json detail = {{"reporter_account_id", payload.at("reporter_account_id")},
                     {"why", "a user reported a message from this account"}};
      if (payload.contains("reason")) detail["report_reason"] = payload["reason"];
      out.signals.push_back({event.id, "report", detail.dump()});
      if (reason.empty()) reason = "report";
      out.priority = std::max(out.priority, 1);
    }
  }

  outcome["matches"] = matches;
  outcome["suppressed_matches"] = suppressed;
  outcome["text"] = text_results;
  outcome["signals"] = out.signals.size();
  if (text_) outcome["lexicon_version"] = text_->version();
  out.reason = reason;
  out.keep_media = config_.cases.keep_media_for_review;
  out.outcome_json = outcome.dump();
  return out;
}

void EventProcessor::run() {
  while (true) {
    std::vector<store::EventRecord> batch;
    if (!stopping_) {
      if (matcher_()) {
        try {
          batch = store_.claim_events(config_.queue.claim_batch);
        } catch (const std::exception& e) {
          spdlog::error("event queue claim failed: {}", e.what());
        }
      }
    }
    if (batch.empty()) {
      if (stopping_) return;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(200));
      continue;
    }
    // Claimed events are always finished, even when stopping (graceful shutdown). Outcomes of the
    // batch are committed together (one transaction); on a store error each event is retried
    // on its own, up to max_attempts.
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::pair<std::int64_t, store::EventOutcome>> outcomes;
    std::vector<const store::EventRecord*> computed;
    std::vector<const store::EventRecord*> retry;
    for (const auto& event : batch) {
      try {
        outcomes.emplace_back(event.id, process(event));
        computed.push_back(&event);
      } catch (const std::exception&) {
        retry.push_back(&event);
      }
    }
    bool committed = false;
    if (!outcomes.empty()) {
      try {
        store_.complete_events(outcomes);
        committed = true;
      } catch (const std::exception& e) {
        spdlog::warn("committing {} outcomes failed, retrying one by one: {}", outcomes.size(), e.what());
        retry.insert(retry.end(), computed.begin(), computed.end());
      }
    }
    const double batch_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (committed) {
      for (std::size_t i = 0; i < computed.size(); ++i) {
        const auto& outcome = outcomes[i].second;
        // Latency first: a scrape that sees an event counted as processed also sees its latency.
        metrics_.observe("vigil_event_processing_seconds", batch_seconds / static_cast<double>(batch.size()),
                         {{"type", computed[i]->type}});
        metrics_.inc("vigil_events_processed_total",
                     {{"type", computed[i]->type}, {"outcome", outcome.signals.empty() ? "no_signal" : "case"}});
      }
    }
    for (const auto* event : retry) {
      const auto one_start = std::chrono::steady_clock::now();
      std::string outcome_label;
      for (int attempt = 1;; ++attempt) {
        try {
          store::EventOutcome outcome = process(*event);
          store_.complete_event(event->id, outcome);
          outcome_label = outcome.signals.empty() ? "no_signal" : "case";
          break;
        } catch (const std::exception& e) {
          if (attempt >= config_.queue.max_attempts) {
            spdlog::error("event {} failed after {} attempts: {}", event->id, attempt, e.what());
            try {
              store_.fail_event(event->id, e.what());
            } catch (const std::exception& e2) {
              spdlog::error("cannot mark event {} failed: {}", event->id, e2.what());
            }
            outcome_label = "failed";
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
        }
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - one_start).count();
      metrics_.observe("vigil_event_processing_seconds", seconds, {{"type", event->type}});
      metrics_.inc("vigil_events_processed_total", {{"type", event->type}, {"outcome", outcome_label}});
    }
  }
}

}  // namespace vigil::server
