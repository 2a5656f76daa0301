#include "vigil/store/bank.h"

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

}  // namespace vigil::store
