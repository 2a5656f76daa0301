#include <gtest/gtest.h>

#include "vigil/common/error.h"
#include "vigil/server/config.h"

namespace {

using namespace vigil::server;

TEST(ConfigTest, EmptyFileGivesDefaults) {
  const ServiceConfig c = parse_config("");
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.queue.workers, 2);
  EXPECT_EQ(c.server.threads, 16);
  EXPECT_EQ(c.server.event_threads, 0);
  EXPECT_EQ(c.server.keep_alive_timeout_ms, 5000);
  EXPECT_EQ(c.server.max_connections, 4096);
  EXPECT_EQ(c.server.keep_alive_max_requests, 100);
  EXPECT_TRUE(c.fetch.allowed_hosts.empty());
  EXPECT_FALSE(c.fetch.allow_private_addresses);
  EXPECT_EQ(c.store.synchronous, "full");
  EXPECT_EQ(c.review.reveals_per_day, 50);
  EXPECT_EQ(c.review.preview_max_side, 320);
  EXPECT_DOUBLE_EQ(c.review.preview_blur_fraction, 0.03);
}

TEST(ConfigTest, OverridesAreApplied) {
  const ServiceConfig c = parse_config(R"(
[server]
listen = "0.0.0.0:9000"
max_body_bytes = 1048576
keep_alive_max_requests = 7
event_threads = 3
keep_alive_timeout_ms = 2500
max_connections = 100
[fetch]
allowed_hosts = ["media.example.org", "cdn.example.org"]
timeout_ms = 2500
[queue]
workers = 4
[media]
pdq_mode = "fast"
[matching]
pdq_index_layout = "compact"
)");
  EXPECT_EQ(c.matching.pdq_index_layout, "compact");
  EXPECT_EQ(c.server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.server.max_body_bytes, 1048576u);
  EXPECT_EQ(c.server.keep_alive_max_requests, 7);
  EXPECT_EQ(c.server.event_threads, 3);
  EXPECT_EQ(c.server.keep_alive_timeout_ms, 2500);
  EXPECT_EQ(c.server.max_connections, 100);
  EXPECT_EQ(c.fetch.allowed_hosts.size(), 2u);
  EXPECT_EQ(c.fetch.timeout_ms, 2500);
  EXPECT_EQ(c.queue.workers, 4);
  EXPECT_EQ(c.media.pdq_mode, "fast");
}

void expect_error(const char* toml, const std::string& needle) {
  try {
    parse_config(toml, "test.toml");
    ADD_FAILURE() << "no error for: " << toml;
  } catch (const vigil::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ConfigTest, MistakesAreNamed) {
  expect_error("[server]\nlisen = \"x\"\n", "unknown setting server.lisen");
  expect_error("[sever]\n", "unknown section [sever]");
  expect_error("[queue]\nworkers = 0\n", "queue.workers = 0 is out of range");
  expect_error("[server]\nkeep_alive_max_requests = 0\n", "server.keep_alive_max_requests = 0 is out of range");
  expect_error("[server]\nmax_connections = 0\n", "server.max_connections = 0 is out of range");
  expect_error("[server]\nevent_threads = 65\n", "server.event_threads = 65 is out of range");
  expect_error("[server]\nkeep_alive_timeout_ms = 50\n", "server.keep_alive_timeout_ms = 50 is out of range");
  expect_error("[matching]\npdq_index_layout = \"fast\"\n", "matching.pdq_index_layout = \"fast\" is not one of");
  expect_error("[queue]\nworkers = \"two\"\n", "queue.workers must be an integer");
  expect_error("[media]\npdq_mode = \"slow\"\n", "media.pdq_mode = \"slow\" is not one of");
  expect_error("[server]\nlisten = \"nohost\"\n", "must be host:port");
  expect_error("[server\n", "test.toml: line 1");
}

TEST(ConfigTest, ReviewSettingsAreReadAndValidated) {
  const ServiceConfig c = parse_config("[review]\nreveals_per_day = 3\npreview_max_side = 200\npreview_blur_fraction = 0.05\n");
  EXPECT_EQ(c.review.reveals_per_day, 3);
  EXPECT_EQ(c.review.preview_max_side, 200);
  EXPECT_DOUBLE_EQ(c.review.preview_blur_fraction, 0.05);
  EXPECT_EQ(parse_config("[review]\nreveals_per_day = 0\n").review.reveals_per_day, 0);  // reveals off
  expect_error("[review]\nreveals_per_day = -1\n", "review.reveals_per_day = -1 is out of range");
  expect_error("[review]\npreview_max_side = 8\n", "review.preview_max_side = 8 is out of range 16..4096");
  expect_error("[review]\npreview_blur_fraction = 0.0\n", "review.preview_blur_fraction = 0 is out of range");
  expect_error("[review]\npreview_blur_fraction = \"x\"\n", "review.preview_blur_fraction must be a number");
  expect_error("[review]\nblur = 1\n", "unknown setting review.blur");
}

TEST(ConfigTest, ListenAddressesParse) {
  EXPECT_EQ(parse_listen("127.0.0.1:0"), (std::pair<std::string, int>{"127.0.0.1", 0}));
  EXPECT_EQ(parse_listen("[::1]:8080"), (std::pair<std::string, int>{"::1", 8080}));
  EXPECT_THROW(parse_listen("host:99999"), vigil::Error);
  EXPECT_THROW(parse_listen("host:8o"), vigil::Error);
}

}  // namespace
