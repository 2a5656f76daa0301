// Durability of `vigil serve`: a client posts events while the server is killed with SIGKILL;
// after a restart on the same data directory every acknowledged event has exactly one outcome,
// and each event's effect (a report signal on the reported account's case) was applied once.
// Also: SIGTERM shuts the server down gracefully with exit status 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "serve_process.h"
#include "vigil/store/sqlite_service_store.h"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace vigil::cli::testing;

class ServeKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("vigil-serve-kill-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (server_.pid > 0) stop_server(server_, SIGKILL);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  ServerProcess server_;
};

TEST_F(ServeKillTest, EveryAcknowledgedEventHasExactlyOneOutcomeAfterSigkill) {
  const fs::path data = dir_ / "data";
  const std::string token = run_capture(std::string(VIGIL_CLI_PATH) + " token create --data " + data.string() +
                                        " --role ingest --name loader 2>/dev/null");
  ASSERT_EQ(token.rfind("vgl_", 0), 0u) << token;
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};

  server_ = start_server(data, dir_ / "serve.log");
  ASSERT_GT(server_.port, 0);

  std::mutex mutex;
  std::vector<std::int64_t> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> counter{0};
  auto client_loop = [&](int port) {
    httplib::Client cli("127.0.0.1", port);
    cli.set_connection_timeout(1, 0);
    cli.set_read_timeout(2, 0);
    while (!stop) {
      const int n = counter++;
      json e = {{"idempotency_key", "kill-" + std::to_string(n)},
                {"type", "message.reported"},
                {"occurred_at", "2026-11-26T12:00:00Z"},
                {"account_id", "reporter-" + std::to_string(n % 7)},
                {"reporter_account_id", "reporter-" + std::to_string(n % 7)},
                {"reported_account_id", "suspect"},
                {"text", "report number " + std::to_string(n)}};
      auto r = cli.Post("/v1/events", auth, e.dump(), "application/json");
      if (!r) continue;  // the server is gone: this event was not acknowledged
      if (r->status == 202) {
        std::lock_guard lock(mutex);
        acked.push_back(json::parse(r->body)["id"].get<std::int64_t>());
      }
    }
  };
  std::thread t1(client_loop, server_.port);
  std::thread t2(client_loop, server_.port);
  // Kill mid-load, once a good number of events were acknowledged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (acked.size() >= 300) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int status = stop_server(server_, SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status));
  stop = true;
  t1.join();
  t2.join();
  ASSERT_GT(acked.size(), 50u);
  std::int64_t in_queue_at_kill = 0;
  {
    vigil::store::SqliteServiceStore st(data / "vigil.db");
    in_queue_at_kill = st.queue_depth();
  }
  std::printf("acknowledged %zu events; %lld queued or in flight at SIGKILL\n", acked.size(),
              static_cast<long long>(in_queue_at_kill));

  // Restart on the same data directory and wait for the queue to drain.
  server_ = start_server(data, dir_ / "serve.log");
  ASSERT_GT(server_.port, 0);
  httplib::Client cli("127.0.0.1", server_.port);
  const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::size_t next = 0;
  while (next < acked.size() && std::chrono::steady_clock::now() < drain_deadline) {
    auto r = cli.Get("/v1/events/" + std::to_string(acked[next]), auth);
    if (r && r->status == 200 && json::parse(r->body)["status"] == "done") {
      ++next;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_EQ(next, acked.size()) << "queue did not drain";
  // Graceful shutdown: SIGTERM, exit status 0.
  const int term = stop_server(server_, SIGTERM);
  EXPECT_TRUE(WIFEXITED(term));
  EXPECT_EQ(WEXITSTATUS(term), 0);

  vigil::store::SqliteServiceStore st(data / "vigil.db");
  for (auto id : acked) {
    EXPECT_EQ(st.count_outcomes(id), 1) << "event " << id;
    EXPECT_EQ(st.find_event(id)->status, vigil::store::EventStatus::done) << "event " << id;
  }
  EXPECT_EQ(st.queue_depth(), 0);
  // Exactly-once effects: one report signal per processed event, all on the suspect's open case.
  vigil::store::CaseFilter all;
  all.limit = 1000;
  std::int64_t signals = 0;
  std::set<std::int64_t> signal_events;
  for (const auto& c : st.list_cases(all, 0)) {
    EXPECT_EQ(c.account_id, "suspect");
    for (const auto& s : st.case_signals(c.id)) {
      ++signals;
      signal_events.insert(s.event_id);
    }
  }
  EXPECT_EQ(signals, static_cast<std::int64_t>(signal_events.size()));  // no event applied twice
  for (auto id : acked) EXPECT_TRUE(signal_events.count(id)) << "event " << id;
}

}  // namespace
