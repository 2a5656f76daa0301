// Pins the HMA-compatible endpoints' paths, parameters and response shapes (OpenMediaMatch's
// hashing, matching and curation blueprints).
#include <gtest/gtest.h>

#include "service_fixture.h"
#include "vigil/common/hash256.h"

namespace {

using namespace vigil::server::testing;
using vigil::store::TokenRole;

class HmaApiTest : public ::testing::Test {
 protected:
  ServiceFixture svc;
  httplib::MultipartFormDataItems photo(const std::string& image) {
    return {{"photo", read_file(sample_image(image)), image, "image/jpeg"}};
  }
};

TEST_F(HmaApiTest, HashUploadGivesSignalTypeToHash) {
  auto r = svc.client().Post("/h/hash", svc.auth(TokenRole::ingest), photo("aaa-orig.jpg"));
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  ASSERT_TRUE(j["pdq"].is_string());
  EXPECT_EQ(j["pdq"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["md5"].get<std::string>().size(), 32u);
  // `types` restricts the signal types.
  r = svc.client().Post("/h/hash?types=pdq", svc.auth(TokenRole::ingest), photo("aaa-orig.jpg"));
  EXPECT_EQ(json::parse(r->body).size(), 1u);
  // Errors: no file, wrong content type field, two files.
  r = svc.client().Post("/h/hash", svc.auth(TokenRole::ingest), "", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["message"], "Missing multipart/form-data file upload");
  httplib::MultipartFormDataItems video = {{"video", "xx", "a.mp4", "video/mp4"}};
  r = svc.client().Post("/h/hash", svc.auth(TokenRole::ingest), video);
  EXPECT_EQ(r->status, 400);
  auto two = photo("aaa-orig.jpg");
  two.push_back({"photo2", "x", "b.jpg", "image/jpeg"});
  r = svc.client().Post("/h/hash", svc.auth(TokenRole::ingest), two);
  EXPECT_EQ(json::parse(r->body)["message"], "Only one file allowed per request");
  r = svc.client().Get("/h/hash", svc.auth(TokenRole::ingest));
  EXPECT_EQ(json::parse(r->body)["message"], "url is required");
}

TEST_F(HmaApiTest, BankCurationShapes) {
  auto r = svc.post_json("/c/banks", {{"name", "TEST_BANK"}, {"enabled_ratio", 1.0}}, TokenRole::curator);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body), (json{{"name", "TEST_BANK"}, {"matching_enabled_ratio", 1.0}}));
  r = svc.post_json("/c/banks", {{"name", "TEST_BANK"}}, TokenRole::curator);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json::parse(r->body)["message"], "Bank already exists");
  r = svc.post_json("/c/banks", {{"name", "OFF_BANK"}, {"enabled", false}}, TokenRole::curator);
  EXPECT_EQ(json::parse(r->body)["matching_enabled_ratio"], 0.0);

  r = svc.get("/c/banks", TokenRole::curator);
  json banks = json::parse(r->body);
  ASSERT_TRUE(banks.is_array());
  EXPECT_EQ(banks.size(), 2u);
  r = svc.get("/c/bank/TEST_BANK", TokenRole::curator);
  EXPECT_EQ(json::parse(r->body)["name"], "TEST_BANK");
  r = svc.get("/c/bank/NOPE", TokenRole::curator);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["message"], "bank 'NOPE' not found");

  r = svc.put_json("/c/bank/OFF_BANK", {{"name", "RENAMED"}, {"enabled", true}}, TokenRole::curator);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), (json{{"name", "RENAMED"}, {"matching_enabled_ratio", 1.0}}));
  r = svc.client().Delete("/c/bank/RENAMED", svc.auth(TokenRole::curator));
  EXPECT_EQ(json::parse(r->body), (json{{"message", "Done"}}));
  EXPECT_EQ(svc.get("/c/bank/RENAMED", TokenRole::curator)->status, 404);
}

TEST_F(HmaApiTest, ContentAndLookupShapes) {
  ASSERT_EQ(svc.post_json("/c/banks", {{"name", "KNOWN"}}, TokenRole::curator)->status, 201);
  auto r = svc.client().Post("/c/bank/KNOWN/content", svc.auth(TokenRole::curator), photo("aaa-orig.jpg"));
  ASSERT_EQ(r->status, 200) << r->body;
  json added = json::parse(r->body);
  const auto content_id = added["id"].get<std::int64_t>();
  const std::string pdq = added["signals"]["pdq"];
  EXPECT_TRUE(added["signals"].contains("md5"));
  svc.service().refresh_index();

  // Add a signal directly.
  const std::string other(64, 'a');
  r = svc.post_json("/c/bank/KNOWN/signal", {{"pdq", other}}, TokenRole::curator);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["signals"]["pdq"], other);
  r = svc.post_json("/c/bank/KNOWN/signal", {{"pdq", "xyz"}}, TokenRole::curator);
  EXPECT_EQ(r->status, 400);

  // A near hash: flip 3 bits.
  auto near = vigil::Hash256::parse_hex(pdq);
  near.flip(0);
  near.flip(100);
  near.flip(200);
  const std::string near_hex = near.to_hex();

  r = svc.get("/m/raw_lookup?signal_type=pdq&signal=" + near_hex, TokenRole::ingest);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), (json{{"matches", json::array({content_id})}}));
  r = svc.get("/m/raw_lookup?signal_type=pdq&include_distance=true&signal=" + near_hex, TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body),
            (json{{"matches", json::array({{{"bank_content_id", content_id}, {"distance", "3"}}})}}));
  r = svc.get("/m/raw_lookup?signal_type=pdq&banks=OTHER&signal=" + near_hex, TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body)["matches"].size(), 0u);
  r = svc.get("/m/raw_lookup?signal_type=pdq", TokenRole::ingest);
  EXPECT_EQ(r->status, 400);
  r = svc.get("/m/raw_lookup?signal_type=vpdq&signal=aa", TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body)["message"], "No such SignalType 'vpdq'");
  r = svc.get("/m/raw_lookup?signal_type=pdq&signal=abc", TokenRole::ingest);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(json::parse(r->body)["message"].get<std::string>().find("invalid signal"), std::string::npos);

  r = svc.get("/m/lookup?signal_type=pdq&signal=" + near_hex, TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body),
            (json{{"KNOWN", json::array({{{"bank_content_id", content_id}, {"distance", "3"}}})}}));
  r = svc.client().Post("/m/lookup", svc.auth(TokenRole::ingest), photo("aaa-orig.jpg"));
  json by_type = json::parse(r->body);
  EXPECT_EQ(by_type["pdq"]["KNOWN"][0]["bank_content_id"], content_id);
  EXPECT_EQ(by_type["pdq"]["KNOWN"][0]["distance"], "0");
  EXPECT_TRUE(by_type["md5"].contains("KNOWN"));
  EXPECT_TRUE(by_type["sha256"].empty());

  r = svc.get("/m/index/status", TokenRole::ingest);
  json status = json::parse(r->body);
  EXPECT_EQ(status["pdq"]["present"], true);
  EXPECT_EQ(status["pdq"]["size"], 2);
  EXPECT_TRUE(status["pdq"]["built_to"].is_number_integer());
  r = svc.get("/m/index/status?signal_type=md5", TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body).size(), 1u);

  r = svc.get("/c/bank/KNOWN/content/" + std::to_string(content_id) + "?include_signals=true", TokenRole::curator);
  json content = json::parse(r->body);
  EXPECT_EQ(content["id"], content_id);
  EXPECT_EQ(content["disable_until_ts"], 0);
  EXPECT_EQ(content["collab_metadata"], json::object());
  EXPECT_EQ(content["bank"]["name"], "KNOWN");
  EXPECT_EQ(content["signals"]["pdq"], pdq);
  r = svc.get("/c/bank/KNOWN/content/" + std::to_string(content_id), TokenRole::curator);
  EXPECT_FALSE(json::parse(r->body).contains("signals"));

  // Disabling the content takes it out of matching.
  r = svc.put_json("/c/bank/KNOWN/content/" + std::to_string(content_id), {{"disable_until_ts", 1}}, TokenRole::curator);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(json::parse(r->body)["disable_until_ts"], 0);
  r = svc.get("/m/raw_lookup?signal_type=pdq&signal=" + near_hex, TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body)["matches"].size(), 0u);

  r = svc.client().Delete("/c/bank/KNOWN/content/" + std::to_string(content_id), svc.auth(TokenRole::curator));
  EXPECT_EQ(json::parse(r->body), (json{{"deleted", 1}}));
  r = svc.client().Delete("/c/bank/KNOWN/content/" + std::to_string(content_id), svc.auth(TokenRole::curator));
  EXPECT_EQ(json::parse(r->body), (json{{"deleted", 0}}));
}

TEST_F(HmaApiTest, CompareShape) {
  auto a = vigil::Hash256::parse_hex(std::string(64, 'f'));
  auto b = a;
  for (int i = 0; i < 9; ++i) b.flip(i * 7);
  auto r = svc.post_json("/m/compare", {{"pdq", {a.to_hex(), b.to_hex()}}}, TokenRole::ingest);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), (json{{"pdq", json::array({true, {{"distance", 9}}})}}));
  r = svc.post_json("/m/compare", {{"pdq", {a.to_hex()}}}, TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body)["message"], "Comparison hash list length must be exactly 2");
  r = svc.post_json("/m/compare", json::array({1}), TokenRole::ingest);
  EXPECT_EQ(json::parse(r->body)["message"], "Request input was not a dict");
}

}  // namespace
