#include "vigil/store/bank.h"

#include <fmt/format.h>

#include <algorithm>

#include "vigil/common/error.h"
#include "vigil/common/hex.h"

namespace vigil::store {

std::string_view to_string(BankKind k) { return k == BankKind::allow ? "allow" : "match"; }

std::string_view to_string(BankSource s) {
  switch (s) {
    case BankSource::manual: return "manual";
    case BankSource::file_import: return "file_import";
    case BankSource::exchange: return "exchange";
  }
  return "manual";
}

std::string_view to_string(CurationState c) {
  switch (c) {
    case CurationState::unreviewed: return "unreviewed";
    case CurationState::confirmed: return "confirmed";
    case CurationState::disputed: return "disputed";
  }
  return "unreviewed";
}

std::optional<BankKind> parse_bank_kind(std::string_view s) {
  if (s == "match") return BankKind::match;
  if (s == "allow") return BankKind::allow;
  return std::nullopt;
}

std::optional<BankSource> parse_bank_source(std::string_view s) {
  if (s == "manual") return BankSource::manual;
  if (s == "file_import") return BankSource::file_import;
  if (s == "exchange") return BankSource::exchange;
  return std::nullopt;
}

std::optional<CurationState> parse_curation_state(std::string_view s) {
  if (s == "unreviewed") return CurationState::unreviewed;
  if (s == "confirmed") return CurationState::confirmed;
  if (s == "disputed") return CurationState::disputed;
  return std::nullopt;
}

namespace {

// Offset of the first byte that does not start a well-formed UTF-8 sequence, or npos.
std::size_t find_bad_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return i;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong = (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

void check_text(std::string_view field, std::string_view text) {
  if (text.size() > kMaxTextFieldLength) {
    throw Error(fmt::format("{} is {} bytes long; at most {} are allowed", field, text.size(), kMaxTextFieldLength));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      throw Error(fmt::format("{} contains control character 0x{:02x} at byte {}", field, c, i + 1));
    }
  }
  if (const auto pos = find_bad_utf8(text); pos != std::string_view::npos) {
    throw Error(fmt::format("{} is not valid UTF-8 (byte {})", field, pos + 1));
  }
}

}  // namespace

void validate_bank_name(std::string_view name) {
  if (name.empty()) throw Error("a bank name must not be empty");
  if (name.size() > kMaxBankNameLength) {
    throw Error(fmt::format("a bank name has at most {} characters, got {}", kMaxBankNameLength, name.size()));
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) {
      throw Error(fmt::format("a bank name may contain only letters, digits, '_', '.' and '-'; character {} is not "
                              "allowed",
                              i + 1));
    }
  }
}

void validate_label(std::string_view label) {
  if (label.empty()) throw Error("a label must not be empty");
  if (label.size() > kMaxLabelLength) {
    throw Error(fmt::format("a label has at most {} bytes, got {}", kMaxLabelLength, label.size()));
  }
  for (std::size_t i = 0; i < label.size(); ++i) {
    const auto c = static_cast<unsigned char>(label[i]);
    if (c <= 0x20 || c == 0x7f) {
      throw Error(fmt::format("a label must not contain spaces or control characters (byte {} of a label)", i + 1));
    }
  }
  if (const auto pos = find_bad_utf8(label); pos != std::string_view::npos) {
    throw Error(fmt::format("a label is not valid UTF-8 (byte {})", pos + 1));
  }
}

void validate_bank(const Bank& bank) {
  validate_bank_name(bank.name);
  check_text("the description", bank.description);
  if (bank.pdq_threshold < 0 || bank.pdq_threshold > kMaxPdqThreshold) {
    throw Error(fmt::format("the PDQ match threshold must be between 0 and {}, got {}", kMaxPdqThreshold,
                            bank.pdq_threshold));
  }
  if (bank.min_quality < 0 || bank.min_quality > 100) {
    throw Error(fmt::format("the minimum query quality must be between 0 and 100, got {}", bank.min_quality));
  }
  for (const auto& label : bank.default_labels) validate_label(label);
}

std::string normalize_entry_value(SignalType type, std::string_view value) {
  const std::size_t want = hex_length(type);
  if (value.size() != want) {
    throw Error(fmt::format("{} value has {} hex digits, expected {}", to_string(type), value.size(), want));
  }
  if (const auto pos = find_non_hex(value); pos != std::string_view::npos) {
    const auto c = static_cast<unsigned char>(value[pos]);
    if (c >= 0x21 && c < 0x7f) {
      throw Error(fmt::format("{} value: character '{}' at position {} is not a hex digit", to_string(type),
                              static_cast<char>(c), pos + 1));
    }
    throw Error(fmt::format("{} value: byte 0x{:02x} at position {} is not a hex digit", to_string(type), c, pos + 1));
  }
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

void validate_entry(const BankEntry& entry) {
  if (normalize_entry_value(entry.signal_type, entry.value) != entry.value) {
    throw Error(fmt::format("{} value must be lowercase hex", to_string(entry.signal_type)));
  }
  if (entry.quality && (*entry.quality < 0 || *entry.quality > 100)) {
    throw Error(fmt::format("quality must be between 0 and 100, got {}", *entry.quality));
  }
  for (const auto& label : entry.labels) validate_label(label);
  check_text("source_id", entry.source_id);
  check_text("added_by", entry.added_by);
  check_text("the note", entry.note);
  check_text("the disabled reason", entry.disabled_reason);
}

std::vector<std::string> unite_labels(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  out.reserve(a.size() + b.size());
  for (const auto* list : {&a, &b}) {
    for (const auto& label : *list) {
      if (std::find(out.begin(), out.end(), label) == out.end()) out.push_back(label);
    }
  }
  return out;
}

}  // namespace vigil::store
