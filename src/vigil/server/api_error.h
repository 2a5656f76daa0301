#pragma once
// An error the service answers with a 4xx/5xx JSON body naming the problem: {"error": code,
// "message": text}. Messages never contain media bytes, reported text or tokens.
#include <string>

#include "vigil/common/error.h"

namespace vigil::server {

class ApiError : public Error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : Error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

}  // namespace vigil::server
