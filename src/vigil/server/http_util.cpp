#include "vigil/server/http_util.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "vigil/common/ascii.h"
#include "vigil/server/api_error.h"

namespace vigil::server {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, status, {{"error", code}, {"message", message}});
}

httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> fn) {
  return [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const ApiError& e) {
      send_error(res, e.status(), e.code(), e.what());
    } catch (const nlohmann::json::parse_error& e) {
      send_error(res, 400, "malformed_json", fmt::format("request body is not valid JSON (byte {})", e.byte));
    } catch (const nlohmann::json::exception& e) {
      send_error(res, 400, "invalid_json", fmt::format("request JSON has an unexpected shape: {}", e.what()));
    } catch (const Error& e) {
      send_error(res, 400, "bad_request", e.what());
    } catch (const std::exception& e) {
      spdlog::error("internal error on {} {}: {}", req.method, req.path, e.what());
      send_error(res, 500, "internal_error", "internal error; see the server log");
    }
  };
}

std::optional<std::string> query_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

bool query_bool(const httplib::Request& req, const char* name, bool fallback) {
  auto v = query_param(req, name);
  if (!v) return fallback;
  const std::string s = ascii_lower(*v);
  if (s == "true" || s == "1" || s == "yes" || s == "t" || s == "y") return true;
  if (s == "false" || s == "0" || s == "no" || s == "f" || s == "n" || s.empty()) return false;
  throw ApiError(400, "invalid_parameter", fmt::format("parameter '{}' must be true or false", name));
}

std::int64_t parse_id(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 18) throw ApiError(400, "invalid_parameter", fmt::format("{} must be a positive integer", what));
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw ApiError(400, "invalid_parameter", fmt::format("{} must be a positive integer", what));
    v = v * 10 + (c - '0');
  }
  return v;
}

nlohmann::json parse_json_body(const httplib::Request& req) {
  if (req.body.empty()) throw ApiError(400, "malformed_json", "request body is empty; a JSON document is required");
  return nlohmann::json::parse(req.body);
}

}  // namespace vigil::server
