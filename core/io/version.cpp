#include "core/io/version.h"

namespace moewb {
const char* version() { return MOEWB_VERSION; }
} // namespace moewb
