// `vigil serve` JSON logs: every line is one valid JSON object even when a message holds text
// from outside (here a request path with a quote, a backslash, a newline, a control byte and a
// byte that is not UTF-8), and the message parses back to the text that was logged.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "serve_process.h"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace vigil::cli::testing;

TEST(ServeJsonLog, MessagesWithQuotesBackslashesAndControlBytesStayValidJson) {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("vigil-serve-log-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(dir);
  const fs::path log = dir / "serve.log";
  ServerProcess server = start_server(dir / "data", log);
  ASSERT_GT(server.port, 0);
  {
    httplib::Client cli("127.0.0.1", server.port);
    // The server decodes the path: /odd"\<newline><0x01>end and /bad<0xFF>byte.
    auto r = cli.Get("/odd%22%5C%0A%01end");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = cli.Get("/bad%FFbyte");
    ASSERT_TRUE(r);
  }
  const int status = stop_server(server, SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  std::ifstream in(log, std::ios::binary);
  std::string line;
  std::vector<std::string> messages;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    json j;
    ASSERT_NO_THROW(j = json::parse(line)) << "not JSON: " << line;
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("thread")) << line;
    messages.push_back(j.at("msg").get<std::string>());
  }
  EXPECT_GE(lines, 4);  // listening, two requests, stopping, stopped
  const std::string odd = "http GET /odd\"\\\n\x01" "end 404";
  EXPECT_NE(std::find(messages.begin(), messages.end(), odd), messages.end()) << "no message " << json(odd).dump();
  // A byte that is not UTF-8 becomes U+FFFD (the line stays valid JSON).
  bool replaced = false;
  for (const auto& m : messages) replaced = replaced || m.find("/bad\xEF\xBF\xBD" "byte") != std::string::npos;
  EXPECT_TRUE(replaced);
  fs::remove_all(dir);
}

}  // namespace
