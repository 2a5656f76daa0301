// Reviewer media in `vigil serve`: a blurred greyscale preview by default; the original only on
// ?reveal=true, recorded (who, when, which media) and limited per token over 24 h; undecodable
// stored media is an error, never the original bytes. Benign shared sample images only.
#include <gtest/gtest.h>
#include <vips/vips.h>

#include <algorithm>
#include <string>

#include "service_fixture.h"

namespace {

using namespace vigil::server::testing;
using vigil::store::TokenRole;

vigil::server::ServiceConfig limited_config(int reveals_per_day) {
  vigil::server::ServiceConfig c;
  c.review.reveals_per_day = reveals_per_day;
  return c;
}

class ReviewMediaTest : public ::testing::Test {
 protected:
  ServiceFixture svc{limited_config(2)};
  std::int64_t case_id = 0;
  std::string media_url;
  std::string original;

  // A case holding one photo: the photo is banked, then submitted for an account.
  void SetUp() override {
    original = read_file(sample_image("aaa-orig.jpg"));
    auto created = svc.post_json("/c/banks", {{"name", "review_known"}}, TokenRole::curator);
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 201) << created->body;
    httplib::MultipartFormDataItems items = {{"photo", original, "aaa-orig.jpg", "image/jpeg"}};
    auto banked = svc.client().Post("/c/bank/review_known/content", svc.auth(TokenRole::curator), items);
    ASSERT_TRUE(banked);
    ASSERT_EQ(banked->status, 200) << banked->body;
    svc.service().refresh_index();

    json e = event("photo-1", "profile_photo.set", "acct-review");
    e["media"] = {{"base64", base64(original)}};
    auto posted = svc.post_json("/v1/events", e, TokenRole::ingest);
    ASSERT_TRUE(posted);
    ASSERT_EQ(posted->status, 202) << posted->body;
    json done = svc.wait_event(json::parse(posted->body)["id"].get<std::int64_t>());
    ASSERT_TRUE(done.contains("case_id")) << done.dump();
    case_id = done["case_id"].get<std::int64_t>();
    json c = case_json();
    media_url = c["events"][0]["payload"]["media"][0]["media_url"];
  }

  json case_json() {
    auto r = svc.get("/v1/cases/" + std::to_string(case_id), TokenRole::reviewer);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  }
};

TEST_F(ReviewMediaTest, TheDefaultIsASmallGreyBlurredPreview) {
  auto r = svc.get(media_url, TokenRole::reviewer);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(r->get_header_value("X-Vigil-Media"), "preview; greyscale; blurred");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  EXPECT_NE(r->body, original);
  EXPECT_LT(r->body.size(), original.size());

  std::string preview = r->body;
  VipsImage* img = nullptr;
  ASSERT_EQ(vips_jpegload_buffer(preview.data(), preview.size(), &img, nullptr), 0) << vips_error_buffer();
  EXPECT_EQ(std::max(vips_image_get_width(img), vips_image_get_height(img)), 320);
  EXPECT_EQ(vips_image_get_bands(img), 1);
  g_object_unref(img);

  // Asking explicitly for no reveal is the preview too; a malformed flag is an error.
  r = svc.get(media_url + "?reveal=false", TokenRole::reviewer);
  EXPECT_EQ(r->get_header_value("X-Vigil-Media"), "preview; greyscale; blurred");
  r = svc.get(media_url + "?reveal=please", TokenRole::reviewer);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"], "invalid_parameter");
  // Previews are not reveals.
  EXPECT_TRUE(case_json()["reveals"].empty());
}

TEST_F(ReviewMediaTest, OnlyReviewersSeeMediaAtAll) {
  for (const std::string& url : {media_url, media_url + "?reveal=true"}) {
    auto r = svc.client().Get(url);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(json::parse(r->body)["error"], "unauthenticated");
    r = svc.get(url, TokenRole::ingest);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(json::parse(r->body)["error"], "forbidden");
    r = svc.get(url, TokenRole::legal);
    EXPECT_EQ(r->status, 403);
    r = svc.get(url, TokenRole::curator);
    EXPECT_EQ(r->status, 403);
  }
  EXPECT_TRUE(case_json()["reveals"].empty());  // refused requests reveal nothing
}

TEST_F(ReviewMediaTest, RevealsServeTheOriginalAreRecordedAndLimited) {
  for (int i = 0; i < 2; ++i) {
    auto r = svc.get(media_url + "?reveal=true", TokenRole::reviewer);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, original);
    EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_EQ(r->get_header_value("X-Vigil-Media"), "original");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  }
  // The third reveal within 24 h, over the limit of 2: refused, nothing served, not recorded.
  auto r = svc.get(media_url + "?reveal=true", TokenRole::reviewer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body.find(original.substr(0, 64)), std::string::npos);
  json err = json::parse(r->body);
  EXPECT_EQ(err["error"], "exposure_limit");
  EXPECT_EQ(err["limit"], 2);
  EXPECT_NE(err["message"].get<std::string>().find("review.reveals_per_day"), std::string::npos);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  const int retry = std::stoi(r->get_header_value("Retry-After"));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 24 * 3600);

  // The blurred preview stays available.
  r = svc.get(media_url, TokenRole::reviewer);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("X-Vigil-Media"), "preview; greyscale; blurred");

  // Another token has its own count; an admin's reveal is recorded with its role.
  r = svc.get(media_url + "?reveal=true", TokenRole::admin);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, original);

  json reveals = case_json()["reveals"];
  ASSERT_EQ(reveals.size(), 3u) << reveals.dump();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(reveals[i]["revealed_by"], i < 2 ? "reviewer" : "admin");
    EXPECT_EQ(reveals[i]["role"], i < 2 ? "reviewer" : "admin");
    EXPECT_EQ(reveals[i]["media_url"], media_url);
    EXPECT_EQ(reveals[i]["media_index"], 0);
    EXPECT_GT(reveals[i]["revealed_at_ms"].get<std::int64_t>(), 0);
  }
  EXPECT_LE(reveals[0]["revealed_at_ms"].get<std::int64_t>(), reveals[2]["revealed_at_ms"].get<std::int64_t>());
  // Legal reads the audit trail too.
  r = svc.get("/v1/cases/" + std::to_string(case_id), TokenRole::legal);
  EXPECT_EQ(json::parse(r->body)["reveals"].size(), 3u);

  // Unknown media: 404, and no reveal recorded.
  r = svc.get("/v1/cases/" + std::to_string(case_id) + "/media/999/0?reveal=true", TokenRole::admin);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(case_json()["reveals"].size(), 3u);
}

TEST_F(ReviewMediaTest, UndecodableStoredMediaIsAnErrorNeverTheOriginal) {
  // The stored bytes go bad (a truncated JPEG) after the event was accepted.
  const std::string broken = original.substr(0, 3000);
  {
    vigil::store::SqliteDatabase raw(svc.dir() / "vigil.db");
    raw.prepare("UPDATE service_event_media SET bytes = ?").bind_blob(1, broken.data(), broken.size()).run();
  }
  auto r = svc.get(media_url, TokenRole::reviewer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  json err = json::parse(r->body);
  EXPECT_EQ(err["error"], "undecodable_media");
  EXPECT_NE(err["message"].get<std::string>().find("cannot decode JPEG image"), std::string::npos) << err.dump();
  EXPECT_EQ(r->body.find(broken.substr(0, 64)), std::string::npos);
}

TEST(ReviewMediaDocs, TheOpenApiDocumentDescribesPreviewAndReveal) {
  ServiceFixture svc;
  auto r = svc.client().Get("/v1/openapi.json");
  ASSERT_TRUE(r);
  json op = json::parse(r->body)["paths"]["/v1/cases/{id}/media/{event_id}/{index}"]["get"];
  bool has_reveal = false;
  for (const auto& p : op["parameters"]) has_reveal = has_reveal || (p["name"] == "reveal" && p["in"] == "query");
  EXPECT_TRUE(has_reveal) << op.dump();
  for (const char* status : {"200", "401", "403", "404", "422", "429"}) EXPECT_TRUE(op["responses"].contains(status)) << status;
  EXPECT_TRUE(op["responses"]["200"]["content"].contains("image/jpeg"));
  EXPECT_NE(op["responses"]["200"]["description"].get<std::string>().find("blur"), std::string::npos);
}

TEST(ReviewMediaLimits, AZeroLimitTurnsRevealsOff) {
  ServiceFixture svc{limited_config(0)};
  auto created = svc.post_json("/c/banks", {{"name", "k"}}, TokenRole::curator);
  ASSERT_EQ(created->status, 201);
  const std::string photo = read_file(sample_image("aaa-orig.jpg"));
  httplib::MultipartFormDataItems items = {{"photo", photo, "a.jpg", "image/jpeg"}};
  ASSERT_EQ(svc.client().Post("/c/bank/k/content", svc.auth(TokenRole::curator), items)->status, 200);
  svc.service().refresh_index();
  json e = event("p", "profile_photo.set", "acct");
  e["media"] = {{"base64", base64(photo)}};
  json done = svc.wait_event(json::parse(svc.post_json("/v1/events", e, TokenRole::ingest)->body)["id"].get<std::int64_t>());
  ASSERT_TRUE(done.contains("case_id")) << done.dump();
  const std::string url = "/v1/cases/" + std::to_string(done["case_id"].get<std::int64_t>()) + "/media/" +
                          std::to_string(done["id"].get<std::int64_t>()) + "/0";
  auto r = svc.get(url + "?reveal=true", TokenRole::reviewer);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(json::parse(r->body)["error"], "exposure_limit");
  EXPECT_EQ(svc.get(url, TokenRole::reviewer)->status, 200);
}

}  // namespace
