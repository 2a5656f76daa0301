// HttpServer: the epoll front end in front of httplib's request handling. Raw sockets on
// loopback, so that each test controls exactly which bytes arrive when.
#include "vigil/server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vigil::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// A client socket that sends exact bytes and reads responses with a deadline.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void send(const std::string& bytes) const {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }

  // Reads until `buffer_` holds a complete response (Content-Length framed) or the deadline
  // passes; nullopt on timeout or end of stream before a whole response.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto r = take_response()) return r;
      if (!receive_until(deadline)) return std::nullopt;
    }
  }

  // True when the server closes the connection (end of stream) before the deadline, after
  // discarding anything else it sends.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }
  const std::string& received() const { return buffer_; }

 private:
  bool receive_until(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  std::optional<RawResponse> take_response() {
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    RawResponse r;
    r.head = buffer_.substr(0, end + 2);
    r.status = std::atoi(r.head.c_str() + 9);
    std::size_t length = 0;
    if (const auto at = r.head.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(r.head.substr(at + 16));
    }
    if (buffer_.size() < end + 4 + length) return std::nullopt;
    r.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return r;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"; }

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(options);
    server_->set_inline_paths({"/ping"});  // everything else runs on the handler pool
    server_->Get("/ping", [this](const httplib::Request&, httplib::Response& res) {
      record_thread("ping");
      res.set_content("pong", "text/plain");
    });
    server_->Get("/where", [this](const httplib::Request&, httplib::Response& res) {
      record_thread("where");
      res.set_content("here", "text/plain");
    });
    server_->Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_param_value("n"), "text/plain");
    });
    server_->Post("/echo", [](const httplib::Request& req, httplib::Response& res) { res.set_content(req.body, "text/plain"); });
    server_->Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      slow_started_.set_value();
      std::this_thread::sleep_for(400ms);
      res.set_content("finished", "text/plain");
    });
    server_->Get("/big", [](const httplib::Request&, httplib::Response& res) {
      std::string body(8u << 20, '\0');
      for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7919) % 26);
      res.set_content(body, "application/octet-stream");
    });
    port_ = server_->bind_and_listen("127.0.0.1", 0);
    ASSERT_GT(port_, 0);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->shutdown();
  }

  void record_thread(const std::string& route) {
    std::lock_guard lock(threads_mutex_);
    threads_seen_[route].insert(std::this_thread::get_id());
  }
  std::set<std::thread::id> threads_seen(const std::string& route) {
    std::lock_guard lock(threads_mutex_);
    return threads_seen_[route];
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::promise<void> slow_started_;
  std::mutex threads_mutex_;
  std::map<std::string, std::set<std::thread::id>> threads_seen_;
};

TEST_F(HttpServerTest, IdleKeptAliveConnectionsHoldNoThread) {
  // Two handler threads and ten kept-alive connections: with a thread per connection, the
  // third connection would wait for one of the first two to close (5 s keep-alive).
  start({.event_threads = 1, .threads = 2});
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(std::make_unique<RawClient>(port_));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      clients[i]->send(get("/echo?n=" + std::to_string(round * 10 + i)));
      auto r = clients[i]->read_response(2000ms);
      ASSERT_TRUE(r) << "connection " << i << " round " << round << " got no answer";
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->body, std::to_string(round * 10 + i));
    }
  }
  EXPECT_EQ(server_->open_connections(), 10u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start({.threads = 4});
  RawClient c(port_);
  c.send(get("/echo?n=1") + get("/echo?n=2") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nthree" +
         get("/echo?n=4"));
  for (const char* expected : {"1", "2", "three", "4"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << expected;
    EXPECT_EQ(r->body, expected);
  }
}

TEST_F(HttpServerTest, AClientSendingItsHeaderSlowlyHoldsNoThread) {
  start({.event_threads = 1, .threads = 1});
  RawClient slow(port_);
  slow.send("GET /ping HTTP/1.1\r\nHost: t\r\n");  // an inline path, header block not finished
  std::this_thread::sleep_for(50ms);
  RawClient other(port_);
  other.send(get("/ping"));
  auto r = other.read_response(1500ms);
  ASSERT_TRUE(r) << "the only handler thread was held by an incomplete header";
  EXPECT_EQ(r->body, "pong");
  slow.send("X-Late: 1\r\n\r\n");
  auto late = slow.read_response();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->body, "pong");
}

TEST_F(HttpServerTest, InlinePathsRunOnTheEventThreadAndTheRestOnTheHandlerPool) {
  start({.event_threads = 1, .threads = 1});
  RawClient c(port_);
  for (int i = 0; i < 3; ++i) {
    for (const char* path : {"/ping", "/where", "/ping?x=1", "/where?x=1"}) {
      c.send(get(path));
      ASSERT_TRUE(c.read_response()) << path;
    }
  }
  c.send("POST /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");  // no POST route: 404
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  const auto ping = threads_seen("ping");
  const auto where = threads_seen("where");
  ASSERT_EQ(ping.size(), 1u);   // the one event thread
  ASSERT_EQ(where.size(), 1u);  // the one handler thread
  EXPECT_NE(*ping.begin(), *where.begin());
}

TEST_F(HttpServerTest, ABodyOnAMethodThatTakesNoneIsRefused) {
  // httplib would leave the body in the connection and read it as the next request; an event
  // thread would wait for a body never sent. The server refuses the request and closes.
  start({.event_threads = 1, .threads = 1});
  for (const std::string header : {"Content-Length: 100", "content-LENGTH: 5", "Transfer-Encoding: chunked"}) {
    RawClient c(port_);
    c.send("GET /ping HTTP/1.1\r\nHost: t\r\n" + header + "\r\n\r\nGET /where HTTP/1.1\r\n\r\n");
    auto r = c.read_response(1000ms);
    ASSERT_TRUE(r) << header;
    EXPECT_EQ(r->status, 400) << header;
    EXPECT_NE(r->body.find("unexpected_body"), std::string::npos);
    EXPECT_TRUE(c.closed_within(1000ms)) << header;
  }
  EXPECT_TRUE(threads_seen("where").empty());
  RawClient zero(port_);  // Content-Length: 0 is no body
  zero.send("GET /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  auto r = zero.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "pong");
}

TEST_F(HttpServerTest, ASlowHandlerDoesNotStallTheInlinePaths) {
  start({.event_threads = 1, .threads = 2});
  RawClient slow(port_);
  slow.send(get("/slow"));
  slow_started_.get_future().wait();
  RawClient fast(port_);
  const auto t0 = Clock::now();
  fast.send(get("/ping"));
  auto r = fast.read_response();
  ASSERT_TRUE(r);
  EXPECT_LT(Clock::now() - t0, 300ms) << "the inline path waited for the slow handler";
  auto done = slow.read_response();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->body, "finished");
}

TEST_F(HttpServerTest, AnIncompleteHeaderTimesOutWith408) {
  start({.threads = 2, .read_timeout_ms = 300});
  RawClient c(port_);
  const auto t0 = Clock::now();
  c.send("GET /ping HTTP/1.1\r\nHost: t\r\n");
  std::this_thread::sleep_for(150ms);
  c.send("X-Drip: 1\r\n");  // more bytes do not extend the deadline
  auto r = c.read_response(3000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_NE(r->body.find("request_timeout"), std::string::npos);
  EXPECT_GE(Clock::now() - t0, 290ms);
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST_F(HttpServerTest, AnIdleConnectionIsClosedAfterTheKeepAliveTimeout) {
  start({.threads = 2, .keep_alive_timeout_ms = 200});
  RawClient c(port_);
  c.send(get("/ping"));
  ASSERT_TRUE(c.read_response());
  EXPECT_EQ(server_->open_connections(), 1u);
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.closed_within(3000ms));
  EXPECT_GE(Clock::now() - t0, 150ms);
  for (int i = 0; i < 100 && server_->open_connections() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(HttpServerTest, ClosesAfterTheMaximumRequestsOnOneConnection) {
  start({.threads = 2, .keep_alive_max_requests = 3});
  RawClient c(port_);
  for (int i = 1; i <= 3; ++i) {
    c.send(get("/ping"));
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->head.find("Connection: close") != std::string::npos, i == 3) << i;
  }
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  start({.threads = 2});
  RawClient c(port_);
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_response(1000ms);
  ASSERT_TRUE(interim) << "no 100 Continue: the client would wait (curl: 1 s) before sending its body";
  EXPECT_EQ(interim->status, 100);
  c.send("hello");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

TEST_F(HttpServerTest, ChunkedBodiesAreReassembled) {
  start({.threads = 2});
  RawClient c(port_);
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  std::this_thread::sleep_for(50ms);  // the rest arrives later: the handler thread waits for it
  c.send("4\r\ndefg\r\n0\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "abcdefg");
}

TEST_F(HttpServerTest, AnOversizeHeaderGets431AndTheConnectionCloses) {
  start({.threads = 2, .max_header_bytes = 1024});
  RawClient c(port_);
  c.send("GET /ping HTTP/1.1\r\nX-Filler: " + std::string(2000, 'f'));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find("headers_too_large"), std::string::npos);
  EXPECT_TRUE(c.closed_within(2000ms));
  RawClient after(port_);  // the server goes on
  after.send(get("/ping"));
  ASSERT_TRUE(after.read_response());
}

TEST_F(HttpServerTest, AMalformedRequestLineGets400) {
  start({.threads = 2});
  RawClient c(port_);
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitGet503) {
  start({.threads = 2, .max_connections = 2});
  RawClient a(port_), b(port_);
  a.send(get("/ping"));
  b.send(get("/ping"));
  ASSERT_TRUE(a.read_response());
  ASSERT_TRUE(b.read_response());
  RawClient third(port_);
  auto r = third.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("too_many_connections"), std::string::npos);
  EXPECT_TRUE(third.closed_within(2000ms));
  a.send(get("/ping"));  // the accepted ones are unaffected
  ASSERT_TRUE(a.read_response());
}

TEST_F(HttpServerTest, ShutdownLetsARequestBeingHandledFinish) {
  start({.threads = 2});
  RawClient c(port_);
  RawClient idle(port_);
  idle.send(get("/ping"));
  ASSERT_TRUE(idle.read_response());
  c.send(get("/slow"));
  slow_started_.get_future().wait();
  const auto t0 = Clock::now();
  server_->shutdown();  // returns once the slow request has answered
  EXPECT_GE(Clock::now() - t0, 300ms);
  auto r = c.read_response(1000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "finished");
  EXPECT_TRUE(c.closed_within(1000ms));
  EXPECT_TRUE(idle.closed_within(1000ms));
  RawClient refused(port_);
  EXPECT_FALSE(refused.connected());
}

TEST_F(HttpServerTest, ALargeResponseReachesAClientThatReadsSlowly) {
  start({.threads = 2});
  RawClient c(port_);
  c.send(get("/big"));
  std::this_thread::sleep_for(300ms);  // 8 MiB do not fit the socket buffers: the server waits
  auto r = c.read_response(10000ms);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->body.size(), 8u << 20);
  bool same = true;
  for (std::size_t i = 0; i < r->body.size() && same; ++i) same = r->body[i] == static_cast<char>('a' + (i * 7919) % 26);
  EXPECT_TRUE(same);
}

TEST_F(HttpServerTest, ManyClientsAtOnceAllGetTheirOwnAnswers) {
  start({.threads = 3, .keep_alive_max_requests = 1000});
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RawClient c(port_);
      for (int i = 0; i < 200; ++i) {
        const std::string n = std::to_string(t * 1000 + i);
        c.send(get("/echo?n=" + n));
        auto r = c.read_response();
        if (!r || r->body != n) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace vigil::server
