#pragma once
// The service store interface: API tokens, the durable event queue with its outcomes, cases and
// reviewer decisions. SqliteServiceStore is the embedded implementation (its own
// migrate("service", ...) component in the same file as the banks); a PostgreSQL store will
// satisfy the same contract later.
//
// Contract:
// - enqueue_event commits before it returns: a caller that answers 2xx after it returns never
//   loses the event. A repeated idempotency key is a no-op that returns the first event.
//   Implementations may group concurrent enqueues into one commit (group commit).
// - claim_events hands out queued events (status -> processing); recover_in_flight (at start-up)
//   puts events that were processing when the process died back in the queue, so processing is
//   at least once.
// - complete_event records the outcome, its case effects and status 'done' in ONE transaction,
//   and does nothing if the event is already done: effects are applied exactly once.
// - record_reveal checks a token's exposure limit and records the reveal atomically.
// - Implementations are thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::store {

enum class TokenRole { ingest, reviewer, curator, admin, legal };
std::string_view to_string(TokenRole role);
std::optional<TokenRole> parse_token_role(std::string_view s);

struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  TokenRole role = TokenRole::ingest;
  std::string token_hash;  // lowercase hex SHA-256 of the secret; the secret itself is never stored
  std::int64_t created_at = 0;
  std::optional<std::int64_t> revoked_at;
};

enum class EventStatus { queued, processing, done, failed };
std::string_view to_string(EventStatus status);

struct EventMedia {
  int index = 0;                    // position among the event's media
  std::string role;                 // "photo", "avatar", "attachment"
  std::vector<std::uint8_t> bytes;  // kept only until processed, or for review if a case needs it
};

struct NewEvent {
  std::string idempotency_key;
  std::string type;
  std::string account_id;
  std::string occurred_at;   // as given (RFC 3339)
  std::string payload_json;  // the validated event, media replaced by references and hashes
  std::vector<EventMedia> media;
};

struct EventRecord {
  std::int64_t id = 0;
  std::string idempotency_key;
  std::string type;
  std::string account_id;
  std::string occurred_at;
  std::string payload_json;
  EventStatus status = EventStatus::queued;
  int attempts = 0;
  std::int64_t received_at = 0;     // unix milliseconds
  std::optional<std::int64_t> processed_at;
  std::optional<std::string> outcome_json;
  std::optional<std::string> error;
  std::optional<std::int64_t> case_id;
};

struct EnqueueResult {
  std::int64_t id = 0;
  bool duplicate = false;  // the key was seen before; id/status are the first event's
  EventStatus status = EventStatus::queued;
};

enum class CaseState { open, closed };
std::string_view to_string(CaseState state);
std::optional<CaseState> parse_case_state(std::string_view s);

// One signal attached to a case: a bank match, a text signal or a report.
struct CaseSignal {
  std::int64_t event_id = 0;
  std::string kind;          // "bank_match", "text", "report"
  std::string detail_json;   // what matched and why: bank, distance, threshold, categories, ...
};

// What processing an event produced; applied atomically by complete_event.
struct EventOutcome {
  std::string outcome_json;          // served by GET /v1/events/{id}
  std::vector<CaseSignal> signals;   // non-empty: open or join the account's open case
  std::string case_account_id;       // the account the case is about
  int priority = 0;                  // 1 (low) .. 3 (high); a case keeps its highest
  std::string reason;                // why the case opened, e.g. "bank_match:demo_known"
  bool keep_media = false;           // keep the event's media for review (else deleted)
};

struct CaseRecord {
  std::int64_t id = 0;
  std::string account_id;
  CaseState state = CaseState::open;
  int priority = 0;
  std::string opened_reason;
  std::int64_t opened_by_event = 0;
  std::int64_t opened_at = 0;   // unix milliseconds
  std::int64_t updated_at = 0;
  std::int64_t signal_count = 0;
};

struct CaseSignalRecord {
  std::int64_t id = 0;
  std::int64_t event_id = 0;
  std::string event_type;
  std::string kind;
  std::string detail_json;
  std::int64_t added_at = 0;
};

struct DecisionRecord {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string decision;     // e.g. "actioned", "dismissed", "escalated"
  std::string reason;
  std::string decided_by;   // the token's name
  bool closes_case = false;
  std::int64_t decided_at = 0;
};

struct CaseFilter {
  std::optional<CaseState> state;
  std::optional<int> min_priority;
  std::optional<std::int64_t> older_than_ms;   // opened_at <= now - older_than
  std::optional<std::int64_t> newer_than_ms;   // opened_at >= now - newer_than
  int limit = 50;
  std::optional<std::int64_t> before_id;       // pagination: ids below this
};

struct MediaRef {
  std::int64_t event_id = 0;
  int index = 0;
  std::string role;
  std::vector<std::uint8_t> bytes;
};

// One time a reviewer asked for the ORIGINAL (unblurred) media instead of the preview.
struct MediaReveal {
  std::int64_t id = 0;
  std::string token_name;  // who (the token's name; never the secret)
  TokenRole role = TokenRole::reviewer;
  std::int64_t case_id = 0;
  std::int64_t event_id = 0;
  int media_index = 0;
  std::int64_t revealed_at = 0;  // unix milliseconds
};

struct RevealResult {
  bool recorded = false;        // false: the token is at its limit; nothing was recorded
  std::int64_t in_window = 0;   // the token's reveals in the window, this one included if recorded
  std::optional<std::int64_t> oldest_in_window;  // unix ms of the oldest of them (for Retry-After)
  MediaReveal reveal;           // as recorded (id set) when recorded
};

class ServiceStore {
 public:
  virtual ~ServiceStore() = default;

  // Tokens.
  virtual ApiToken create_token(std::string_view name, TokenRole role, std::string_view token_hash) = 0;
  virtual std::optional<ApiToken> find_token_by_hash(std::string_view token_hash) = 0;
  virtual std::vector<ApiToken> list_tokens() = 0;
  // Returns false if no such active token.
  virtual bool revoke_token(std::string_view name) = 0;

  // Events queue.
  virtual EnqueueResult enqueue_event(const NewEvent& event) = 0;
  virtual std::vector<EventRecord> claim_events(int max_count) = 0;
  virtual void complete_event(std::int64_t event_id, const EventOutcome& outcome) = 0;
  // Several completions in one transaction (one fsync); same per-event semantics.
  virtual void complete_events(const std::vector<std::pair<std::int64_t, EventOutcome>>& outcomes) {
    for (const auto& [id, outcome] : outcomes) complete_event(id, outcome);
  }
  // Marks the event failed after a processing error (it stays out of the queue).
  virtual void fail_event(std::int64_t event_id, std::string_view error) = 0;
  virtual int recover_in_flight() = 0;
  virtual std::optional<EventRecord> find_event(std::int64_t id) = 0;
  virtual std::vector<EventMedia> event_media(std::int64_t event_id) = 0;
  virtual std::int64_t queue_depth() = 0;
  virtual std::int64_t count_outcomes(std::int64_t event_id) = 0;

  // Cases.
  virtual std::vector<CaseRecord> list_cases(const CaseFilter& filter, std::int64_t now_ms) = 0;
  virtual std::optional<CaseRecord> find_case(std::int64_t id) = 0;
  virtual std::vector<CaseSignalRecord> case_signals(std::int64_t case_id) = 0;
  virtual std::vector<DecisionRecord> case_decisions(std::int64_t case_id) = 0;
  // Throws vigil::Error if the case does not exist.
  virtual DecisionRecord add_decision(std::int64_t case_id, const DecisionRecord& decision) = 0;
  // Media of an event that belongs to the case (reviewer endpoint); nullopt if not part of it.
  virtual std::optional<MediaRef> case_media(std::int64_t case_id, std::int64_t event_id, int index) = 0;

  // Reviewer exposure limits. Records `reveal` unless its token_name already has `limit` or more
  // reveals at or after `window_start_ms`; the count and the insert are one transaction, so
  // concurrent reveals cannot pass the limit together.
  virtual RevealResult record_reveal(const MediaReveal& reveal, int limit, std::int64_t window_start_ms) = 0;
  // Every reveal of the case's media, oldest first.
  virtual std::vector<MediaReveal> case_reveals(std::int64_t case_id) = 0;
};

}  // namespace vigil::store
