#pragma once
namespace vigil {
// The project version, from CMake's project(VERSION ...).
const char* version();
}  // namespace vigil
