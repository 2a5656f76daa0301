#include "vigil/server/text_signals.h"

#include "vigil/text/text_scanner.h"

namespace vigil::server {

std::string_view to_string(TextFieldKind field) {
  switch (field) {
    case TextFieldKind::username: return "username";
    case TextFieldKind::display_name: return "display_name";
    case TextFieldKind::group_name: return "group_name";
    case TextFieldKind::group_description: return "group_description";
    case TextFieldKind::message_text: return "message_text";
  }
  return "unknown";
}

namespace {

text::TextField to_scanner_field(TextFieldKind field) {
  switch (field) {
    case TextFieldKind::username: return text::TextField::username;
    case TextFieldKind::display_name: return text::TextField::display_name;
    case TextFieldKind::group_name: return text::TextField::group_name;
    case TextFieldKind::group_description: return text::TextField::description;
    case TextFieldKind::message_text: return text::TextField::post;
  }
  return text::TextField::post;
}

class ScannerSource final : public TextSignalSource {
 public:
  explicit ScannerSource(std::unique_ptr<text::TextScanner> scanner) : scanner_(std::move(scanner)) {}

  TextSignal scan(std::string_view text, TextFieldKind field) const override {
    const text::TextScanResult r = scanner_->scan(text, to_scanner_field(field));
    TextSignal s;
    s.flagged = r.flagged;
    s.score = r.score;
    // to_json gives term ids, categories, offsets and handles; no copy of the scanned text.
    s.detail = text::to_json(r);
    s.detail["field"] = to_string(field);
    return s;
  }
  std::string version() const override { return scanner_->lexicon_version(); }

 private:
  std::unique_ptr<text::TextScanner> scanner_;
};

}  // namespace

std::unique_ptr<TextSignalSource> make_text_scanner_source(const TextConfig& config) {
  std::unique_ptr<text::TextScanner> scanner;
  if (config.rules.empty()) {
    scanner = std::make_unique<text::TextScanner>(text::TextScanner::with_starter_lexicon());
  } else {
    scanner = std::make_unique<text::TextScanner>(config.rules);
  }
  return std::make_unique<ScannerSource>(std::move(scanner));
}

}  // namespace vigil::server
