// LibTorch's errors (c10::Error) for people: what() carries a C++ backtrace of 10 to 30 frames, and an
// allocation that failed names its size in bytes deep inside that text. Declared without LibTorch's
// headers; torch_errors.cpp is the one place that looks inside c10::Error.
#pragma once
#include <exception>
#include <string>

namespace moewb {

// True for LibTorch's out-of-memory errors (its CPU allocator's "can't allocate memory", CUDA's
// "out of memory").
bool isOutOfMemory(const std::exception& e);

// e.what(), but for a c10::Error its message without the backtrace, and for an out-of-memory error
// one line: "out of memory: 25.0 GiB were asked for at once" (the size when the message gives it).
std::string errorMessage(const std::exception& e);

} // namespace moewb
