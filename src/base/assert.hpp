// Invariant checks that stay on in every build. An assertion states something the
// code itself guarantees; it must never be reachable by user input (validate that
// and return a status instead). A failed assertion is a bug: the process stops
// before it can write a wrong state.
#pragma once

namespace stockd {

[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);

}  // namespace stockd

#define STOCKD_ASSERT(condition)                                  \
  do {                                                            \
    if (!(condition)) [[unlikely]] {                              \
      ::stockd::assertion_failed(#condition, __FILE__, __LINE__); \
    }                                                             \
  } while (false)

#define STOCKD_UNREACHABLE() ::stockd::assertion_failed("unreachable", __FILE__, __LINE__)
