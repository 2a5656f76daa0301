#pragma once
// ExactIndex: exact-digest lookup (MD5, SHA-1, SHA-256) by hash table. Keys are the signal type
// plus the digest's raw bytes; each key maps to every position added under it (a digest may sit in
// several banks). Not thread-safe for add(); find() is safe concurrently once built.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vigil/common/signal_type.h"

namespace vigil::match {

class ExactIndex {
 public:
  // `digest` is the raw bytes (hex-decoded) of a value of `type`.
  void add(SignalType type, std::span<const std::uint8_t> digest, std::uint32_t position);
  // Appends every position added under (type, digest) to `out`, in insertion order.
  void find(SignalType type, std::span<const std::uint8_t> digest, std::vector<std::uint32_t>& out) const;
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const;
  void reserve(std::size_t n) { map_.reserve(n); }

 private:
  static std::string key(SignalType type, std::span<const std::uint8_t> digest);
  std::unordered_multimap<std::string, std::uint32_t> map_;
  std::size_t size_ = 0;
};

}  // namespace vigil::match
