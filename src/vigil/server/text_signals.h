#pragma once
// The service's seam for text: every text field of an event (usernames, display names, group
// names and descriptions, reported message text) goes through a TextSignalSource, which says
// whether it is a signal and why. The text-signals engine (vigil::text::TextScanner) plugs in
// through make_text_scanner_source; tests and other engines can implement the interface.
//
// A TextSignal's detail never contains the scanned text itself: it names categories, lexicon
// term ids and byte offsets, so it can be stored with a case and logged safely.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "vigil/server/config.h"

namespace vigil::text {
class TextScanner;
}

namespace vigil::server {

enum class TextFieldKind { username, display_name, group_name, group_description, message_text };
std::string_view to_string(TextFieldKind field);

struct TextSignal {
  bool flagged = false;
  double score = 0.0;          // 0..1
  nlohmann::json detail;       // categories, matched term ids with offsets, handles, lexicon version
};

class TextSignalSource {
 public:
  virtual ~TextSignalSource() = default;
  virtual TextSignal scan(std::string_view text, TextFieldKind field) const = 0;
  virtual std::string version() const = 0;  // e.g. the lexicon version
};

// Adapts the text-signals engine: the starter lexicon, or `config.rules` when set.
std::unique_ptr<TextSignalSource> make_text_scanner_source(const TextConfig& config);

}  // namespace vigil::server
