#include "base/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace stockd {

void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "stockd: assertion failed: %s at %s:%d\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace stockd
