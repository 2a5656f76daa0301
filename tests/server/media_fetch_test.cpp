// URL media: allow-list, redirects re-checked per hop, private addresses, size and time limits.
// A local httplib server on 127.0.0.1 plays the media host.
#include <gtest/gtest.h>

#include "service_fixture.h"
#include "vigil/server/api_error.h"
#include "vigil/server/media_fetcher.h"

namespace {

using namespace vigil::server;
using namespace vigil::server::testing;

class MediaHost {
 public:
  MediaHost() {
    image_ = read_file(sample_image("aaa-orig.jpg"));
    server_.Get("/a.jpg", [this](const httplib::Request&, httplib::Response& res) { res.set_content(image_, "image/jpeg"); });
    server_.Get("/to-a", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/a.jpg"); });
    server_.Get("/off-list", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://elsewhere.example.org/a.jpg");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("late", "image/jpeg");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~MediaHost() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  const std::string& image() const { return image_; }

 private:
  httplib::Server server_;
  std::string image_;
  int port_ = 0;
  std::thread thread_;
};

FetchConfig lab_config() {
  FetchConfig c;
  c.allowed_hosts = {"127.0.0.1"};
  c.allow_private_addresses = true;
  c.timeout_ms = 500;
  return c;
}

void expect_code(const MediaFetcher& f, const std::string& url, const std::string& code) {
  try {
    f.fetch(url);
    ADD_FAILURE() << "no error for " << url;
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

TEST(MediaFetchTest, FetchesAndFollowsOnListRedirects) {
  MediaHost host;
  MediaFetcher f(lab_config());
  EXPECT_EQ(f.fetch(host.url("/a.jpg")).bytes.size(), host.image().size());
  auto via = f.fetch(host.url("/to-a"));
  EXPECT_EQ(via.bytes.size(), host.image().size());
  EXPECT_EQ(via.final_url, host.url("/a.jpg"));
}

TEST(MediaFetchTest, RefusesWhatTheConfigDoesNotAllow) {
  MediaHost host;
  MediaFetcher f(lab_config());
  expect_code(f, host.url("/off-list"), "fetch_redirect_not_allowed");
  expect_code(f, host.url("/slow"), "fetch_timeout");
  expect_code(f, host.url("/missing"), "fetch_failed");
  expect_code(f, "ftp://127.0.0.1/a.jpg", "fetch_bad_url");
  expect_code(f, "http://user:pw@127.0.0.1/a.jpg", "fetch_bad_url");
  expect_code(f, "http://other.example.org/a.jpg", "fetch_host_not_allowed");

  FetchConfig small = lab_config();
  small.max_bytes = 1024;
  expect_code(MediaFetcher(small), host.url("/a.jpg"), "fetch_too_large");

  FetchConfig strict = lab_config();
  strict.allow_private_addresses = false;  // 127.0.0.1 is on the list but loopback is refused
  expect_code(MediaFetcher(strict), host.url("/a.jpg"), "fetch_private_address");
  strict.allowed_hosts = {"localhost"};
  expect_code(MediaFetcher(strict), "http://localhost:1/a.jpg", "fetch_private_address");

  FetchConfig no_redirects = lab_config();
  no_redirects.max_redirects = 0;
  expect_code(MediaFetcher(no_redirects), host.url("/to-a"), "fetch_failed");
}

TEST(MediaFetchTest, UrlMediaInEventsAndHma) {
  MediaHost host;
  ServiceConfig config;
  config.fetch = lab_config();
  ServiceFixture svc(config);
  json e = event("u1", "group_avatar.set", "acct-u");
  e["group_id"] = "g1";
  e["media"] = {{"url", host.url("/to-a")}};
  auto r = svc.post_json("/v1/events", e, vigil::store::TokenRole::ingest);
  ASSERT_EQ(r->status, 202) << r->body;
  json done = svc.wait_event(json::parse(r->body)["id"].get<std::int64_t>());
  EXPECT_EQ(done["status"], "done");

  e["idempotency_key"] = "u2";
  e["media"] = {{"url", host.url("/off-list")}};
  r = svc.post_json("/v1/events", e, vigil::store::TokenRole::ingest);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(json::parse(r->body)["error"], "fetch_redirect_not_allowed");

  r = svc.get("/h/hash?url=" + host.url("/a.jpg"), vigil::store::TokenRole::ingest);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["pdq"].get<std::string>().size(), 64u);
  r = svc.get("/h/hash?url=" + host.url("/slow"), vigil::store::TokenRole::ingest);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(json::parse(r->body)["error"], "fetch_timeout");
}

}  // namespace
