#include "vigil/match/exact_index.h"

#include <algorithm>

namespace vigil::match {

std::string ExactIndex::key(SignalType type, std::span<const std::uint8_t> digest) {
  std::string k;
  k.reserve(digest.size() + 1);
  k.push_back(static_cast<char>(type));
  k.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return k;
}

void ExactIndex::add(SignalType type, std::span<const std::uint8_t> digest, std::uint32_t position) {
  map_.emplace(key(type, digest), position);
  ++size_;
}

void ExactIndex::find(SignalType type, std::span<const std::uint8_t> digest, std::vector<std::uint32_t>& out) const {
  const auto [b, e] = map_.equal_range(key(type, digest));
  const auto start = out.size();
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
}

std::size_t ExactIndex::memory_bytes() const {
  // Node (key string with its small buffer, value, next pointer, cached hash) plus bucket array.
  return size_ * (sizeof(std::string) + 4 + 2 * sizeof(void*)) + map_.bucket_count() * sizeof(void*);
}

}  // namespace vigil::match
