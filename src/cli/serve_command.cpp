// `vigil serve --data DIR [--config FILE] [--listen HOST:PORT]`: runs the detection service until
// SIGINT/SIGTERM, then shuts down gracefully (in-flight requests and claimed events finish).
// Prints "vigil serve: listening on HOST:PORT" on stdout once bound (port 0 picks a free port).
#include <signal.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "command.h"
#include "vigil/server/config.h"
#include "vigil/server/service.h"

namespace vigil::cli {
namespace {

struct ServeOptions {
  std::string data;
  std::string config;
  std::string listen;
};

// Length of the well-formed UTF-8 sequence at the start of `s` (1..4), or 0 if it is not one
// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8_sequence_length(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing beyond U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return n;
}

// Appends `text` as the inside of a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, so that every log line is valid JSON whatever a
// message holds (request paths, token names and error texts come from outside).
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t n = utf8_sequence_length(text.substr(i));
      if (n == 0) {
        out.append(std::string_view("\\ufffd"));
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      case '\b': out.append(std::string_view("\\b")); break;
      case '\f': out.append(std::string_view("\\f")); break;
      default:
        if (u < 0x20 || u == 0x7f) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
          out.append(esc, esc + sizeof esc);
        } else {
          out.push_back(c);
        }
    }
    ++i;
  }
}

// %* in a pattern: the message, JSON-escaped.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

void setup_logging(const server::LogConfig& log) {
  auto logger = spdlog::stderr_logger_mt("vigil");
  if (log.json) {
    // One JSON object per line; the message is escaped by JsonMessageFlag (%*), the other
    // fields are Vigil's own (time, level name, thread number).
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%*"})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int run(const ServeOptions& o) {
  server::ServiceConfig config = o.config.empty() ? server::ServiceConfig{} : server::load_config(o.config);
  config.data_dir = o.data;
  if (!o.listen.empty()) {
    server::parse_listen(o.listen);
    config.server.listen = o.listen;
  }
  setup_logging(config.log);

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::Service service(config);
  const int port = service.start();
  const auto host = server::parse_listen(config.server.listen).first;
  std::printf("vigil serve: listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("received signal {}, shutting down", sig);
    service.stop();
  });
  service.wait();
  if (waiter.joinable()) {
    // stop() came from elsewhere: wake the waiter.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  }
  return 0;
}

CommandRegistrar reg{{"serve", "Run the detection service (events, cases, HMA-compatible API)", [](CLI::App& app) {
                        auto o = std::make_shared<ServeOptions>();
                        app.add_option("--data", o->data, "Data directory (created if missing)")->required();
                        app.add_option("--config", o->config, "TOML config file (docs/configuration.md)");
                        app.add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
                        return [o] { return run(*o); };
                      }}};

}  // namespace
}  // namespace vigil::cli
