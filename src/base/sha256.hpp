// SHA-256 over byte strings (OpenSSL). Pure: no state between calls.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace stockd {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
// SHA-256 of `first` followed by `second`, without concatenating them first.
Sha256Digest sha256(std::string_view first, std::string_view second);

std::string to_hex(const Sha256Digest& digest);
inline std::string_view as_bytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace stockd
