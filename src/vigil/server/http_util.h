#pragma once
// Small helpers shared by the route files: JSON answers, JSON errors, query parameters, and the
// wrapper that turns exceptions into JSON errors so that no request can take the process down.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace vigil::server {

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": code, "message": message}: the "message" key is HMA's ErrorResponse shape too.
void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message);

// Wraps a handler: ApiError -> its status; malformed JSON -> 400; vigil::Error -> 400;
// anything else -> 500 (logged without request data).
httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> fn);

std::optional<std::string> query_param(const httplib::Request& req, const char* name);
bool query_bool(const httplib::Request& req, const char* name, bool fallback);
std::int64_t parse_id(const std::string& text, const char* what);
nlohmann::json parse_json_body(const httplib::Request& req);

}  // namespace vigil::server
