#include "vigil/store/hash_list_format.h"

#include <algorithm>
#include <string>

namespace vigil::store {
namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}
}  // namespace

std::string_view to_string(HashListFormat f) {
  switch (f) {
    case HashListFormat::plain: return "plain";
    case HashListFormat::csv: return "csv";
    case HashListFormat::tsv: return "tsv";
    case HashListFormat::jsonl: return "jsonl";
  }
  return "plain";
}

std::optional<HashListFormat> parse_hash_list_format(std::string_view name) {
  const auto n = lower(name);
  if (n == "plain" || n == "txt") return HashListFormat::plain;
  if (n == "csv") return HashListFormat::csv;
  if (n == "tsv") return HashListFormat::tsv;
  if (n == "jsonl" || n == "ndjson") return HashListFormat::jsonl;
  return std::nullopt;
}

std::optional<HashListFormat> format_from_path(const std::filesystem::path& path) {
  const auto ext = lower(path.extension().string());
  if (ext == ".txt" || ext == ".hex" || ext == ".lst") return HashListFormat::plain;
  if (ext == ".csv") return HashListFormat::csv;
  if (ext == ".tsv") return HashListFormat::tsv;
  if (ext == ".jsonl" || ext == ".ndjson") return HashListFormat::jsonl;
  return std::nullopt;
}

std::optional<SignalType> parse_signal_type_alias(std::string_view name) {
  const auto n = lower(name);
  if (auto t = parse_signal_type(n)) return t;
  if (n == "photo_md5" || n == "video_md5") return SignalType::md5;
  return std::nullopt;
}

}  // namespace vigil::store
