// Token administration (scope admin): GET/POST /v1/tokens, POST /v1/tokens/{id}/rotate,
// DELETE /v1/tokens/{id}. Secrets are shown once, at creation or rotation, never again.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "core/ids.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

constexpr int64_t kGraceSecondsDefault = 24 * 3600;

json::array strings_json(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& item : items) out.emplace_back(item);
  return out;
}

json::value time_or_null(Timestamp at) {
  return micros_of(at) == 0 ? json::value(nullptr) : json::value(format_rfc3339(at));
}

json::array scopes_json(uint32_t scopes) {
  json::array out;
  const std::string all = scopes_text(scopes);
  std::string_view text = all;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

json::object token_json(const TokenInfo& info, Timestamp now, int64_t unused_days_alert) {
  const bool expired = micros_of(info.expires_at) != 0 && now >= info.expires_at;
  const Timestamp last = micros_of(info.last_used_at) != 0 ? info.last_used_at : info.created_at;
  const int64_t idle_days = std::chrono::duration_cast<std::chrono::hours>(now - last).count() / 24;
  json::object out{{"id", info.id},
                   {"name", info.name},
                   {"scopes", scopes_json(info.scopes)},
                   {"principal", json::object{{"kind", principal_kind_name(info.restrictions.kind)},
                                              {"id", info.restrictions.principal}}},
                   {"locations", strings_json(info.restrictions.locations)},
                   {"channels", strings_json(info.restrictions.channels)},
                   {"created_at", format_rfc3339(info.created_at)},
                   {"expires_at", time_or_null(info.expires_at)},
                   {"last_used_at", time_or_null(info.last_used_at)},
                   {"status", info.revoked ? "revoked"
                              : expired    ? "expired"
                                           : "active"},
                   {"unused", !info.revoked && !expired && idle_days >= unused_days_alert}};
  if (!info.rotated_from.empty()) out["rotated_from"] = info.rotated_from;
  if (!info.rotated_to.empty()) out["rotated_to"] = info.rotated_to;
  return out;
}

}  // namespace

void list_tokens(ApiContext& api, Call call) {
  json::array tokens;
  const Timestamp now = api.clock.now();
  for (const TokenInfo& info : api.tokens.list()) {
    tokens.push_back(token_json(info, now, api.options.token_unused_days));
  }
  call.respond(json_response(200, json::object{{"tokens", std::move(tokens)}}));
}

void post_token(ApiContext& api, Call call) {
  HttpResponse error;
  const std::optional<json::value> body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  std::string name;
  int64_t expires_in_seconds = 0;
  if (!reader.only(
          {"name", "scopes", "principal", "locations", "channels", "expires_in_seconds"}) ||
      !reader.text("name", name, true, 128) ||
      !reader.integer("expires_in_seconds", expires_in_seconds, 60, 10LL * 365 * 86400)) {
    return call.respond(reader.error());
  }
  const auto read_list = [&](std::string_view key, std::vector<std::string>& out) {
    const json::value* list = reader.find(key);
    if (list == nullptr) return true;
    if (!list->is_array() || list->as_array().size() > 1000) return false;
    for (const json::value& item : list->as_array()) {
      if (!item.is_string() || !is_valid_id(item.as_string())) return false;
      out.emplace_back(item.as_string());
    }
    return true;
  };
  std::vector<std::string> scope_names;
  if (!read_list("scopes", scope_names) || scope_names.empty()) {
    return call.respond(validation_problem(
        "scopes",
        "scopes lists stock:read, events:write, reservations:write, orders:write, admin"));
  }
  std::string joined;
  for (const std::string& scope : scope_names) joined += (joined.empty() ? "" : ",") + scope;
  const std::optional<uint32_t> scopes = parse_scopes(joined);
  if (!scopes) {
    return call.respond(validation_problem(
        "scopes",
        "scopes lists stock:read, events:write, reservations:write, orders:write, admin"));
  }
  TokenRestrictions restrictions;
  if (!read_list("locations", restrictions.locations)) {
    return call.respond(validation_problem("locations", "an array of location ids"));
  }
  if (!read_list("channels", restrictions.channels)) {
    return call.respond(validation_problem("channels", "an array of channel ids"));
  }
  if (const json::value* principal = reader.find("principal")) {
    std::string kind_name, id;
    if (!principal->is_object()) {
      return call.respond(validation_problem("principal", "principal is {kind, id}"));
    }
    ObjectReader principal_reader(principal->as_object());
    if (!principal_reader.only({"kind", "id"}) ||
        !principal_reader.text("kind", kind_name, true, 16) ||
        !principal_reader.text("id", id, false, 128)) {
      return call.respond(validation_problem("principal", "principal is {kind, id}"));
    }
    const std::optional<PrincipalKind> kind = principal_kind_from_name(kind_name);
    if (!kind) {
      return call.respond(validation_problem(
          "principal", "principal.kind is service, source, channel, vendor or person"));
    }
    if (*kind != PrincipalKind::service && !is_valid_id(id)) {
      return call.respond(validation_problem("principal", "principal.id names the " + kind_name));
    }
    restrictions.kind = *kind;
    restrictions.principal = id;
    if (*kind == PrincipalKind::channel && restrictions.channels.empty()) {
      restrictions.channels = {id};  // a channel's token acts on that channel
    }
  }
  std::optional<Duration> lifetime;
  if (expires_in_seconds > 0) lifetime = std::chrono::seconds{expires_in_seconds};
  TokenInfo info;
  const std::string token = api.tokens.create(name, *scopes, lifetime, &info, restrictions);
  json::object out = token_json(info, api.clock.now(), api.options.token_unused_days);
  out["token"] = token;
  HttpResponse response = json_response(201, out);
  response.set_header("Cache-Control", "no-store");
  call.respond(std::move(response));
}

void rotate_token(ApiContext& api, Call call) {
  HttpResponse error;
  int64_t grace_seconds = kGraceSecondsDefault;
  if (!call.request.body.empty()) {
    const std::optional<json::value> body = parse_object_body(call.request.body, error);
    if (!body) return call.respond(std::move(error));
    ObjectReader reader(body->as_object());
    if (!reader.only({"grace_seconds"}) ||
        !reader.integer("grace_seconds", grace_seconds, 0, 30LL * 86400)) {
      return call.respond(reader.error());
    }
  }
  TokenInfo fresh;
  std::string failure;
  const std::string token =
      api.tokens.rotate(call.params.at(0), std::chrono::seconds{grace_seconds}, &fresh, &failure);
  if (token.empty()) {
    return call.respond(problem(404, "not-found", "Not found", failure));
  }
  const Timestamp now = api.clock.now();
  json::object out = token_json(fresh, now, api.options.token_unused_days);
  out["token"] = token;
  if (const auto old = api.tokens.find(call.params.at(0))) {
    out["previous"] = json::object{{"id", old->id}, {"expires_at", time_or_null(old->expires_at)}};
  }
  HttpResponse response = json_response(201, out);
  response.set_header("Cache-Control", "no-store");
  call.respond(std::move(response));
}

void delete_token(ApiContext& api, Call call) {
  if (Status status = api.tokens.revoke(call.params.at(0)); !status.is_ok()) {
    return call.respond(problem(404, "not-found", "Not found", status.message()));
  }
  HttpResponse response;
  response.status = 204;
  call.respond(std::move(response));
}

}  // namespace stockd
