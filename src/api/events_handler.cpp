// POST /v1/events: one event, {"events": [...]} (up to 10,000), or NDJSON.
#include <algorithm>

#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "codec/json.hpp"
#include "sync/signature.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

// The problem for a lone event's rejection.
HttpResponse rejection_problem(const EventResult& result, json::array results) {
  json::object extra;
  extra["field"] = result.error_field;
  extra["error"] = event_error_name(result.error);
  extra["results"] = std::move(results);
  const std::string detail = "event '" + result.id +
                             "' was rejected: " + std::string(event_error_name(result.error)) +
                             (result.error_field.empty() ? "" : " (" + result.error_field + ")");
  switch (result.error) {
    case EventError::idempotency_conflict:
      return problem(422, "idempotency-conflict", "Idempotency conflict",
                     detail + "; this (source, id) was applied with another payload",
                     std::move(extra));
    case EventError::idempotency_in_flight:
      return problem(409, "idempotency-in-flight", "Request in flight",
                     detail + "; the first request with this (source, id) is still being applied",
                     std::move(extra));
    case EventError::version_mismatch:
      return problem(412, "version-mismatch", "Precondition failed",
                     "the position's version is not the one If-Match named", std::move(extra));
    case EventError::unknown_location:
    case EventError::unknown_to_location:
      return problem(422, "unknown-location", "Unknown location",
                     detail + "; register the location with PUT /v1/locations/{id} first",
                     std::move(extra));
    case EventError::unknown_source:
      return problem(422, "unknown-source", "Unknown source",
                     detail + "; register the source with PUT /v1/sources/{id} first",
                     std::move(extra));
    default:
      return problem(422, "validation", "Invalid event", detail, std::move(extra));
  }
}

// Parses If-Match: a position version, bare or quoted ("3", "\"3\"", W/"3").
std::optional<uint64_t> parse_if_match(std::string_view text) {
  if (text.substr(0, 2) == "W/") text.remove_prefix(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// Inbound webhooks: when a source of these events requires a signature (or the request
// carries one and the source has secrets), the Standard Webhooks signature must verify
// under that source's secrets, within the timestamp tolerance, with an unseen id.
// Returns the refusal, or nullopt; `replay_keys` gets the ids to remember once applied.
std::optional<HttpResponse> check_signatures(const ApiContext& api, const HttpRequest& request,
                                             const std::vector<ParsedEvent>& parsed,
                                             std::vector<std::string>& replay_keys) {
  const std::string_view id = request.header("webhook-id");
  const std::string_view timestamp = request.header("webhook-timestamp");
  const std::string_view signature = request.header("webhook-signature");
  const bool signed_request = !id.empty() || !timestamp.empty() || !signature.empty();
  const std::shared_ptr<const Catalog> catalog = api.engine.catalog();
  std::vector<std::string_view> checked;
  const Timestamp now = api.clock.now();
  for (const ParsedEvent& each : parsed) {
    const Source* source = catalog->find_source(each.event.source);
    if (source == nullptr) continue;  // the engine rejects the event itself
    if (std::find(checked.begin(), checked.end(), source->id) != checked.end()) continue;
    checked.push_back(source->id);
    if (!source->require_signature && !(signed_request && !source->webhook_secrets.empty())) {
      continue;
    }
    std::vector<std::string> keys;
    for (const std::string& secret : source->webhook_secrets) {
      if (auto key = webhook_secret_key(secret)) keys.push_back(std::move(*key));
    }
    const SignatureCheck check = verify_webhook_signature(id, timestamp, signature, request.body,
                                                          keys, micros_of(now) / 1'000'000);
    if (check != SignatureCheck::ok) {
      json::object extra{{"source", source->id}, {"reason", signature_check_name(check)}};
      return problem(401, "invalid-signature", "Invalid signature",
                     "source '" + source->id + "' signs its requests (Standard Webhooks); " +
                         std::string(signature_check_name(check)),
                     std::move(extra));
    }
    std::string key = source->id + '\0' + std::string(id);
    if (api.seen_webhook_ids.contains(key, now)) {
      json::object extra{{"source", source->id}, {"webhook_id", std::string(id)}};
      return problem(409, "replayed-webhook", "Replayed webhook",
                     "webhook-id '" + std::string(id) + "' was already applied for source '" +
                         source->id + "'",
                     std::move(extra));
    }
    replay_keys.push_back(std::move(key));
  }
  return std::nullopt;
}

}  // namespace

void post_events(ApiContext& api, Call call) {
  std::vector<ParsedEvent> parsed;
  bool single = false;
  const std::string_view content_type = call.request.header("content-type");
  if (content_type.starts_with("application/x-ndjson")) {
    std::string_view body = call.request.body;
    while (!body.empty()) {
      const size_t end = body.find('\n');
      std::string_view line = body.substr(0, end);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") != std::string_view::npos) {
        if (parsed.size() >= api.options.batch_events_max) {
          return call.respond(problem(
              413, "batch-too-large", "Batch too large",
              "at most " + std::to_string(api.options.batch_events_max) + " events per request"));
        }
        parsed.push_back(parse_event_text(line));
      }
      if (end == std::string_view::npos) break;
      body.remove_prefix(end + 1);
    }
  } else {
    HttpResponse error;
    const std::optional<json::value> body = parse_json_body(call.request.body, error);
    if (!body) return call.respond(std::move(error));
    const json::object* object = require_object(*body, error);
    if (object == nullptr) return call.respond(std::move(error));
    if (const json::value* events = object->if_contains("events")) {
      if (object->size() != 1) {
        for (const auto& [key, value] : *object) {
          if (key != "events") {
            return call.respond(
                validation_problem(std::string(key), "unknown field '" + std::string(key) + "'"));
          }
        }
      }
      if (!events->is_array()) {
        return call.respond(validation_problem("events", "events must be an array"));
      }
      const json::array& array = events->as_array();
      if (array.size() > api.options.batch_events_max) {
        return call.respond(problem(
            413, "batch-too-large", "Batch too large",
            "at most " + std::to_string(api.options.batch_events_max) + " events per request"));
      }
      for (const json::value& event : array) parsed.push_back(parse_event(event));
    } else {
      single = true;
      parsed.push_back(parse_event(*body));
    }
  }
  if (parsed.empty()) return call.respond(validation_problem("events", "no events in the body"));

  if (const std::string_view if_match = call.request.header("if-match"); !if_match.empty()) {
    if (!single) {
      return call.respond(validation_problem("If-Match", "If-Match applies to a single event"));
    }
    const std::optional<uint64_t> version = parse_if_match(if_match);
    if (!version) {
      return call.respond(validation_problem("If-Match", "If-Match must be a position version"));
    }
    Event& event = parsed[0].event;
    if (parsed[0].error == EventError::none && event.type != EventType::count &&
        event.type != EventType::adjustment) {
      return call.respond(
          validation_problem("If-Match", "If-Match applies to count and adjustment events"));
    }
    event.if_version = version;
  }

  std::vector<std::string> replay_keys;
  if (auto refusal = check_signatures(api, call.request, parsed, replay_keys)) {
    return call.respond(std::move(*refusal));
  }
  {
    std::vector<Event> checked;
    for (ParsedEvent& each : parsed) {
      each.event.principal = call.principal.token_id;
      if (each.error == EventError::none) checked.push_back(each.event);
    }
    if (auto refusal = forbid_facts(api, call.principal, checked)) {
      return call.respond(std::move(*refusal));  // nothing is applied
    }
  }

  submit_parsed_events(api.engine, std::move(parsed),
                       [&api, single, replay_keys = std::move(replay_keys),
                        respond = std::move(call.respond)](std::vector<EventResult> results) {
                         json::array out;
                         bool overloaded = false;
                         for (const EventResult& result : results) {
                           out.push_back(event_result_json(result));
                           overloaded = overloaded || result.error == EventError::overloaded;
                         }
                         if (overloaded) {
                           json::object extra;
                           extra["results"] = std::move(out);
                           return respond(overloaded_problem(std::move(extra)));
                         }
                         // Applied (durably): a replay of this signed request is refused from now
                         // on.
                         for (const std::string& key : replay_keys) {
                           api.seen_webhook_ids.remember(key, api.clock.now());
                         }
                         if (single && results[0].status == EventStatus::rejected) {
                           return respond(rejection_problem(results[0], std::move(out)));
                         }
                         respond(json_response(200, json::object{{"results", std::move(out)}}));
                       });
}

}  // namespace stockd
