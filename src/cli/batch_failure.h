#pragma once
// One bad file never stops a batch: run the work for one file and turn any failure into the
// message for that file's error line ("" when it succeeded).
#include <exception>
#include <new>
#include <string>

#include "vigil/common/error.h"

namespace vigil::cli {

template <typename Work>
std::string batch_failure(Work&& work) {
  try {
    work();
    return {};
  } catch (const Error& e) {
    return e.what();
  } catch (const std::bad_alloc&) {
    return "out of memory while decoding";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace vigil::cli
