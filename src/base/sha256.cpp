#include "base/sha256.hpp"

#include <openssl/evp.h>

#include "base/assert.hpp"

namespace stockd {

Sha256Digest sha256(std::string_view data) { return sha256(data, {}); }

Sha256Digest sha256(std::string_view first, std::string_view second) {
  Sha256Digest digest{};
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  STOCKD_ASSERT(context != nullptr);
  unsigned int length = 0;
  const bool ok = EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(context, first.data(), first.size()) == 1 &&
                  EVP_DigestUpdate(context, second.data(), second.size()) == 1 &&
                  EVP_DigestFinal_ex(context, digest.data(), &length) == 1;
  EVP_MD_CTX_free(context);
  STOCKD_ASSERT(ok);
  STOCKD_ASSERT(length == digest.size());
  return digest;
}

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const uint8_t byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace stockd
