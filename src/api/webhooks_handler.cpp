// Webhook subscriptions, their dead letters, and alerts:
// POST/GET/DELETE /v1/webhooks[/{id}], POST /v1/webhooks/{id}/rotate-secret,
// GET /v1/webhooks/{id}/dead-letters, POST /v1/webhooks/{id}/dead-letters/replay,
// GET /v1/alerts.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "connectors/kafka.hpp"
#include "sync/signature.hpp"
#include "sync/webhook_service.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

json::object to_json(const WebhookView& view) {
  const WebhookSubscription& s = view.subscription;
  const WebhookStatus& status = view.status;
  json::object out{{"id", s.id},
                   {"url", s.url},
                   {"description", s.description},
                   {"event_types", json::array(s.event_types.begin(), s.event_types.end())},
                   {"channels", json::array(s.channels.begin(), s.channels.end())},
                   {"rate_per_second", s.rate_per_second},
                   {"max_attempts", s.max_attempts},
                   {"timeout_ms", s.timeout_ms},
                   {"concurrency", s.concurrency},
                   {"enabled", s.enabled},
                   {"created_at", format_rfc3339(s.created_at)}};
  if (!s.enabled) out["disabled_reason"] = s.disabled_reason;
  if (s.event_types.empty()) out["event_types"] = json::array{kAvailabilityChangedType};
  json::object delivery{{"pending", status.pending},
                        {"circuit", status.circuit},
                        {"delivered", status.delivered},
                        {"failed_attempts", status.failed_attempts},
                        {"dead_lettered", status.dead_lettered},
                        {"conflated", status.conflated},
                        {"last_error", status.last_error}};
  if (status.oldest_pending_since) {
    delivery["oldest_pending_since"] = format_rfc3339(*status.oldest_pending_since);
  }
  if (status.last_delivered_at) {
    delivery["last_delivered_at"] = format_rfc3339(*status.last_delivered_at);
    delivery["last_lag_ms"] = status.last_lag_ms;
  }
  out["delivery"] = std::move(delivery);
  return out;
}

HttpResponse unavailable() {
  return problem(503, "sync-unavailable", "Webhooks unavailable",
                 "this server runs without the webhook service");
}

HttpResponse webhook_not_found(const std::string& id) {
  return problem(404, "webhook-not-found", "Webhook not found", "no webhook " + id);
}

bool read_string_list(ObjectReader& reader, std::string_view key, std::vector<std::string>& out,
                      const std::function<std::optional<std::string>(const std::string&)>& check) {
  const json::value* value = reader.find(key);
  if (value == nullptr) return true;
  if (!value->is_array() || value->as_array().size() > 1'000) {
    return reader.fail(std::string(key), "must be an array of at most 1000 strings");
  }
  for (const json::value& item : value->as_array()) {
    if (!item.is_string()) return reader.fail(std::string(key), "must be an array of strings");
    std::string text(item.as_string());
    if (auto problem = check(text)) return reader.fail(std::string(key), *problem);
    out.push_back(std::move(text));
  }
  return true;
}

}  // namespace

void post_webhook(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  HttpResponse error;
  const auto body = parse_object_body(call.request.body, error);
  if (!body) return call.respond(std::move(error));
  ObjectReader reader(body->as_object());
  WebhookSubscription draft;
  std::string secret;
  int64_t max_attempts = draft.max_attempts;
  int64_t concurrency = draft.concurrency;
  const auto catalog = api.engine.catalog();
  const bool ok =
      reader.only({"url", "description", "event_types", "channels", "rate_per_second",
                   "max_attempts", "timeout_ms", "concurrency", "secret"}) &&
      reader.text("url", draft.url, true, 2048) && reader.text("description", draft.description) &&
      read_string_list(reader, "event_types", draft.event_types,
                       [](const std::string& type) -> std::optional<std::string> {
                         if (type == kAvailabilityChangedType || type == kStockChangedType) {
                           return std::nullopt;
                         }
                         return "unknown event type '" + type + "'";
                       }) &&
      read_string_list(reader, "channels", draft.channels,
                       [&](const std::string& channel) -> std::optional<std::string> {
                         if (catalog->find_channel(channel) != nullptr) return std::nullopt;
                         return "unknown channel '" + channel + "'";
                       }) &&
      reader.number("rate_per_second", draft.rate_per_second) &&
      reader.integer("max_attempts", max_attempts, 1, 100) &&
      reader.integer("timeout_ms", draft.timeout_ms, 100, 60'000) &&
      reader.integer("concurrency", concurrency, 1, 32) && reader.text("secret", secret);
  if (!ok) return call.respond(reader.error());
  if (draft.rate_per_second < 0 || draft.rate_per_second > 100'000) {
    return call.respond(validation_problem("rate_per_second", "must be within 0..100000"));
  }
  if (!secret.empty()) {
    if (!webhook_secret_key(secret)) {
      return call.respond(validation_problem(
          "secret", "must be 'whsec_' followed by base64 of 24 to 64 random bytes"));
    }
    draft.secrets.push_back({secret, Timestamp{}});
  }
  draft.max_attempts = static_cast<uint32_t>(max_attempts);
  draft.concurrency = static_cast<uint32_t>(concurrency);
  std::string detail;
  if (api.webhooks->create(draft, &detail) != WebhookError::none) {
    return call.respond(validation_problem("url", detail));
  }
  const auto view = api.webhooks->get(draft.id);
  json::object out = to_json(view ? *view : WebhookView{draft, {}});
  out["secret"] = draft.secrets.front().secret;
  HttpResponse response = json_response(201, out);
  response.set_header("Location", "/v1/webhooks/" + draft.id);
  call.respond(std::move(response));
}

void list_webhooks(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  json::array items;
  for (const WebhookView& view : api.webhooks->list()) items.push_back(to_json(view));
  call.respond(json_response(200, json::object{{"webhooks", std::move(items)}}));
}

void get_webhook(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  const auto view = api.webhooks->get(call.params[0]);
  if (!view) return call.respond(webhook_not_found(call.params[0]));
  call.respond(json_response(200, to_json(*view)));
}

void delete_webhook(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  if (!api.webhooks->remove(call.params[0])) return call.respond(webhook_not_found(call.params[0]));
  HttpResponse response;
  response.status = 204;
  call.respond(std::move(response));
}

void rotate_webhook_secret(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  const auto rotated = api.webhooks->rotate_secret(call.params[0]);
  if (!rotated) return call.respond(webhook_not_found(call.params[0]));
  json::array previous;
  for (size_t i = 1; i < rotated->secrets.size(); ++i) {
    previous.push_back(
        json::object{{"expires_at", format_rfc3339(rotated->secrets[i].expires_at)}});
  }
  call.respond(json_response(200, json::object{{"id", rotated->id},
                                               {"secret", rotated->secrets.front().secret},
                                               {"previous_secrets", std::move(previous)}}));
}

void list_dead_letters(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  const auto letters = api.webhooks->dead_letters(call.params[0]);
  if (!letters) return call.respond(webhook_not_found(call.params[0]));
  json::array items;
  for (const DeadLetter& letter : *letters) {
    boost::system::error_code ec;
    json::value event = json::parse(letter.body, ec);
    items.push_back(json::object{{"event_id", letter.event_id},
                                 {"type", letter.type},
                                 {"subject", letter.subject},
                                 {"attempts", letter.attempts},
                                 {"last_error", letter.last_error},
                                 {"dead_at", format_rfc3339(letter.dead_at)},
                                 {"event", ec ? json::value(letter.body) : event}});
  }
  call.respond(json_response(200, json::object{{"dead_letters", std::move(items)}}));
}

void replay_dead_letters(ApiContext& api, Call call) {
  if (api.webhooks == nullptr) return call.respond(unavailable());
  std::string event_id;
  if (!call.request.body.empty()) {
    HttpResponse error;
    const auto body = parse_object_body(call.request.body, error);
    if (!body) return call.respond(std::move(error));
    ObjectReader reader(body->as_object());
    if (!reader.only({"event_id"}) || !reader.text("event_id", event_id)) {
      return call.respond(reader.error());
    }
  }
  const auto queued = api.webhooks->replay(call.params[0], event_id);
  if (!queued) return call.respond(webhook_not_found(call.params[0]));
  if (!event_id.empty() && *queued == 0) {
    return call.respond(problem(404, "dead-letter-not-found", "Dead letter not found",
                                "webhook " + call.params[0] + " has no dead letter " + event_id));
  }
  call.respond(json_response(202, json::object{{"queued", *queued}}));
}

void list_alerts(ApiContext& api, Call call) {
  const auto to_json = [](const Alert& alert) {
    json::object out{{"key", alert.key},
                     {"kind", alert.kind},
                     {"severity", alert_severity_name(alert.severity)},
                     {"message", alert.message},
                     {"action", alert.action},
                     {"raised_at", format_rfc3339(alert.raised_at)}};
    if (alert.cleared_at) out["cleared_at"] = format_rfc3339(*alert.cleared_at);
    return out;
  };
  json::array active;
  json::array recent;
  for (const Alert& alert : api.alerts.active()) active.push_back(to_json(alert));
  for (const Alert& alert : api.alerts.recent()) recent.push_back(to_json(alert));
  call.respond(json_response(
      200, json::object{{"active", std::move(active)}, {"recent", std::move(recent)}}));
}

void get_sync(ApiContext& api, Call call) {
  json::object out;
  json::array degraded;
  for (const auto& [channel, degradation] : api.health.all()) {
    degraded.push_back(json::object{{"channel", channel},
                                    {"since", format_rfc3339(degradation.since)},
                                    {"reason", degradation.reason}});
  }
  out["degraded_channels"] = std::move(degraded);
  json::object webhooks{{"subscriptions", 0}, {"pending", 0}, {"dead_lettered", 0}};
  if (api.webhooks != nullptr) {
    uint64_t pending = 0;
    uint64_t dead = 0;
    const auto views = api.webhooks->list();
    for (const WebhookView& view : views) {
      pending += view.status.pending;
      dead += view.status.dead_lettered;
    }
    webhooks = json::object{
        {"subscriptions", views.size()}, {"pending", pending}, {"dead_lettered", dead}};
  }
  out["webhooks"] = std::move(webhooks);
  json::object kafka;
  if (api.kafka_consumer != nullptr) {
    const KafkaConsumerStats stats = api.kafka_consumer->stats();
    kafka["consumer"] = json::object{{"messages", stats.messages},
                                     {"events_applied", stats.events_applied},
                                     {"events_duplicate", stats.events_duplicate},
                                     {"events_superseded", stats.events_superseded},
                                     {"events_rejected", stats.events_rejected},
                                     {"unreadable", stats.unreadable},
                                     {"retries", stats.retries},
                                     {"last_error", stats.last_error},
                                     {"last_rejection", stats.last_rejection}};
  }
  if (api.kafka_producer != nullptr) {
    const KafkaProducerStats stats = api.kafka_producer->stats();
    kafka["producer"] = json::object{{"published", stats.published},
                                     {"failed_batches", stats.failed_batches},
                                     {"last_error", stats.last_error}};
  }
  out["kafka"] = std::move(kafka);
  call.respond(json_response(200, out));
}

}  // namespace stockd
