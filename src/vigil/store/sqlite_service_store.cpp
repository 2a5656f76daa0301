#include "vigil/store/sqlite_service_store.h"

#include <fmt/format.h>

#include <chrono>

#include "vigil/common/error.h"

namespace vigil::store {

std::string_view to_string(TokenRole role) {
  switch (role) {
    case TokenRole::ingest: return "ingest";
    case TokenRole::reviewer: return "reviewer";
    case TokenRole::curator: return "curator";
    case TokenRole::admin: return "admin";
    case TokenRole::legal: return "legal";
  }
  return "unknown";
}

std::optional<TokenRole> parse_token_role(std::string_view s) {
  if (s == "ingest") return TokenRole::ingest;
  if (s == "reviewer") return TokenRole::reviewer;
  if (s == "curator") return TokenRole::curator;
  if (s == "admin") return TokenRole::admin;
  if (s == "legal") return TokenRole::legal;
  return std::nullopt;
}

std::string_view to_string(EventStatus status) {
  switch (status) {
    case EventStatus::queued: return "queued";
    case EventStatus::processing: return "processing";
    case EventStatus::done: return "done";
    case EventStatus::failed: return "failed";
  }
  return "unknown";
}

static EventStatus parse_event_status(std::string_view s) {
  if (s == "processing") return EventStatus::processing;
  if (s == "done") return EventStatus::done;
  if (s == "failed") return EventStatus::failed;
  return EventStatus::queued;
}

std::string_view to_string(CaseState state) { return state == CaseState::open ? "open" : "closed"; }

std::optional<CaseState> parse_case_state(std::string_view s) {
  if (s == "open") return CaseState::open;
  if (s == "closed") return CaseState::closed;
  return std::nullopt;
}

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::vector<Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE service_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE UNIQUE INDEX service_tokens_active_name ON service_tokens(name) WHERE revoked_at IS NULL;

CREATE TABLE service_events (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  account_id TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  received_at INTEGER NOT NULL,
  processed_at INTEGER,
  error TEXT
);
CREATE INDEX service_events_queue ON service_events(status, id);

CREATE TABLE service_event_media (
  event_id INTEGER NOT NULL REFERENCES service_events(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  role TEXT NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (event_id, idx)
);

CREATE TABLE service_cases (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  opened_reason TEXT NOT NULL,
  opened_by_event INTEGER NOT NULL,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX service_cases_open_account ON service_cases(account_id) WHERE state = 'open';
CREATE INDEX service_cases_state ON service_cases(state, priority, opened_at);

CREATE TABLE service_outcomes (
  event_id INTEGER PRIMARY KEY REFERENCES service_events(id),
  outcome TEXT NOT NULL,
  case_id INTEGER REFERENCES service_cases(id),
  created_at INTEGER NOT NULL
);

CREATE TABLE service_case_signals (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES service_cases(id),
  event_id INTEGER NOT NULL REFERENCES service_events(id),
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  added_at INTEGER NOT NULL
);
CREATE INDEX service_case_signals_case ON service_case_signals(case_id);

CREATE TABLE service_decisions (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES service_cases(id),
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  closes_case INTEGER NOT NULL,
  decided_at INTEGER NOT NULL
);
)sql"},
    // Every reveal of original (unblurred) media to a reviewer: who, when, which media. Also the
    // source of the per-token exposure limit (reveals in the last 24 h).
    {2, R"sql(
CREATE TABLE service_media_reveals (
  id INTEGER PRIMARY KEY,
  token_name TEXT NOT NULL,
  role TEXT NOT NULL,
  case_id INTEGER NOT NULL REFERENCES service_cases(id),
  event_id INTEGER NOT NULL REFERENCES service_events(id),
  media_index INTEGER NOT NULL,
  revealed_at INTEGER NOT NULL
);
CREATE INDEX service_media_reveals_token ON service_media_reveals(token_name, revealed_at);
CREATE INDEX service_media_reveals_case ON service_media_reveals(case_id, id);
)sql"},
};

ApiToken read_token(SqliteStatement& st) {
  ApiToken t;
  t.id = st.column_int(0);
  t.name = st.column_text(1);
  t.role = parse_token_role(st.column_text(2)).value_or(TokenRole::ingest);
  t.token_hash = st.column_text(3);
  t.created_at = st.column_int(4);
  t.revoked_at = st.column_optional_int(5);
  return t;
}

constexpr const char* kEventColumns =
    "e.id, e.idempotency_key, e.type, e.account_id, e.occurred_at, e.payload, e.status, e.attempts, "
    "e.received_at, e.processed_at, o.outcome, e.error, o.case_id";

EventRecord read_event(SqliteStatement& st) {
  EventRecord e;
  e.id = st.column_int(0);
  e.idempotency_key = st.column_text(1);
  e.type = st.column_text(2);
  e.account_id = st.column_text(3);
  e.occurred_at = st.column_text(4);
  e.payload_json = st.column_text(5);
  e.status = parse_event_status(st.column_text(6));
  e.attempts = static_cast<int>(st.column_int(7));
  e.received_at = st.column_int(8);
  e.processed_at = st.column_optional_int(9);
  e.outcome_json = st.column_optional_text(10);
  e.error = st.column_optional_text(11);
  e.case_id = st.column_optional_int(12);
  return e;
}

constexpr const char* kCaseColumns =
    "c.id, c.account_id, c.state, c.priority, c.opened_reason, c.opened_by_event, c.opened_at, c.updated_at, "
    "(SELECT COUNT(*) FROM service_case_signals s WHERE s.case_id = c.id)";

CaseRecord read_case(SqliteStatement& st) {
  CaseRecord c;
  c.id = st.column_int(0);
  c.account_id = st.column_text(1);
  c.state = parse_case_state(st.column_text(2)).value_or(CaseState::open);
  c.priority = static_cast<int>(st.column_int(3));
  c.opened_reason = st.column_text(4);
  c.opened_by_event = st.column_int(5);
  c.opened_at = st.column_int(6);
  c.updated_at = st.column_int(7);
  c.signal_count = st.column_int(8);
  return c;
}

}  // namespace

SqliteServiceStore::SqliteServiceStore(const std::filesystem::path& path, const SqliteServiceStoreOptions& options)
    : db_(path) {
  if (options.synchronous == "full") {
    db_.exec("PRAGMA synchronous=FULL");
  } else if (options.synchronous == "normal") {
    db_.exec("PRAGMA synchronous=NORMAL");
  } else {
    throw Error(fmt::format("store synchronous mode must be \"full\" or \"normal\", not \"{}\"", options.synchronous));
  }
  db_.migrate("service", kMigrations);
}

ApiToken SqliteServiceStore::create_token(std::string_view name, TokenRole role, std::string_view token_hash) {
  if (name.empty() || name.size() > 100) throw Error("token name must be 1..100 characters");
  std::lock_guard lock(mutex_);
  ApiToken token;
  db_.transaction([&] {
    auto exists = db_.prepare("SELECT 1 FROM service_tokens WHERE name = ? AND revoked_at IS NULL");
    exists.bind(1, name);
    if (exists.step()) throw Error(fmt::format("an active token named '{}' already exists", name));
    token.name = std::string(name);
    token.role = role;
    token.token_hash = std::string(token_hash);
    token.created_at = now_ms() / 1000;
    db_.prepare("INSERT INTO service_tokens(name, role, token_hash, created_at) VALUES(?, ?, ?, ?)")
        .bind(1, name)
        .bind(2, to_string(role))
        .bind(3, token_hash)
        .bind(4, token.created_at)
        .run();
    token.id = db_.last_insert_rowid();
  });
  return token;
}

std::optional<ApiToken> SqliteServiceStore::find_token_by_hash(std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare(
      "SELECT id, name, role, token_hash, created_at, revoked_at FROM service_tokens WHERE token_hash = ?");
  st.bind(1, token_hash);
  if (!st.step()) return std::nullopt;
  return read_token(st);
}

std::vector<ApiToken> SqliteServiceStore::list_tokens() {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare("SELECT id, name, role, token_hash, created_at, revoked_at FROM service_tokens ORDER BY id");
  std::vector<ApiToken> out;
  while (st.step()) out.push_back(read_token(st));
  return out;
}

bool SqliteServiceStore::revoke_token(std::string_view name) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE service_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
      .bind(1, now_ms() / 1000)
      .bind(2, name)
      .run();
  return db_.changes() > 0;
}

EnqueueResult SqliteServiceStore::enqueue_event(const NewEvent& event) {
  PendingEnqueue me;
  me.event = &event;
  std::unique_lock group(group_mutex_);
  pending_.push_back(&me);
  while (!me.done) {
    if (leader_active_) {
      group_cv_.wait(group);
      continue;
    }
    leader_active_ = true;
    std::vector<PendingEnqueue*> batch;
    batch.swap(pending_);
    group.unlock();
    {
      std::lock_guard lock(mutex_);
      try {
        db_.transaction([&] {
          for (auto* p : batch) p->result = enqueue_locked(*p->event);
        });
      } catch (...) {
        // One bad event must not sink the others: commit them one by one.
        for (auto* p : batch) {
          try {
            db_.transaction([&] { p->result = enqueue_locked(*p->event); });
          } catch (...) {
            p->error = std::current_exception();
          }
        }
      }
    }
    group.lock();
    for (auto* p : batch) p->done = true;
    leader_active_ = false;
    group_cv_.notify_all();
  }
  if (me.error) std::rethrow_exception(me.error);
  return me.result;
}

EnqueueResult SqliteServiceStore::enqueue_locked(const NewEvent& event) {
  EnqueueResult result;
  db_.transaction([&] {
    auto existing = db_.prepare("SELECT id, status FROM service_events WHERE idempotency_key = ?");
    existing.bind(1, event.idempotency_key);
    if (existing.step()) {
      result.id = existing.column_int(0);
      result.status = parse_event_status(existing.column_text(1));
      result.duplicate = true;
      return;
    }
    db_.prepare(
           "INSERT INTO service_events(idempotency_key, type, account_id, occurred_at, payload, status, received_at) "
           "VALUES(?, ?, ?, ?, ?, 'queued', ?)")
        .bind(1, event.idempotency_key)
        .bind(2, event.type)
        .bind(3, event.account_id)
        .bind(4, event.occurred_at)
        .bind(5, event.payload_json)
        .bind(6, now_ms())
        .run();
    result.id = db_.last_insert_rowid();
    for (const auto& m : event.media) {
      db_.prepare("INSERT INTO service_event_media(event_id, idx, role, bytes) VALUES(?, ?, ?, ?)")
          .bind(1, result.id)
          .bind(2, m.index)
          .bind(3, m.role)
          .bind_blob(4, m.bytes.data(), m.bytes.size())
          .run();
    }
  });
  return result;
}

std::vector<EventRecord> SqliteServiceStore::claim_events(int max_count) {
  std::lock_guard lock(mutex_);
  std::vector<EventRecord> out;
  db_.transaction([&] {
    auto st = db_.prepare(fmt::format(
        "SELECT {} FROM service_events e LEFT JOIN service_outcomes o ON o.event_id = e.id "
        "WHERE e.status = 'queued' ORDER BY e.id LIMIT ?",
        kEventColumns));
    st.bind(1, max_count);
    while (st.step()) out.push_back(read_event(st));
    for (auto& e : out) {
      db_.prepare("UPDATE service_events SET status = 'processing', attempts = attempts + 1 WHERE id = ?")
          .bind(1, e.id)
          .run();
      e.status = EventStatus::processing;
      ++e.attempts;
    }
  });
  return out;
}

void SqliteServiceStore::complete_event(std::int64_t event_id, const EventOutcome& outcome) {
  std::lock_guard lock(mutex_);
  complete_locked(event_id, outcome);
}

void SqliteServiceStore::complete_events(const std::vector<std::pair<std::int64_t, EventOutcome>>& outcomes) {
  std::lock_guard lock(mutex_);
  db_.transaction([&] {
    for (const auto& [id, outcome] : outcomes) complete_locked(id, outcome);
  });
}

void SqliteServiceStore::complete_locked(std::int64_t event_id, const EventOutcome& outcome) {
  db_.transaction([&] {
    auto done = db_.prepare("SELECT 1 FROM service_outcomes WHERE event_id = ?");
    done.bind(1, event_id);
    if (done.step()) return;  // already applied: at-least-once delivery, exactly-once effects
    const std::int64_t now = now_ms();
    std::optional<std::int64_t> case_id;
    if (!outcome.signals.empty()) {
      auto open = db_.prepare("SELECT id, priority FROM service_cases WHERE account_id = ? AND state = 'open'");
      open.bind(1, outcome.case_account_id);
      if (open.step()) {
        case_id = open.column_int(0);
        const int priority = std::max(static_cast<int>(open.column_int(1)), outcome.priority);
        db_.prepare("UPDATE service_cases SET priority = ?, updated_at = ? WHERE id = ?")
            .bind(1, priority)
            .bind(2, now)
            .bind(3, *case_id)
            .run();
      } else {
        db_.prepare(
               "INSERT INTO service_cases(account_id, state, priority, opened_reason, opened_by_event, opened_at, "
               "updated_at) VALUES(?, 'open', ?, ?, ?, ?, ?)")
            .bind(1, outcome.case_account_id)
            .bind(2, outcome.priority)
            .bind(3, outcome.reason)
            .bind(4, event_id)
            .bind(5, now)
            .bind(6, now)
            .run();
        case_id = db_.last_insert_rowid();
      }
      for (const auto& s : outcome.signals) {
        db_.prepare(
               "INSERT INTO service_case_signals(case_id, event_id, kind, detail, added_at) VALUES(?, ?, ?, ?, ?)")
            .bind(1, *case_id)
            .bind(2, event_id)
            .bind(3, s.kind)
            .bind(4, s.detail_json)
            .bind(5, now)
            .run();
      }
    }
    db_.prepare("INSERT INTO service_outcomes(event_id, outcome, case_id, created_at) VALUES(?, ?, ?, ?)")
        .bind(1, event_id)
        .bind(2, outcome.outcome_json)
        .bind(3, case_id)
        .bind(4, now)
        .run();
    db_.prepare("UPDATE service_events SET status = 'done', processed_at = ?, error = NULL WHERE id = ?")
        .bind(1, now)
        .bind(2, event_id)
        .run();
    if (!outcome.keep_media || !case_id) {
      db_.prepare("DELETE FROM service_event_media WHERE event_id = ?").bind(1, event_id).run();
    }
  });
}

void SqliteServiceStore::fail_event(std::int64_t event_id, std::string_view error) {
  std::lock_guard lock(mutex_);
  db_.transaction([&] {
    db_.prepare("UPDATE service_events SET status = 'failed', processed_at = ?, error = ? WHERE id = ? AND status != 'done'")
        .bind(1, now_ms())
        .bind(2, error)
        .bind(3, event_id)
        .run();
    db_.prepare("DELETE FROM service_event_media WHERE event_id = ?").bind(1, event_id).run();
  });
}

int SqliteServiceStore::recover_in_flight() {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE service_events SET status = 'queued' WHERE status = 'processing'").run();
  return db_.changes();
}

std::optional<EventRecord> SqliteServiceStore::find_event(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare(fmt::format(
      "SELECT {} FROM service_events e LEFT JOIN service_outcomes o ON o.event_id = e.id WHERE e.id = ?",
      kEventColumns));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_event(st);
}

std::vector<EventMedia> SqliteServiceStore::event_media(std::int64_t event_id) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare("SELECT idx, role, bytes FROM service_event_media WHERE event_id = ? ORDER BY idx");
  st.bind(1, event_id);
  std::vector<EventMedia> out;
  while (st.step()) {
    EventMedia m;
    m.index = static_cast<int>(st.column_int(0));
    m.role = st.column_text(1);
    m.bytes = st.column_blob(2);
    out.push_back(std::move(m));
  }
  return out;
}

std::int64_t SqliteServiceStore::queue_depth() {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare("SELECT COUNT(*) FROM service_events WHERE status IN ('queued', 'processing')");
  st.step();
  return st.column_int(0);
}

std::int64_t SqliteServiceStore::count_outcomes(std::int64_t event_id) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare("SELECT COUNT(*) FROM service_outcomes WHERE event_id = ?");
  st.bind(1, event_id);
  st.step();
  return st.column_int(0);
}

std::vector<CaseRecord> SqliteServiceStore::list_cases(const CaseFilter& filter, std::int64_t now) {
  std::lock_guard lock(mutex_);
  std::string sql = fmt::format("SELECT {} FROM service_cases c WHERE 1 = 1", kCaseColumns);
  if (filter.state) sql += " AND c.state = ?1";
  if (filter.min_priority) sql += " AND c.priority >= ?2";
  if (filter.older_than_ms) sql += " AND c.opened_at <= ?3";
  if (filter.newer_than_ms) sql += " AND c.opened_at >= ?4";
  if (filter.before_id) sql += " AND c.id < ?5";
  sql += " ORDER BY c.priority DESC, c.id DESC LIMIT ?6";
  auto st = db_.prepare(sql);
  if (filter.state) st.bind(1, to_string(*filter.state));
  if (filter.min_priority) st.bind(2, *filter.min_priority);
  if (filter.older_than_ms) st.bind(3, now - *filter.older_than_ms);
  if (filter.newer_than_ms) st.bind(4, now - *filter.newer_than_ms);
  if (filter.before_id) st.bind(5, *filter.before_id);
  st.bind(6, filter.limit);
  std::vector<CaseRecord> out;
  while (st.step()) out.push_back(read_case(st));
  return out;
}

std::optional<CaseRecord> SqliteServiceStore::find_case_locked(std::int64_t id) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM service_cases c WHERE c.id = ?", kCaseColumns));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_case(st);
}

std::optional<CaseRecord> SqliteServiceStore::find_case(std::int64_t id) {
  std::lock_guard lock(mutex_);
  return find_case_locked(id);
}

std::vector<CaseSignalRecord> SqliteServiceStore::case_signals(std::int64_t case_id) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare(
      "SELECT s.id, s.event_id, e.type, s.kind, s.detail, s.added_at FROM service_case_signals s "
      "JOIN service_events e ON e.id = s.event_id WHERE s.case_id = ? ORDER BY s.id");
  st.bind(1, case_id);
  std::vector<CaseSignalRecord> out;
  while (st.step()) {
    CaseSignalRecord r;
    r.id = st.column_int(0);
    r.event_id = st.column_int(1);
    r.event_type = st.column_text(2);
    r.kind = st.column_text(3);
    r.detail_json = st.column_text(4);
    r.added_at = st.column_int(5);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<DecisionRecord> SqliteServiceStore::case_decisions(std::int64_t case_id) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare(
      "SELECT id, case_id, decision, reason, decided_by, closes_case, decided_at FROM service_decisions "
      "WHERE case_id = ? ORDER BY id");
  st.bind(1, case_id);
  std::vector<DecisionRecord> out;
  while (st.step()) {
    DecisionRecord d;
    d.id = st.column_int(0);
    d.case_id = st.column_int(1);
    d.decision = st.column_text(2);
    d.reason = st.column_text(3);
    d.decided_by = st.column_text(4);
    d.closes_case = st.column_int(5) != 0;
    d.decided_at = st.column_int(6);
    out.push_back(std::move(d));
  }
  return out;
}

DecisionRecord SqliteServiceStore::add_decision(std::int64_t case_id, const DecisionRecord& decision) {
  std::lock_guard lock(mutex_);
  DecisionRecord out = decision;
  db_.transaction([&] {
    auto c = find_case_locked(case_id);
    if (!c) throw Error(fmt::format("case {} not found", case_id));
    out.case_id = case_id;
    out.decided_at = now_ms();
    db_.prepare(
           "INSERT INTO service_decisions(case_id, decision, reason, decided_by, closes_case, decided_at) "
           "VALUES(?, ?, ?, ?, ?, ?)")
        .bind(1, case_id)
        .bind(2, decision.decision)
        .bind(3, decision.reason)
        .bind(4, decision.decided_by)
        .bind(5, decision.closes_case ? 1 : 0)
        .bind(6, out.decided_at)
        .run();
    out.id = db_.last_insert_rowid();
    if (decision.closes_case) {
      db_.prepare("UPDATE service_cases SET state = 'closed', updated_at = ? WHERE id = ?")
          .bind(1, out.decided_at)
          .bind(2, case_id)
          .run();
    } else {
      db_.prepare("UPDATE service_cases SET updated_at = ? WHERE id = ?").bind(1, out.decided_at).bind(2, case_id).run();
    }
  });
  return out;
}

std::optional<MediaRef> SqliteServiceStore::case_media(std::int64_t case_id, std::int64_t event_id, int index) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare(
      "SELECT m.role, m.bytes FROM service_event_media m WHERE m.event_id = ?1 AND m.idx = ?2 AND EXISTS "
      "(SELECT 1 FROM service_case_signals s WHERE s.case_id = ?3 AND s.event_id = ?1)");
  st.bind(1, event_id).bind(2, index).bind(3, case_id);
  if (!st.step()) return std::nullopt;
  MediaRef ref;
  ref.event_id = event_id;
  ref.index = index;
  ref.role = st.column_text(0);
  ref.bytes = st.column_blob(1);
  return ref;
}

RevealResult SqliteServiceStore::record_reveal(const MediaReveal& reveal, int limit, std::int64_t window_start_ms) {
  if (reveal.token_name.empty()) throw Error("a media reveal needs the token's name");
  std::lock_guard lock(mutex_);
  RevealResult result;
  db_.transaction([&] {
    auto count = db_.prepare(
        "SELECT COUNT(*), MIN(revealed_at) FROM service_media_reveals WHERE token_name = ? AND revealed_at >= ?");
    count.bind(1, reveal.token_name).bind(2, window_start_ms);
    count.step();
    result.in_window = count.column_int(0);
    result.oldest_in_window = count.column_optional_int(1);
    if (result.in_window >= limit) return;
    db_.prepare(
           "INSERT INTO service_media_reveals(token_name, role, case_id, event_id, media_index, revealed_at) "
           "VALUES(?, ?, ?, ?, ?, ?)")
        .bind(1, reveal.token_name)
        .bind(2, to_string(reveal.role))
        .bind(3, reveal.case_id)
        .bind(4, reveal.event_id)
        .bind(5, reveal.media_index)
        .bind(6, reveal.revealed_at)
        .run();
    result.recorded = true;
    result.reveal = reveal;
    result.reveal.id = db_.last_insert_rowid();
    ++result.in_window;
    if (!result.oldest_in_window || reveal.revealed_at < *result.oldest_in_window) {
      result.oldest_in_window = reveal.revealed_at;
    }
  });
  return result;
}

std::vector<MediaReveal> SqliteServiceStore::case_reveals(std::int64_t case_id) {
  std::lock_guard lock(mutex_);
  auto st = db_.prepare(
      "SELECT id, token_name, role, case_id, event_id, media_index, revealed_at FROM service_media_reveals "
      "WHERE case_id = ? ORDER BY revealed_at, id");
  st.bind(1, case_id);
  std::vector<MediaReveal> out;
  while (st.step()) {
    MediaReveal r;
    r.id = st.column_int(0);
    r.token_name = st.column_text(1);
    r.role = parse_token_role(st.column_text(2)).value_or(TokenRole::reviewer);
    r.case_id = st.column_int(3);
    r.event_id = st.column_int(4);
    r.media_index = static_cast<int>(st.column_int(5));
    r.revealed_at = st.column_int(6);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vigil::store
