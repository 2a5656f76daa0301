#pragma once
// Helpers shared by the bank store tests: a per-test temp folder and benign sample values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "vigil/store/bank.h"

namespace vigil::store::testing {

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("vigil-h3-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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
