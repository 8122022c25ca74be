// API tokens: `Authorization: Bearer stk_<id>_<secret>`. Only SHA-256 of the secret is
// stored (in the store's aux records); a new token is shown once. Scopes are a bit set.
// STOCKD_ADMIN_TOKEN seeds an admin token kept in memory only (as its hash).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/sha256.hpp"
#include "base/time.hpp"
#include "engine/store.hpp"

namespace stockd {

enum Scope : uint32_t {
  scope_stock_read = 1u << 0,
  scope_events_write = 1u << 1,
  scope_reservations_write = 1u << 2,
  scope_orders_write = 1u << 3,
  scope_admin = 1u << 4,
};
inline constexpr uint32_t kAllScopes = 0x1f;

std::string_view scope_name(Scope scope);
// Parses "stock:read,events:write"; nullopt on an unknown scope.
std::optional<uint32_t> parse_scopes(std::string_view text);
std::string scopes_text(uint32_t scopes);

struct TokenInfo {
  std::string id;
  std::string name;
  uint32_t scopes = 0;
  Timestamp created_at{};
  Timestamp expires_at{};  // epoch = never
  bool revoked = false;
  Sha256Digest secret_hash{};
};

struct Principal {
  std::string token_id;
  std::string name;
  uint32_t scopes = 0;
  bool has(Scope scope) const { return (scopes & (scope | scope_admin)) != 0; }
};

class TokenStore {
 public:
  // Loads the stored tokens. `store` must outlive this object.
  TokenStore(Store& store, const Clock& clock);
  Status load();

  // Creates and stores a token; returns the full token text (shown once).
  std::string create(std::string name, uint32_t scopes, std::optional<Duration> expires_in,
                     TokenInfo* info = nullptr);
  Status revoke(std::string_view id);
  std::vector<TokenInfo> list() const;

  // Accepts `token` as an admin token without storing it (STOCKD_ADMIN_TOKEN).
  void seed_admin(std::string_view token);

  // The principal for a bearer token, or nullopt if unknown, revoked or expired.
  std::optional<Principal> authenticate(std::string_view token) const;

 private:
  Store& store_;
  const Clock& clock_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, TokenInfo> tokens_;  // by id
  std::optional<Sha256Digest> seeded_admin_hash_;
};

}  // namespace stockd
