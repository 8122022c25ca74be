#include "api/auth.hpp"

#include <algorithm>

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

void put_strings(ByteWriter& out, const std::vector<std::string>& items) {
  out.u32(static_cast<uint32_t>(items.size()));
  for (const std::string& item : items) out.str(item);
}

bool get_strings(ByteReader& in, std::vector<std::string>& items) {
  const uint32_t count = in.u32();
  if (count > 10'000) return false;
  for (uint32_t i = 0; i < count && in.ok(); ++i) items.push_back(in.str());
  return in.ok();
}

// Format 2 added the principal, restrictions, rotation links and last use.
std::string encode(const TokenInfo& info) {
  ByteWriter out;
  out.u8(2);
  out.str(info.id);
  out.str(info.name);
  out.u32(info.scopes);
  out.i64(micros_of(info.created_at));
  out.i64(micros_of(info.expires_at));
  out.u8(info.revoked ? 1 : 0);
  out.raw(as_bytes(info.secret_hash));
  out.u8(static_cast<uint8_t>(info.restrictions.kind));
  out.str(info.restrictions.principal);
  put_strings(out, info.restrictions.locations);
  put_strings(out, info.restrictions.channels);
  out.str(info.rotated_from);
  out.str(info.rotated_to);
  out.i64(micros_of(info.last_used_at));
  return out.take();
}

std::optional<TokenInfo> decode(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t format = in.u8();
  if (format != 1 && format != 2) return std::nullopt;
  TokenInfo info;
  info.id = in.str();
  info.name = in.str();
  info.scopes = in.u32();
  info.created_at = timestamp_from_micros(in.i64());
  info.expires_at = timestamp_from_micros(in.i64());
  info.revoked = in.u8() == 1;
  const std::string_view hash = in.raw(info.secret_hash.size());
  if (!in.ok()) return std::nullopt;
  std::copy(hash.begin(), hash.end(), info.secret_hash.begin());
  if (format == 2) {
    const uint8_t kind = in.u8();
    if (kind > static_cast<uint8_t>(PrincipalKind::person)) return std::nullopt;
    info.restrictions.kind = static_cast<PrincipalKind>(kind);
    info.restrictions.principal = in.str();
    if (!get_strings(in, info.restrictions.locations) ||
        !get_strings(in, info.restrictions.channels)) {
      return std::nullopt;
    }
    info.rotated_from = in.str();
    info.rotated_to = in.str();
    info.last_used_at = timestamp_from_micros(in.i64());
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return info;
}

constexpr std::string_view kPrincipalKinds[] = {"service", "source", "channel", "vendor", "person"};

bool listed(const std::vector<std::string>& allowed, std::string_view item) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), item) != allowed.end();
}

constexpr std::pair<Scope, std::string_view> kScopeNames[] = {
    {scope_stock_read, "stock:read"},
    {scope_events_write, "events:write"},
    {scope_reservations_write, "reservations:write"},
    {scope_orders_write, "orders:write"},
    {scope_admin, "admin"},
};

}  // namespace

std::string_view principal_kind_name(PrincipalKind kind) {
  return kPrincipalKinds[static_cast<size_t>(kind)];
}

std::optional<PrincipalKind> principal_kind_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kPrincipalKinds); ++i) {
    if (kPrincipalKinds[i] == name) return static_cast<PrincipalKind>(i);
  }
  return std::nullopt;
}

bool Principal::may_write_at(std::string_view location) const {
  return listed(restrictions.locations, location);
}

bool Principal::may_use_channel(std::string_view channel) const {
  return listed(restrictions.channels, channel);
}

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
                               std::optional<Duration> expires_in, TokenInfo* out,
                               TokenRestrictions restrictions) {
  STOCKD_ASSERT(scopes != 0 && (scopes & ~kAllScopes) == 0);
  TokenInfo info;
  info.restrictions = std::move(restrictions);
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

std::string TokenStore::rotate(std::string_view id, Duration grace, TokenInfo* out,
                               std::string* error) {
  std::optional<TokenInfo> old = find(id);
  const Timestamp now = clock_.now();
  if (!old || old->revoked || (micros_of(old->expires_at) != 0 && now >= old->expires_at)) {
    *error = "no active token with id " + std::string(id);
    return "";
  }
  if (!old->rotated_to.empty()) {
    *error = "token " + std::string(id) + " was already rotated to " + old->rotated_to;
    return "";
  }
  std::optional<Duration> lifetime;
  if (micros_of(old->expires_at) != 0) lifetime = old->expires_at - old->created_at;
  TokenInfo fresh;
  std::string text = create(old->name, old->scopes, lifetime, &fresh, old->restrictions);
  fresh.rotated_from = old->id;
  old->rotated_to = fresh.id;
  const Timestamp grace_end = now + grace;
  if (micros_of(old->expires_at) == 0 || grace_end < old->expires_at) old->expires_at = grace_end;
  WriteSet both;
  both.aux.emplace_back(std::string(kAuxPrefix) + fresh.id, encode(fresh));
  both.aux.emplace_back(std::string(kAuxPrefix) + old->id, encode(*old));
  if (Status status = store_.write(both); !status.is_ok()) {
    *error = status.message();
    return "";
  }
  {
    std::unique_lock lock(mutex_);
    tokens_[fresh.id] = fresh;
    tokens_[old->id] = *old;
  }
  if (out != nullptr) *out = fresh;
  return text;
}

std::optional<TokenInfo> TokenStore::find(std::string_view id) const {
  std::shared_lock lock(mutex_);
  const auto found = tokens_.find(std::string(id));
  if (found == tokens_.end()) return std::nullopt;
  TokenInfo info = found->second;
  std::lock_guard use(use_mutex_);
  if (const auto used = last_used_.find(info.id); used != last_used_.end()) {
    info.last_used_at = std::max(info.last_used_at, used->second);
  }
  return info;
}

void TokenStore::persist_last_use() {
  std::vector<TokenInfo> changed;
  {
    std::unique_lock lock(mutex_);
    std::lock_guard use(use_mutex_);
    for (const auto& [id, used] : last_used_) {
      const auto found = tokens_.find(id);
      if (found == tokens_.end()) continue;
      if (used - found->second.last_used_at < std::chrono::minutes{1}) continue;
      found->second.last_used_at = used;
      changed.push_back(found->second);
    }
  }
  for (const TokenInfo& info : changed) {
    (void)store_.put_aux_unsynced(std::string(kAuxPrefix) + info.id, encode(info));
  }
}

std::vector<TokenInfo> TokenStore::list() const {
  std::shared_lock lock(mutex_);
  std::vector<TokenInfo> out;
  std::lock_guard use(use_mutex_);
  for (const auto& [id, info] : tokens_) {
    out.push_back(info);
    if (const auto used = last_used_.find(id); used != last_used_.end()) {
      out.back().last_used_at = std::max(out.back().last_used_at, used->second);
    }
  }
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
    return Principal{"env", "STOCKD_ADMIN_TOKEN", kAllScopes, {}};
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
  const Timestamp now = clock_.now();
  if (micros_of(info.expires_at) != 0 && now >= info.expires_at) return std::nullopt;
  {
    std::lock_guard use(use_mutex_);
    last_used_[info.id] = now;
  }
  return Principal{info.id, info.name, info.scopes, info.restrictions};
}

}  // namespace stockd
