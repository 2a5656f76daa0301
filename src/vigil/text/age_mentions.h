#pragma once
// Age mentions: a number (digits or an English number word) next to an age marker ("12yo",
// "12 y/o", "twelve year old", "14 (f)", "(m) 13", "[14f]"). Works on the light normalised view
// (lower-case, digits kept), so fullwidth digits and homoglyph markers are covered.
#include <cstddef>
#include <string_view>
#include <vector>

namespace vigil::text {

struct AgeMention {
  std::size_t start = 0;  // byte offsets in the view that was searched
  std::size_t end = 0;
  int age = 0;
};

// Appends every age mention in `view` to `out`. Linear in the size of `view`.
void find_age_mentions(std::string_view view, std::vector<AgeMention>& out);

}  // namespace vigil::text
