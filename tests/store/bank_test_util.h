#pragma once
// Helpers shared by the bank store tests: a per-test temp folder and benign sample values.
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "vigil/common/error.h"
#include "vigil/store/bank.h"

namespace vigil::store::testing {

using vigil::testing::TempDir;

// The message of the vigil::Error that fn throws, or "(no error)".
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A distinct valid value of the type, derived from n (not a hash of anything).
inline std::string sample_value(SignalType type, int n) {
  static const char* kDigits = "0123456789abcdef";
  std::string v(hex_length(type), '0');
  unsigned x = static_cast<unsigned>(n) * 2654435761u + 12345u;
  for (auto& c : v) {
    x = x * 1103515245u + 12345u;
    c = kDigits[(x >> 16) & 15];
  }
  // Make the prefix carry n so distinct n give distinct values.
  const std::string tag = std::to_string(n);
  v.replace(0, tag.size(), tag);
  return v;
}

inline BankEntry make_entry(SignalType type, int n) {
  BankEntry e;
  e.signal_type = type;
  e.value = sample_value(type, n);
  return e;
}

}  // namespace vigil::store::testing
