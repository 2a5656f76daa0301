#include "vigil/common/version.h"
namespace vigil {
const char* version() { return VIGIL_VERSION_STRING; }
}  // namespace vigil
