#pragma once
// Messenger handles advertised in public text: "wickr: name", "add me on kik name",
// "telegram @name", "t.me/name", "session id 05<64 hex>", "snap: name", "signal: name.01", ...
// Works on the light normalised view (lower-case, punctuation kept).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::text {

struct HandleHit {
  std::string platform;
  std::string handle;
  std::size_t start = 0;  // byte offsets of the handle in the view that was searched
  std::size_t end = 0;
};

// Appends every advertised handle in `view` to `out` (each platform+handle once). Linear in the
// size of `view`.
void find_messenger_handles(std::string_view view, std::vector<HandleHit>& out);

}  // namespace vigil::text
