#pragma once

namespace moewb {
// Project version, from CMake's project(VERSION ...).
const char* version();
} // namespace moewb
