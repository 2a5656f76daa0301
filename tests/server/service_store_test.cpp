#include <gtest/gtest.h>

#include <filesystem>

#include "service_fixture.h"
#include "vigil/common/error.h"
#include "vigil/store/sqlite_service_store.h"

namespace {

using namespace vigil::store;
using vigil::server::testing::make_temp_dir;

class ServiceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("svcstore"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path db() const { return dir_ / "vigil.db"; }
  std::filesystem::path dir_;
};

NewEvent make_event(const std::string& key, const std::string& account = "acct") {
  NewEvent e;
  e.idempotency_key = key;
  e.type = "message.reported";
  e.account_id = account;
  e.occurred_at = "2026-11-26T12:00:00Z";
  e.payload_json = "{}";
  return e;
}

EventOutcome case_outcome(const std::string& account, int priority) {
  EventOutcome o;
  o.outcome_json = "{}";
  o.case_account_id = account;
  o.priority = priority;
  o.reason = "report";
  o.signals.push_back({0, "report", R"({"why":"test"})"});
  return o;
}

TEST_F(ServiceStoreTest, TokensAreFoundByHashAndRevocable) {
  SqliteServiceStore st(db());
  st.create_token("ingest-1", TokenRole::ingest, "aa");
  EXPECT_THROW(st.create_token("ingest-1", TokenRole::ingest, "bb"), vigil::Error);  // active name taken
  auto t = st.find_token_by_hash("aa");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name, "ingest-1");
  EXPECT_EQ(t->role, TokenRole::ingest);
  EXPECT_FALSE(t->revoked_at);
  EXPECT_FALSE(st.find_token_by_hash("cc"));
  EXPECT_TRUE(st.revoke_token("ingest-1"));
  EXPECT_FALSE(st.revoke_token("ingest-1"));
  EXPECT_TRUE(st.find_token_by_hash("aa")->revoked_at);
  st.create_token("ingest-1", TokenRole::reviewer, "bb");  // the name is free again
  EXPECT_EQ(st.list_tokens().size(), 2u);
}

TEST_F(ServiceStoreTest, RepeatedIdempotencyKeyReturnsTheFirstEvent) {
  SqliteServiceStore st(db());
  auto a = st.enqueue_event(make_event("k1"));
  auto b = st.enqueue_event(make_event("k1", "someone-else"));
  EXPECT_FALSE(a.duplicate);
  EXPECT_TRUE(b.duplicate);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(st.find_event(a.id)->account_id, "acct");
  EXPECT_EQ(st.queue_depth(), 1);
}

TEST_F(ServiceStoreTest, CompletingTwiceAppliesEffectsOnce) {
  SqliteServiceStore st(db());
  auto a = st.enqueue_event(make_event("k1"));
  auto claimed = st.claim_events(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].status, EventStatus::processing);
  EXPECT_TRUE(st.claim_events(10).empty());
  st.complete_event(a.id, case_outcome("acct", 1));
  st.complete_event(a.id, case_outcome("acct", 1));  // a re-delivery
  EXPECT_EQ(st.count_outcomes(a.id), 1);
  auto e = st.find_event(a.id);
  EXPECT_EQ(e->status, EventStatus::done);
  ASSERT_TRUE(e->case_id);
  EXPECT_EQ(st.case_signals(*e->case_id).size(), 1u);
  EXPECT_EQ(st.queue_depth(), 0);
}

TEST_F(ServiceStoreTest, InFlightEventsAreRequeuedAfterACrash) {
  {
    SqliteServiceStore st(db());
    st.enqueue_event(make_event("k1"));
    st.enqueue_event(make_event("k2"));
    ASSERT_EQ(st.claim_events(1).size(), 1u);
  }  // "crash": the claimed event never completes
  SqliteServiceStore st(db());
  EXPECT_EQ(st.recover_in_flight(), 1);
  auto all = st.claim_events(10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].idempotency_key, "k1");
  EXPECT_EQ(all[0].attempts, 2);
}

TEST_F(ServiceStoreTest, SignalsJoinTheOpenCaseOfTheAccountAndADecisionClosesIt) {
  SqliteServiceStore st(db());
  auto a = st.enqueue_event(make_event("k1"));
  auto b = st.enqueue_event(make_event("k2"));
  auto c = st.enqueue_event(make_event("k3", "other"));
  st.claim_events(10);
  st.complete_event(a.id, case_outcome("acct", 1));
  st.complete_event(b.id, case_outcome("acct", 3));
  st.complete_event(c.id, case_outcome("other", 2));
  CaseFilter open_only;
  open_only.state = CaseState::open;
  auto open = st.list_cases(open_only, 0);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].account_id, "acct");  // highest priority first
  EXPECT_EQ(open[0].priority, 3);
  EXPECT_EQ(open[0].signal_count, 2);
  EXPECT_EQ(open[0].opened_by_event, a.id);
  CaseFilter high;
  high.min_priority = 3;
  EXPECT_EQ(st.list_cases(high, 0).size(), 1u);

  DecisionRecord d;
  d.decision = "dismissed";
  d.reason = "benign sample";
  d.decided_by = "reviewer-1";
  d.closes_case = true;
  st.add_decision(open[0].id, d);
  EXPECT_EQ(st.find_case(open[0].id)->state, CaseState::closed);
  EXPECT_EQ(st.case_decisions(open[0].id).at(0).reason, "benign sample");
  EXPECT_THROW(st.add_decision(9999, d), vigil::Error);

  // A new signal for the account opens a new case: the closed one stays closed.
  auto e = st.enqueue_event(make_event("k4"));
  st.claim_events(10);
  st.complete_event(e.id, case_outcome("acct", 1));
  EXPECT_NE(*st.find_event(e.id)->case_id, open[0].id);
}

TEST_F(ServiceStoreTest, MediaIsKeptOnlyForEventsInACase) {
  SqliteServiceStore st(db());
  NewEvent with_media = make_event("k1");
  with_media.media.push_back({0, "profile_photo", {1, 2, 3}});
  NewEvent no_case = make_event("k2");
  no_case.media.push_back({0, "profile_photo", {4, 5}});
  auto a = st.enqueue_event(with_media);
  auto b = st.enqueue_event(no_case);
  st.claim_events(10);
  auto keep = case_outcome("acct", 3);
  keep.keep_media = true;
  st.complete_event(a.id, keep);
  EventOutcome none;
  none.outcome_json = "{}";
  none.keep_media = true;
  st.complete_event(b.id, none);
  const auto case_id = *st.find_event(a.id)->case_id;
  auto m = st.case_media(case_id, a.id, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->bytes, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_FALSE(st.case_media(case_id, b.id, 0));  // not part of the case
  EXPECT_TRUE(st.event_media(b.id).empty());      // deleted after processing
}

TEST_F(ServiceStoreTest, RefusesANewerServiceSchema) {
  { SqliteServiceStore st(db()); }
  {
    SqliteDatabase raw(db());
    raw.exec("UPDATE schema_versions SET version = 99 WHERE component = 'service'");
  }
  EXPECT_THROW(SqliteServiceStore st(db()), vigil::Error);
}

TEST_F(ServiceStoreTest, RevealsAreRecordedAndLimitedPerTokenOverTheWindow) {
  SqliteServiceStore st(db());
  auto a = st.enqueue_event(make_event("k1"));
  st.claim_events(10);
  st.complete_event(a.id, case_outcome("acct", 3));
  const auto case_id = *st.find_event(a.id)->case_id;
  constexpr std::int64_t kDay = 24 * 3600 * 1000;
  const std::int64_t now = 10 * kDay;

  MediaReveal r;
  r.token_name = "alice";
  r.role = TokenRole::reviewer;
  r.case_id = case_id;
  r.event_id = a.id;
  r.media_index = 0;
  // One reveal from two days ago is outside the window and does not count.
  r.revealed_at = now - 2 * kDay;
  ASSERT_TRUE(st.record_reveal(r, 2, r.revealed_at - kDay).recorded);
  r.revealed_at = now - 1000;
  RevealResult first = st.record_reveal(r, 2, now - kDay);
  EXPECT_TRUE(first.recorded);
  EXPECT_EQ(first.in_window, 1);
  EXPECT_GT(first.reveal.id, 0);
  r.revealed_at = now;
  RevealResult second = st.record_reveal(r, 2, now - kDay);
  EXPECT_TRUE(second.recorded);
  EXPECT_EQ(second.in_window, 2);
  EXPECT_EQ(second.oldest_in_window, now - 1000);
  RevealResult third = st.record_reveal(r, 2, now - kDay);
  EXPECT_FALSE(third.recorded);  // at the limit: refused, nothing recorded
  EXPECT_EQ(third.in_window, 2);
  // Another token has its own count.
  r.token_name = "bob";
  r.role = TokenRole::admin;
  EXPECT_TRUE(st.record_reveal(r, 2, now - kDay).recorded);

  const auto reveals = st.case_reveals(case_id);
  ASSERT_EQ(reveals.size(), 4u);
  EXPECT_EQ(reveals[0].token_name, "alice");
  EXPECT_EQ(reveals[0].revealed_at, now - 2 * kDay);
  EXPECT_EQ(reveals[3].token_name, "bob");
  EXPECT_EQ(reveals[3].role, TokenRole::admin);
  EXPECT_EQ(reveals[3].event_id, a.id);
  EXPECT_EQ(reveals[3].media_index, 0);
  EXPECT_TRUE(st.case_reveals(case_id + 1).empty());
  r.token_name.clear();
  EXPECT_THROW(st.record_reveal(r, 2, 0), vigil::Error);
}

TEST_F(ServiceStoreTest, AVersionOneStoreGainsTheRevealsTable) {
  std::int64_t event_id = 0;
  {
    SqliteServiceStore st(db());
    event_id = st.enqueue_event(make_event("k1")).id;
  }
  {
    // Back to the schema of the first release: no reveals table, version 1.
    SqliteDatabase raw(db());
    raw.exec("DROP TABLE service_media_reveals");
    raw.exec("UPDATE schema_versions SET version = 1 WHERE component = 'service'");
  }
  SqliteServiceStore st(db());
  EXPECT_TRUE(st.find_event(event_id));  // existing data kept
  st.claim_events(10);
  st.complete_event(event_id, case_outcome("acct", 1));
  const auto case_id = *st.find_event(event_id)->case_id;
  MediaReveal r;
  r.token_name = "alice";
  r.case_id = case_id;
  r.event_id = event_id;
  r.revealed_at = 5;
  EXPECT_TRUE(st.record_reveal(r, 1, 0).recorded);
  EXPECT_EQ(st.case_reveals(case_id).size(), 1u);
  SqliteDatabase raw(db());
  auto v = raw.prepare("SELECT version FROM schema_versions WHERE component = 'service'");
  ASSERT_TRUE(v.step());
  EXPECT_EQ(v.column_int(0), 2);
}

}  // namespace
