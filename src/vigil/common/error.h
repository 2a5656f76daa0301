#pragma once
// The one exception type that Vigil's library throws for expected failures (bad input, I/O,
// limits). Its message is meant for people: it names what was wrong and, where it helps, where.
// Messages never contain media bytes, reported text or secrets.
#include <stdexcept>
#include <string>

namespace vigil {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace vigil
