// The /v1 events and cases API, authentication, bad input and the operations endpoints, against
// an in-process service on 127.0.0.1.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "service_fixture.h"

namespace {

using namespace vigil::server::testing;
using vigil::store::TokenRole;

class ServiceApiTest : public ::testing::Test {
 protected:
  ServiceFixture svc;

  // Creates a bank (HMA API) holding the hashes of one benign sample image.
  void bank_image(const std::string& bank, const std::string& image, bool allow = false) {
    if (allow) {
      // Allow banks are made through the bank store (HMA has no such concept).
      vigil::store::SqliteDatabase db(svc.dir() / "vigil.db");
      vigil::store::SqliteBankStore banks(db);
      vigil::store::Bank spec;
      spec.name = bank;
      spec.kind = vigil::store::BankKind::allow;
      banks.create_bank(spec);
    } else {
      auto created = svc.post_json("/c/banks", {{"name", bank}}, TokenRole::curator);
      ASSERT_TRUE(created);
      ASSERT_EQ(created->status, 201) << created->body;
    }
    httplib::MultipartFormDataItems items = {{"photo", read_file(sample_image(image)), image, "image/jpeg"}};
    auto r = svc.client().Post("/c/bank/" + bank + "/content", svc.auth(TokenRole::curator), items);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    svc.service().refresh_index();
  }

  json post_event(const json& e, int expect_status = 202) {
    auto r = svc.post_json("/v1/events", e, TokenRole::ingest);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, expect_status) << r->body;
    return json::parse(r->body);
  }

  json photo_event(const std::string& key, const std::string& account, const std::string& image) {
    json e = event(key, "profile_photo.set", account);
    e["media"] = {{"base64", base64(read_file(sample_image(image)))}};
    return e;
  }
};

TEST_F(ServiceApiTest, MissingBadAndRevokedTokensAre401WrongRoleIs403) {
  auto r = svc.client().Post("/v1/events", event("k", "account.name_changed", "a").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"], "unauthenticated");

  r = svc.client().Get("/v1/cases", {{"Authorization", "Bearer vgl_not-a-real-token"}});
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["message"], "unknown token");

  r = svc.client().Get("/v1/cases", {{"Authorization", "Basic abc"}});
  EXPECT_EQ(r->status, 401);

  r = svc.get("/v1/cases", TokenRole::ingest);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json::parse(r->body)["error"], "forbidden");
  EXPECT_NE(json::parse(r->body)["message"].get<std::string>().find("needs: reviewer"), std::string::npos);

  r = svc.post_json("/v1/events", event("k", "account.name_changed", "a"), TokenRole::reviewer);
  EXPECT_EQ(r->status, 403);
  r = svc.post_json("/c/banks", {{"name", "X"}}, TokenRole::ingest);
  EXPECT_EQ(r->status, 403);
  r = svc.get("/v1/cases", TokenRole::admin);  // admin may call everything
  EXPECT_EQ(r->status, 200);

  // Revocation: a fresh token works, then stops working once revoked (after the auth cache TTL).
  const std::string token = vigil::server::generate_token();
  svc.service().service_store().create_token("temp", TokenRole::reviewer, vigil::server::hash_token(token));
  r = svc.client().Get("/v1/cases", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r->status, 200);
  svc.service().service_store().revoke_token("temp");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  r = svc.client().Get("/v1/cases", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["message"], "token revoked");
}

TEST_F(ServiceApiTest, EventsAreAcceptedOnceAndProcessed) {
  json e = event("name-1", "account.name_changed", "acct-1");
  e["username"] = "river_walker";
  json first = post_event(e);
  EXPECT_EQ(first["status"], "queued");
  const auto id = first["id"].get<std::int64_t>();
  json again = post_event(e);
  EXPECT_EQ(again["id"], id);
  EXPECT_EQ(again["duplicate"], true);
  json done = svc.wait_event(id);
  EXPECT_EQ(done["status"], "done");
  EXPECT_EQ(done["outcome"]["text"][0]["field"], "username");
  EXPECT_EQ(done["outcome"]["text"][0]["flagged"], false);
  EXPECT_FALSE(done.contains("case_id"));
  EXPECT_EQ(svc.service().service_store().count_outcomes(id), 1);

  // A batch answers one result per event, in order, and rejects bad items individually.
  json meta = event("meta-1", "account.metadata", "acct-2");
  meta["device_type"] = "android";
  meta["counters"] = {{"groups_joined", 3}};
  json bad = event("bad-1", "no.such_type", "acct-2");
  auto r = svc.post_json("/v1/events", json::array({meta, bad, e}), TokenRole::ingest);
  ASSERT_EQ(r->status, 202) << r->body;
  json results = json::parse(r->body)["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["status"], "queued");
  EXPECT_EQ(results[1]["status"], "rejected");
  EXPECT_EQ(results[1]["error"], "unknown_event_type");
  EXPECT_EQ(results[2]["id"], id);
  svc.wait_event(results[0]["id"].get<std::int64_t>());
}

TEST_F(ServiceApiTest, BadInputIsA4xxThatNamesTheProblem) {
  auto expect_error = [&](httplib::Result r, int status, const std::string& code, const std::string& needle) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["error"], code) << r->body;
    EXPECT_NE(j["message"].get<std::string>().find(needle), std::string::npos) << r->body;
  };
  const auto auth = svc.auth(TokenRole::ingest);
  expect_error(svc.client().Post("/v1/events", auth, "{\"type\": ", "application/json"), 400, "malformed_json", "not valid JSON");
  expect_error(svc.post_json("/v1/events", event("k1", "account.deleted", "a"), TokenRole::ingest), 400,
               "unknown_event_type", "account.deleted");
  json missing = event("k2", "account.name_changed", "a");
  missing.erase("occurred_at");
  expect_error(svc.post_json("/v1/events", missing, TokenRole::ingest), 400, "missing_field", "occurred_at");
  expect_error(svc.post_json("/v1/events", event("k3", "account.name_changed", "a"), TokenRole::ingest), 400,
               "missing_field", "username");
  json extra = event("k4", "group.updated", "a");
  extra["group_id"] = "g";
  extra["name"] = "n";
  extra["colour"] = "red";
  expect_error(svc.post_json("/v1/events", extra, TokenRole::ingest), 400, "unknown_field", "colour");
  json bad_b64 = event("k5", "profile_photo.set", "a");
  bad_b64["media"] = {{"base64", "***"}};
  expect_error(svc.post_json("/v1/events", bad_b64, TokenRole::ingest), 400, "invalid_base64", "media.base64");
  json not_image = event("k6", "profile_photo.set", "a");
  not_image["media"] = {{"base64", base64("this is not an image at all, just text")}};
  expect_error(svc.post_json("/v1/events", not_image, TokenRole::ingest), 422, "undecodable_image", "media");
  json truncated = event("k7", "profile_photo.set", "a");
  truncated["media"] = {{"base64", base64(read_file(sample_image("aaa-orig.jpg")).substr(0, 2000))}};
  expect_error(svc.post_json("/v1/events", truncated, TokenRole::ingest), 422, "undecodable_image", "media");
  json off_list = event("k8", "profile_photo.set", "a");
  off_list["media"] = {{"url", "http://media.example.org/a.jpg"}};
  expect_error(svc.post_json("/v1/events", off_list, TokenRole::ingest), 400, "fetch_host_not_allowed", "allow-list");
  expect_error(svc.client().Post("/v1/events", auth, std::string(40u << 20, 'x'), "application/json"), 413,
               "body_too_large", "max_body_bytes");
  expect_error(svc.client().Get("/v1/events/999999", auth), 404, "not_found", "999999");
  expect_error(svc.client().Post("/v1/events", auth, "[]", "application/json"), 400, "empty_batch", "at least one");
  json huge_name = event("k9", "account.name_changed", "a");
  huge_name["username"] = std::string(100000, 'a');
  expect_error(svc.post_json("/v1/events", huge_name, TokenRole::ingest), 400, "field_too_large", "username");

  // Nothing above was queued, and the service is still up.
  EXPECT_EQ(svc.service().service_store().queue_depth(), 0);
  auto h = svc.client().Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(ServiceApiTest, AKnownImageOpensACaseThatExplainsWhy) {
  bank_image("demo_known", "aaa-orig.jpg");
  // A modified copy (blurred) still matches by PDQ distance.
  json first = post_event(photo_event("p1", "acct-9", "blur-a-lot.jpg"));
  json done = svc.wait_event(first["id"].get<std::int64_t>());
  ASSERT_EQ(done["status"], "done");
  ASSERT_TRUE(done.contains("case_id")) << done.dump();
  const auto case_id = done["case_id"].get<std::int64_t>();
  json m = done["outcome"]["matches"][0];
  EXPECT_EQ(m["bank"], "demo_known");
  EXPECT_EQ(m["signal_type"], "pdq");
  EXPECT_LE(m["distance"].get<int>(), 31);
  EXPECT_NE(m["why"].get<std::string>().find("threshold"), std::string::npos);

  // A second hit for the same account joins the open case.
  json second = post_event(photo_event("p2", "acct-9", "aaa-orig.jpg"));
  json done2 = svc.wait_event(second["id"].get<std::int64_t>());
  EXPECT_EQ(done2["case_id"], case_id);

  auto r = svc.get("/v1/cases?state=open&priority=high", TokenRole::reviewer);
  ASSERT_EQ(r->status, 200);
  json cases = json::parse(r->body)["cases"];
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0]["account_id"], "acct-9");
  EXPECT_EQ(cases[0]["opened_reason"], "bank_match:demo_known");

  r = svc.get("/v1/cases/" + std::to_string(case_id), TokenRole::reviewer);
  ASSERT_EQ(r->status, 200);
  json c = json::parse(r->body);
  EXPECT_EQ(c["events"].size(), 2u);
  EXPECT_GE(c["signals"].size(), 2u);
  EXPECT_EQ(c["signals"][0]["kind"], "bank_match");
  EXPECT_EQ(c["signals"][0]["detail"]["bank"], "demo_known");
  const std::string media_url = c["events"][0]["payload"]["media"][0]["media_url"];
  EXPECT_EQ(c["events"][0]["payload"]["media"][0].count("base64"), 0u);  // no media bytes in JSON

  // Media only with the reviewer role.
  r = svc.get(media_url, TokenRole::ingest);
  EXPECT_EQ(r->status, 403);
  r = svc.get(media_url, TokenRole::legal);
  EXPECT_EQ(r->status, 403);
  r = svc.get(media_url, TokenRole::reviewer);
  ASSERT_EQ(r->status, 200);
  // By default a blurred greyscale preview (tests/server/review_media_test.cpp), not the original.
  EXPECT_EQ(r->get_header_value("X-Vigil-Media"), "preview; greyscale; blurred");
  EXPECT_NE(r->body, read_file(sample_image("blur-a-lot.jpg")));
  r = svc.get(media_url + "?reveal=true", TokenRole::reviewer);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, read_file(sample_image("blur-a-lot.jpg")));

  // A decision records who and why, and closes the case.
  r = svc.post_json("/v1/cases/" + std::to_string(case_id) + "/decision", {{"decision", "dismissed"}}, TokenRole::reviewer);
  EXPECT_EQ(r->status, 400);
  r = svc.post_json("/v1/cases/" + std::to_string(case_id) + "/decision",
                    {{"decision", "dismissed"}, {"reason", "benign test image"}}, TokenRole::reviewer);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body)["decided_by"], "reviewer");
  r = svc.get("/v1/cases/" + std::to_string(case_id), TokenRole::legal);
  c = json::parse(r->body);
  EXPECT_EQ(c["state"], "closed");
  EXPECT_EQ(c["decisions"][0]["reason"], "benign test image");
}

TEST_F(ServiceApiTest, AnAllowBankSuppressesTheMatch) {
  bank_image("known", "aaa-orig.jpg");
  bank_image("known_false_positives", "aaa-orig.jpg", /*allow=*/true);
  json r = post_event(photo_event("p1", "acct-3", "aaa-orig.jpg"));
  json done = svc.wait_event(r["id"].get<std::int64_t>());
  EXPECT_FALSE(done.contains("case_id")) << done.dump();
  EXPECT_TRUE(done["outcome"]["matches"].empty());
  ASSERT_FALSE(done["outcome"]["suppressed_matches"].empty());
  EXPECT_EQ(done["outcome"]["suppressed_matches"][0]["suppressed_by_bank"], "known_false_positives");
}

TEST_F(ServiceApiTest, ReportsAndFlaggedTextOpenCases) {
  json rep = event("r1", "message.reported", "reporter-1");
  rep["reporter_account_id"] = "reporter-1";
  rep["reported_account_id"] = "suspect-1";
  rep["text"] = "hello there";
  rep["franking"] = {{"tag", "abcd"}, {"version", 1}};
  json a = post_event(rep);
  json done = svc.wait_event(a["id"].get<std::int64_t>());
  ASSERT_TRUE(done.contains("case_id"));
  auto r = svc.get("/v1/cases/" + std::to_string(done["case_id"].get<std::int64_t>()), TokenRole::reviewer);
  json c = json::parse(r->body);
  EXPECT_EQ(c["account_id"], "suspect-1");
  EXPECT_EQ(c["opened_reason"], "report");
  EXPECT_EQ(c["events"][0]["payload"]["franking"]["tag"], "abcd");

  // A coded term from the starter lexicon in a display name is a text signal.
  json name = event("n1", "account.name_changed", "acct-t");
  name["display_name"] = "prvy";
  json b = post_event(name);
  json done2 = svc.wait_event(b["id"].get<std::int64_t>());
  ASSERT_TRUE(done2.contains("case_id")) << done2.dump();
  r = svc.get("/v1/cases/" + std::to_string(done2["case_id"].get<std::int64_t>()), TokenRole::reviewer);
  c = json::parse(r->body);
  EXPECT_EQ(c["signals"][0]["kind"], "text");
  EXPECT_EQ(c["signals"][0]["detail"]["field"], "display_name");
  EXPECT_EQ(c["priority"], "medium");
}

TEST_F(ServiceApiTest, OperationsEndpoints) {
  EXPECT_EQ(svc.client().Get("/healthz")->status, 200);
  EXPECT_EQ(svc.client().Get("/readyz")->status, 200);
  json e = event("m1", "account.name_changed", "a");
  e["username"] = "someone";
  svc.wait_event(post_event(e)["id"].get<std::int64_t>());
  // The worker counts an event just after committing its outcome (its latency first, then the
  // count), so a scrape right after the event reads as done may come a moment early: metrics are
  // eventually consistent. Poll briefly for the count.
  auto m = svc.client().Get("/metrics");
  for (int i = 0; i < 200 && m && m->body.find("vigil_events_processed_total{") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    m = svc.client().Get("/metrics");
  }
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  for (const char* needle :
       {"vigil_events_accepted_total{type=\"account.name_changed\"} 1",
        "vigil_events_processed_total{type=\"account.name_changed\",outcome=\"no_signal\"} 1",
        "vigil_event_processing_seconds_bucket", "# TYPE vigil_queue_depth gauge", "vigil_queue_depth 0",
        "vigil_index_ready 1"}) {
    EXPECT_NE(m->body.find(needle), std::string::npos) << needle;
  }
  EXPECT_EQ(m->body.find("someone"), std::string::npos);  // no event data in metrics
  auto o = svc.client().Get("/v1/openapi.json");
  ASSERT_EQ(o->status, 200);
  json doc = json::parse(o->body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["paths"].contains("/v1/events"));
  EXPECT_TRUE(doc["paths"].contains("/v1/cases/{id}/decision"));
  auto nf = svc.client().Get("/nowhere");
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(json::parse(nf->body)["error"], "not_found");
}

}  // namespace

namespace {

using vigil::server::ServiceConfig;
using vigil::server::testing::ServiceFixture;

// server.keep_alive_max_requests: the server closes a kept-alive connection after that many
// requests (it says so with "Connection: close" on the last one) and serves the next on a new one.
TEST(ServiceKeepAliveTest, TheConnectionIsClosedAfterTheConfiguredNumberOfRequests) {
  ServiceConfig config;
  config.server.keep_alive_max_requests = 3;
  ServiceFixture svc(config);
  httplib::Client client("127.0.0.1", svc.port());
  client.set_keep_alive(true);
  std::vector<std::string> connection;
  for (int i = 0; i < 4; ++i) {
    auto r = client.Get("/healthz");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    connection.push_back(r->get_header_value("Connection"));
  }
  EXPECT_NE(connection[0], "close");
  EXPECT_NE(connection[1], "close");
  EXPECT_EQ(connection[2], "close");
  EXPECT_NE(connection[3], "close");  // a fresh connection
}

}  // namespace
