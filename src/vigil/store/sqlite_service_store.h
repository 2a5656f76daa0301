#pragma once
// The embedded ServiceStore: one SQLite connection (WAL) guarded by a mutex, schema component
// "service". Opening a file whose "service" schema is newer than this build knows throws.
#include <filesystem>
#include <memory>
#include <condition_variable>
#include <exception>
#include <mutex>

#include "vigil/store/service_store.h"
#include "vigil/store/sqlite_database.h"

namespace vigil::store {

struct SqliteServiceStoreOptions {
  // "full" fsyncs every commit (an acknowledged event survives power loss); "normal" survives a
  // process crash but may lose the last commits on power loss.
  std::string synchronous = "full";
};

class SqliteServiceStore final : public ServiceStore {
 public:
  explicit SqliteServiceStore(const std::filesystem::path& path, const SqliteServiceStoreOptions& options = {});

  ApiToken create_token(std::string_view name, TokenRole role, std::string_view token_hash) override;
  std::optional<ApiToken> find_token_by_hash(std::string_view token_hash) override;
  std::vector<ApiToken> list_tokens() override;
  bool revoke_token(std::string_view name) override;

  EnqueueResult enqueue_event(const NewEvent& event) override;
  std::vector<EventRecord> claim_events(int max_count) override;
  void complete_event(std::int64_t event_id, const EventOutcome& outcome) override;
  void complete_events(const std::vector<std::pair<std::int64_t, EventOutcome>>& outcomes) override;
  void fail_event(std::int64_t event_id, std::string_view error) override;
  int recover_in_flight() override;
  std::optional<EventRecord> find_event(std::int64_t id) override;
  std::vector<EventMedia> event_media(std::int64_t event_id) override;
  std::int64_t queue_depth() override;
  std::int64_t count_outcomes(std::int64_t event_id) override;

  std::vector<CaseRecord> list_cases(const CaseFilter& filter, std::int64_t now_ms) override;
  std::optional<CaseRecord> find_case(std::int64_t id) override;
  std::vector<CaseSignalRecord> case_signals(std::int64_t case_id) override;
  std::vector<DecisionRecord> case_decisions(std::int64_t case_id) override;
  DecisionRecord add_decision(std::int64_t case_id, const DecisionRecord& decision) override;
  std::optional<MediaRef> case_media(std::int64_t case_id, std::int64_t event_id, int index) override;
  RevealResult record_reveal(const MediaReveal& reveal, int limit, std::int64_t window_start_ms) override;
  std::vector<MediaReveal> case_reveals(std::int64_t case_id) override;

 private:
  std::optional<CaseRecord> find_case_locked(std::int64_t id);
  EnqueueResult enqueue_locked(const NewEvent& event);
  void complete_locked(std::int64_t event_id, const EventOutcome& outcome);

  // Group commit: concurrent enqueue_event calls wait here; one of them (the leader) commits
  // everyone's events in one transaction.
  struct PendingEnqueue {
    const NewEvent* event = nullptr;
    EnqueueResult result;
    std::exception_ptr error;
    bool done = false;
  };
  std::mutex group_mutex_;
  std::condition_variable group_cv_;
  std::vector<PendingEnqueue*> pending_;
  bool leader_active_ = false;

  std::mutex mutex_;
  SqliteDatabase db_;
};

}  // namespace vigil::store
