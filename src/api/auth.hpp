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

// Who a token speaks for. A `source` token may only send that source's facts; a
// `vendor` token only ASNs of that vendor and receipts naming that vendor's POs and ASNs;
// `channel`, `person` and `service` tokens are limited by their scopes and restrictions.
enum class PrincipalKind : uint8_t { service = 0, source = 1, channel = 2, vendor = 3, person = 4 };
std::string_view principal_kind_name(PrincipalKind kind);
std::optional<PrincipalKind> principal_kind_from_name(std::string_view name);

// Least privilege beyond scopes: empty lists mean no restriction.
struct TokenRestrictions {
  PrincipalKind kind = PrincipalKind::service;
  std::string principal;               // the source, channel, vendor or person id
  std::vector<std::string> locations;  // may write facts and counts only here
  std::vector<std::string> channels;   // may reserve and order only on these
  friend bool operator==(const TokenRestrictions&, const TokenRestrictions&) = default;
};

struct TokenInfo {
  std::string id;
  std::string name;
  uint32_t scopes = 0;
  Timestamp created_at{};
  Timestamp expires_at{};  // epoch = never
  bool revoked = false;
  Sha256Digest secret_hash{};
  TokenRestrictions restrictions;
  std::string rotated_from;  // the token this one replaced
  std::string rotated_to;    // the token that replaced this one (it expires after a grace)
  Timestamp last_used_at{};  // epoch = never (kept to the minute)
};

struct Principal {
  std::string token_id;
  std::string name;
  uint32_t scopes = 0;
  TokenRestrictions restrictions;
  bool has(Scope scope) const { return (scopes & (scope | scope_admin)) != 0; }
  bool may_write_at(std::string_view location) const;
  bool may_use_channel(std::string_view channel) const;
  bool is(PrincipalKind kind) const { return restrictions.kind == kind; }
};

class TokenStore {
 public:
  // Loads the stored tokens. `store` must outlive this object.
  TokenStore(Store& store, const Clock& clock);
  Status load();

  // Creates and stores a token; returns the full token text (shown once).
  std::string create(std::string name, uint32_t scopes, std::optional<Duration> expires_in,
                     TokenInfo* info = nullptr, TokenRestrictions restrictions = {});
  Status revoke(std::string_view id);
  // Issues a successor with the same name, scopes, restrictions and lifetime; the old
  // token keeps working for `grace`, then expires. Returns the new token text ("" and
  // `error` when there is no such active token).
  std::string rotate(std::string_view id, Duration grace, TokenInfo* info, std::string* error);
  std::vector<TokenInfo> list() const;
  std::optional<TokenInfo> find(std::string_view id) const;
  // Writes last-use times that moved by more than a minute (unsynced: a lost update only
  // makes a token look less recently used). Call periodically.
  void persist_last_use();

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
  // Last use, updated on every authentication (separate from tokens_ so readers share).
  mutable std::mutex use_mutex_;
  mutable std::unordered_map<std::string, Timestamp> last_used_;
};

}  // namespace stockd
