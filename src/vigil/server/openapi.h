#pragma once
// The OpenAPI 3.0 document for /v1, served at GET /v1/openapi.json.
#include <string>

namespace vigil::server {
const std::string& openapi_document();
}
