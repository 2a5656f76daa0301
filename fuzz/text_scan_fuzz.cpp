// libFuzzer target: any bytes as one text item, scanned with the starter lexicon for every field,
// plus the normaliser's invariants (offset maps the same size as the text, inside the input).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vigil/text/normalizer.h"
#include "vigil/text/text_scanner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const vigil::text::TextScanner scanner = vigil::text::TextScanner::with_starter_lexicon();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const vigil::text::Normalized n = vigil::text::normalize(text);
  for (const vigil::text::NormalizedView* view : {&n.light, &n.full}) {
    if (view->start.size() != view->text.size() || view->end.size() != view->text.size()) std::abort();
    for (std::size_t i = 0; i < view->text.size(); ++i) {
      if (view->start[i] > view->end[i] || view->end[i] > size) std::abort();
    }
  }
  if (n.full.altered.size() != n.full.text.size()) std::abort();

  const auto field = size == 0 ? vigil::text::TextField::post : static_cast<vigil::text::TextField>(data[0] % 5);
  const vigil::text::TextScanResult r = scanner.scan(text, field);
  if (!(r.score >= 0.0 && r.score <= 1.0)) std::abort();
  for (const auto& m : r.matches) {
    if (m.start > m.end || m.end > size) std::abort();
  }
  for (const auto& h : r.handles) {
    if (h.start > h.end || h.end > size) std::abort();
  }
  (void)vigil::text::to_json(r).dump();
  return 0;
}
