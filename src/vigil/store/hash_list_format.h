#pragma once
// The file formats a bank can be imported from and exported to (see docs/banks.md):
//   plain  one hash per line, optionally preceded by its signal type and followed by a quality
//   csv    comma-separated, with a header row (our export, python-threatexchange `dataset --csv`)
//          or without one (HMA sample-data layout: hash,id,time,tags)
//   tsv    the same with tabs
//   jsonl  one JSON object per line (lossless; the default export)
#include <filesystem>
#include <optional>
#include <string_view>

#include "vigil/common/signal_type.h"

namespace vigil::store {

enum class HashListFormat { plain, csv, tsv, jsonl };

std::string_view to_string(HashListFormat f);
// "plain" (or "txt"), "csv", "tsv", "jsonl" (or "ndjson"); nullopt otherwise.
std::optional<HashListFormat> parse_hash_list_format(std::string_view name);
// By file extension: .txt .hex .lst -> plain, .csv, .tsv, .jsonl .ndjson; nullopt otherwise.
std::optional<HashListFormat> format_from_path(const std::filesystem::path& path);
// Signal type names as other tools write them: our own names in any case, plus "photo_md5"
// and "video_md5" (python-threatexchange / HMA) as md5.
std::optional<SignalType> parse_signal_type_alias(std::string_view name);

}  // namespace vigil::store
