#pragma once
// An in-process `vigil serve` on 127.0.0.1 (port 0) over a temporary data directory, with one
// token per role, and helpers to call it. Stopped and removed by the destructor.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "vigil/server/auth.h"
#include "vigil/server/service.h"
#include "vigil/store/sqlite_service_store.h"

namespace vigil::server::testing {

using json = nlohmann::json;

inline std::filesystem::path make_temp_dir(const std::string& tag) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("vigil-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string base64(const std::string& bytes) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) | std::uint8_t(bytes[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const std::uint32_t v = std::uint8_t(bytes[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const std::uint32_t v = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

inline std::filesystem::path sample_image(const std::string& name) {
  return std::filesystem::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference" / "bridge-mods" / name;
}

class ServiceFixture {
 public:
  explicit ServiceFixture(ServiceConfig config = {}) : dir_(make_temp_dir("serve")) {
    config.data_dir = dir_;
    config.server.listen = "127.0.0.1:0";
    config.matching.refresh_interval_ms = 100;
    config.server.threads = 4;
    service_ = std::make_unique<Service>(config);
    for (auto role : {store::TokenRole::ingest, store::TokenRole::reviewer, store::TokenRole::curator,
                      store::TokenRole::admin, store::TokenRole::legal}) {
      const std::string token = generate_token();
      service_->service_store().create_token(std::string(store::to_string(role)), role, hash_token(token));
      tokens_[role] = token;
    }
    port_ = service_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(30, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!service_->ready() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~ServiceFixture() {
    client_.reset();
    service_->stop();
    service_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  httplib::Headers auth(store::TokenRole role) const {
    return {{"Authorization", "Bearer " + tokens_.at(role)}};
  }
  httplib::Result get(const std::string& path, store::TokenRole role) { return client_->Get(path, auth(role)); }
  httplib::Result post_json(const std::string& path, const json& body, store::TokenRole role) {
    return client_->Post(path, auth(role), body.dump(), "application/json");
  }
  httplib::Result put_json(const std::string& path, const json& body, store::TokenRole role) {
    return client_->Put(path, auth(role), body.dump(), "application/json");
  }

  // Waits until the event is processed; returns its JSON.
  json wait_event(std::int64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    json e;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = get("/v1/events/" + std::to_string(id), store::TokenRole::ingest);
      if (r && r->status == 200) {
        e = json::parse(r->body);
        if (e["status"] == "done" || e["status"] == "failed") return e;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "event " << id << " not processed in time: " << e.dump();
    return e;
  }

  httplib::Client& client() { return *client_; }
  Service& service() { return *service_; }
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Service> service_;
  std::map<store::TokenRole, std::string> tokens_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

inline json event(const std::string& key, const std::string& type, const std::string& account) {
  return {{"idempotency_key", key}, {"type", type}, {"occurred_at", "2026-11-26T12:00:00Z"}, {"account_id", account}};
}

}  // namespace vigil::server::testing
