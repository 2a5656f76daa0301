#include "vigil/store/hash_list_export.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace vigil::store {
namespace {

// RFC 4180 quoting when needed; the same rule for TSV with a tab delimiter.
std::string quote(std::string_view field, char delim) {
  bool needs = field.find_first_of(std::string("\"\r\n") + delim) != std::string_view::npos;
  needs = needs || (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!needs) return std::string(field);
  std::string out = "\"";
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string join_labels(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) {
    if (!out.empty()) out += ' ';
    out += l;
  }
  return out;
}

}  // namespace

HashListWriter::HashListWriter(std::ostream& out, HashListFormat format) : out_(out), format_(format) {}

void HashListWriter::header() {
  if (header_done_) return;
  header_done_ = true;
  if (format_ != HashListFormat::csv && format_ != HashListFormat::tsv) return;
  const char delim = format_ == HashListFormat::csv ? ',' : '\t';
  bool first = true;
  for (const char* c : kHashListColumns) {
    if (!first) out_ << delim;
    out_ << c;
    first = false;
  }
  out_ << '\n';
}

void HashListWriter::write(const BankEntry& e) {
  header();
  ++written_;
  switch (format_) {
    case HashListFormat::plain:
      out_ << e.value;
      if (e.quality) out_ << ' ' << *e.quality;
      out_ << '\n';
      return;
    case HashListFormat::jsonl: {
      nlohmann::ordered_json j;
      j["signal_type"] = to_string(e.signal_type);
      j["value"] = e.value;
      j["quality"] = e.quality ? nlohmann::ordered_json(*e.quality) : nlohmann::ordered_json(nullptr);
      j["labels"] = e.labels;
      j["source_id"] = e.source_id;
      j["added_at"] = e.added_at;
      j["added_by"] = e.added_by;
      j["note"] = e.note;
      j["disabled"] = e.disabled;
      j["disabled_reason"] = e.disabled_reason;
      j["curation"] = to_string(e.curation);
      j["entry_id"] = e.id;
      // Replace invalid UTF-8 instead of throwing: an export never fails half-way on one note.
      out_ << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
      return;
    }
    case HashListFormat::csv:
    case HashListFormat::tsv: {
      const char d = format_ == HashListFormat::csv ? ',' : '\t';
      out_ << to_string(e.signal_type) << d << e.value << d << (e.quality ? std::to_string(*e.quality) : "") << d
           << quote(join_labels(e.labels), d) << d << quote(e.source_id, d) << d << e.added_at << d
           << quote(e.added_by, d) << d << quote(e.note, d) << d << (e.disabled ? "true" : "false") << d
           << quote(e.disabled_reason, d) << d << to_string(e.curation) << d << e.id << '\n';
      return;
    }
  }
}

void HashListWriter::finish() {
  header();
  out_.flush();
}

}  // namespace vigil::store
