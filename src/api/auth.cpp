#include "api/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/assert.hpp"
#include "base/bytes.hpp"

namespace stockd {
namespace {

constexpr std::string_view kPrefix = "stk_";
constexpr std::string_view kAuxPrefix = "token/";
constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 24;

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  STOCKD_ASSERT(RAND_bytes(buffer.data(), static_cast<int>(bytes)) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : buffer) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

bool same_digest(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string encode(const TokenInfo& info) {
  ByteWriter out;
  out.u8(1);
  out.str(info.id);
  out.str(info.name);
  out.u32(info.scopes);
  out.i64(micros_of(info.created_at));
  out.i64(micros_of(info.expires_at));
  out.u8(info.revoked ? 1 : 0);
  out.raw(as_bytes(info.secret_hash));
  return out.take();
}

std::optional<TokenInfo> decode(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != 1) return std::nullopt;
  TokenInfo info;
  info.id = in.str();
  info.name = in.str();
  info.scopes = in.u32();
  info.created_at = timestamp_from_micros(in.i64());
  info.expires_at = timestamp_from_micros(in.i64());
  info.revoked = in.u8() == 1;
  const std::string_view hash = in.raw(info.secret_hash.size());
  if (!in.ok() || !in.at_end()) return std::nullopt;
  std::copy(hash.begin(), hash.end(), info.secret_hash.begin());
  return info;
}

constexpr std::pair<Scope, std::string_view> kScopeNames[] = {
    {scope_stock_read, "stock:read"},
    {scope_events_write, "events:write"},
    {scope_reservations_write, "reservations:write"},
    {scope_orders_write, "orders:write"},
    {scope_admin, "admin"},
};

}  // namespace

std::string_view scope_name(Scope scope) {
  for (const auto& [value, name] : kScopeNames) {
    if (value == scope) return name;
  }
  STOCKD_UNREACHABLE();
}

std::optional<uint32_t> parse_scopes(std::string_view text) {
  uint32_t scopes = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view word = text.substr(0, comma);
    bool found = false;
    for (const auto& [value, name] : kScopeNames) {
      if (name == word) {
        scopes |= value;
        found = true;
      }
    }
    if (!found) return std::nullopt;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (scopes == 0) return std::nullopt;
  return scopes;
}

std::string scopes_text(uint32_t scopes) {
  std::string out;
  for (const auto& [value, name] : kScopeNames) {
    if ((scopes & value) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(name);
  }
  return out;
}

TokenStore::TokenStore(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

Status TokenStore::load() {
  std::unique_lock lock(mutex_);
  bool corrupt = false;
  const Status status =
      store_.for_each_aux(kAuxPrefix, [&](std::string_view, std::string_view value) {
        auto info = decode(value);
        if (!info) {
          corrupt = true;
          return;
        }
        tokens_[info->id] = std::move(*info);
      });
  if (!status.is_ok()) return status;
  if (corrupt) return Status::error("store is corrupt: an unreadable API token record");
  return Status::ok();
}

std::string TokenStore::create(std::string name, uint32_t scopes,
                               std::optional<Duration> expires_in, TokenInfo* out) {
  STOCKD_ASSERT(scopes != 0 && (scopes & ~kAllScopes) == 0);
  TokenInfo info;
  info.id = random_hex(kIdBytes);
  info.name = std::move(name);
  info.scopes = scopes;
  info.created_at = clock_.now();
  if (expires_in) info.expires_at = info.created_at + *expires_in;
  const std::string secret = random_hex(kSecretBytes);
  info.secret_hash = sha256(secret);
  if (Status status = store_.put_aux(std::string(kAuxPrefix) + info.id, encode(info));
      !status.is_ok()) {
    std::fprintf(stderr, "stockd: cannot store token: %s\n", status.message().c_str());
    std::abort();
  }
  {
    std::unique_lock lock(mutex_);
    tokens_[info.id] = info;
  }
  if (out != nullptr) *out = info;
  return std::string(kPrefix) + info.id + "_" + secret;
}

Status TokenStore::revoke(std::string_view id) {
  std::unique_lock lock(mutex_);
  const auto found = tokens_.find(std::string(id));
  if (found == tokens_.end()) return Status::error("no token with id " + std::string(id));
  TokenInfo revoked = found->second;
  revoked.revoked = true;
  if (Status status = store_.put_aux(std::string(kAuxPrefix) + revoked.id, encode(revoked));
      !status.is_ok()) {
    return status;
  }
  found->second = std::move(revoked);
  return Status::ok();
}

std::vector<TokenInfo> TokenStore::list() const {
  std::shared_lock lock(mutex_);
  std::vector<TokenInfo> out;
  for (const auto& [id, info] : tokens_) out.push_back(info);
  std::sort(out.begin(), out.end(),
            [](const TokenInfo& a, const TokenInfo& b) { return a.created_at < b.created_at; });
  return out;
}

void TokenStore::seed_admin(std::string_view token) {
  std::unique_lock lock(mutex_);
  seeded_admin_hash_ = sha256(token);
}

std::optional<Principal> TokenStore::authenticate(std::string_view token) const {
  std::shared_lock lock(mutex_);
  if (seeded_admin_hash_ && same_digest(sha256(token), *seeded_admin_hash_)) {
    return Principal{"env", "STOCKD_ADMIN_TOKEN", kAllScopes};
  }
  if (token.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  token.remove_prefix(kPrefix.size());
  const size_t separator = token.find('_');
  if (separator == std::string_view::npos) return std::nullopt;
  const auto found = tokens_.find(std::string(token.substr(0, separator)));
  if (found == tokens_.end()) return std::nullopt;
  const TokenInfo& info = found->second;
  if (!same_digest(sha256(token.substr(separator + 1)), info.secret_hash)) return std::nullopt;
  if (info.revoked) return std::nullopt;
  if (micros_of(info.expires_at) != 0 && clock_.now() >= info.expires_at) return std::nullopt;
  return Principal{info.id, info.name, info.scopes};
}

}  // namespace stockd
