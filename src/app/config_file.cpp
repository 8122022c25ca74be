#include "app/config_file.hpp"

#include "base/limits.hpp"
#include "config/toml_reader.hpp"
#include "sync/signature.hpp"

#include <toml++/toml.h>
#include <functional>
#include <initializer_list>
#include <set>

namespace stockd {
namespace {

bool read_cdc(const toml::table& table, const std::string& where, CdcMapping& out,
              std::string* error) {
  TableReader reader(table, where, error);
  std::string mode = "absolute";
  if (!reader.only({"topic", "table", "source", "sku_column", "location_column", "location",
                    "quantity_column", "mode"}) ||
      !reader.text("topic", out.topic, true) || !reader.text("table", out.table) ||
      !reader.text("source", out.source, true) ||
      !reader.text("sku_column", out.sku_column, true) ||
      !reader.text("location_column", out.location_column) ||
      !reader.text("location", out.location) ||
      !reader.text("quantity_column", out.quantity_column, true) || !reader.text("mode", mode)) {
    return false;
  }
  if (mode != "absolute" && mode != "delta")
    return reader.fail("mode", "must be absolute or delta");
  out.mode = mode == "absolute" ? CdcMode::absolute : CdcMode::delta;
  if (const std::string problem = check_cdc_mapping(out); !problem.empty()) {
    *error = where + ": " + problem;
    return false;
  }
  return true;
}

bool read_location(const toml::table& table, const std::string& where, Location& out,
                   std::string* error) {
  TableReader reader(table, where, error);
  std::string type = "warehouse";
  if (!reader.only({"id", "type", "name", "lat", "lon", "priority", "ship_cost_cents",
                    "protected_min", "count_sla_hours", "ship_radius_km", "handling_days",
                    "accepts_damaged"}) ||
      !reader.text("id", out.id, true) || !reader.text("type", type) ||
      !reader.text("name", out.name) || !reader.number("lat", out.lat) ||
      !reader.number("lon", out.lon) ||
      !reader.integer("priority", out.priority, -1'000'000, 1'000'000) ||
      !reader.integer("ship_cost_cents", out.ship_cost_cents, 0, 1'000'000'000) ||
      !reader.integer("protected_min", out.protected_min, 0, 1'000'000'000) ||
      !reader.integer("count_sla_hours", out.count_sla_hours, 0, 24 * 366) ||
      !reader.integer("ship_radius_km", out.ship_radius_km, 0, 40'000) ||
      !reader.integer("handling_days", out.handling_days, 0, 365) ||
      !reader.boolean("accepts_damaged", out.accepts_damaged)) {
    return false;
  }
  const auto parsed = location_type_from_name(type);
  if (!parsed) return reader.fail("type", "must be warehouse, store, dropship or virtual");
  out.type = *parsed;
  return true;
}

bool read_source(const toml::table& table, const std::string& where, Source& out,
                 std::string* error) {
  TableReader reader(table, where, error);
  if (!reader.only({"id", "priority", "webhook_secrets", "require_signature"}) ||
      !reader.text("id", out.id, true) ||
      !reader.integer("priority", out.priority, -1'000'000, 1'000'000) ||
      !reader.boolean("require_signature", out.require_signature)) {
    return false;
  }
  if (const toml::node* secrets = table.get("webhook_secrets")) {
    const toml::array* array = secrets->as_array();
    if (array == nullptr) return reader.fail("webhook_secrets", "must be an array of strings");
    for (const toml::node& secret : *array) {
      const auto value = secret.value<std::string>();
      if (!secret.is_string() || !value || !webhook_secret_key(*value)) {
        return reader.fail("webhook_secrets",
                           "each secret is 'whsec_' followed by base64 of 24 to 64 bytes");
      }
      out.webhook_secrets.push_back(*value);
    }
  }
  return true;
}

bool read_channel(const toml::table& table, const std::string& where, Channel& out,
                  std::string* error) {
  TableReader reader(table, where, error);
  if (!reader.only({"id", "locations", "buffer_units", "buffer_percent", "sync_latency_seconds",
                    "reservation_ttl_seconds", "pickup", "backorder", "reservation_quantity_min",
                    "reservation_quantity_max", "degraded_buffer_units",
                    "degraded_buffer_percent"}) ||
      !reader.integer("degraded_buffer_units", out.degraded_buffer_units, 0, 1'000'000'000) ||
      !reader.integer("degraded_buffer_percent", out.degraded_buffer_percent, 0, 100) ||
      !reader.integer("reservation_quantity_min", out.reservation_quantity_min, 1, 1'000'000'000) ||
      !reader.integer("reservation_quantity_max", out.reservation_quantity_max, 0, 1'000'000'000) ||
      !reader.text("id", out.id, true) ||
      !reader.integer("buffer_units", out.buffer_units, 0, 1'000'000'000) ||
      !reader.integer("buffer_percent", out.buffer_percent, 0, 100) ||
      !reader.integer("sync_latency_seconds", out.sync_latency_seconds, 0, 7 * 24 * 3600) ||
      !reader.integer("reservation_ttl_seconds", out.reservation_ttl_seconds, 1, 7 * 24 * 3600) ||
      !reader.boolean("pickup", out.pickup) || !reader.boolean("backorder", out.backorder)) {
    return false;
  }
  return each_table(table, "locations", error, [&](const toml::table& member, const std::string&) {
    TableReader member_reader(member, where + ".locations", error);
    ChannelLocation location;
    if (!member_reader.only({"id", "priority"}) || !member_reader.text("id", location.id, true) ||
        !member_reader.integer("priority", location.priority, -1'000'000, 1'000'000)) {
      return false;
    }
    out.locations.push_back(std::move(location));
    return true;
  });
}

}  // namespace

bool load_config_file(const std::string& path, FileConfig& out, std::string* error) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& parse_error) {
    const auto& where = parse_error.source().begin;
    *error = path + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
             std::string(parse_error.description());
    return false;
  }
  std::string detail;
  const auto fail = [&] {
    *error = path + ": " + detail;
    return false;
  };
  for (const auto& [key, value] : root) {
    static const std::set<std::string_view> kKnown = {"engine",  "store",    "locations",
                                                      "sources", "channels", "webhooks",
                                                      "kafka",   "cdc",      "cluster"};
    if (!kKnown.contains(key.str())) {
      detail = std::string(key.str()) + ": unknown section";
      return fail();
    }
  }
  if (const toml::node* engine = root.get("engine")) {
    const toml::table* table = engine->as_table();
    if (table == nullptr) {
      detail = "engine: must be a table";
      return fail();
    }
    TableReader reader(*table, "engine", &detail);
    int64_t shards = 0;
    if (!reader.only(
            {"shards", "clock_drift_tolerance_seconds", "idempotency_retention_seconds"}) ||
        !reader.integer("shards", shards, 0, 256) ||
        !reader.integer("clock_drift_tolerance_seconds", out.clock_drift_tolerance_seconds, 0,
                        24 * 3600) ||
        !reader.integer("idempotency_retention_seconds", out.idempotency_retention_seconds, 60,
                        366 * 24 * 3600)) {
      return fail();
    }
    out.shards = static_cast<size_t>(shards);
  }
  if (const toml::node* store = root.get("store")) {
    const toml::table* table = store->as_table();
    if (table == nullptr) {
      detail = "store: must be a table";
      return fail();
    }
    TableReader reader(*table, "store", &detail);
    if (!reader.only({"block_cache_mb", "memtables_mb"}) ||
        !reader.integer("block_cache_mb", out.store_block_cache_mb, 8, 1 << 20) ||
        !reader.integer("memtables_mb", out.store_memtables_mb, 8, 1 << 20)) {
      return fail();
    }
  }
  if (const toml::node* webhooks = root.get("webhooks")) {
    const toml::table* table = webhooks->as_table();
    if (table == nullptr) {
      detail = "webhooks: must be a table";
      return fail();
    }
    TableReader reader(*table, "webhooks", &detail);
    WebhookSettings& w = out.webhooks;
    if (!reader.only({"retry_base_ms", "retry_cap_ms", "breaker_failures", "breaker_open_ms",
                      "pending_max", "default_sync_latency_ms", "secret_overlap_seconds"}) ||
        !reader.integer("retry_base_ms", w.retry_base_ms, 1, 3'600'000) ||
        !reader.integer("retry_cap_ms", w.retry_cap_ms, 1, 24 * 3'600'000) ||
        !reader.integer("breaker_failures", w.breaker_failures, 1, 1'000) ||
        !reader.integer("breaker_open_ms", w.breaker_open_ms, 1, 3'600'000) ||
        !reader.integer("pending_max", w.pending_max, 1, 10'000'000) ||
        !reader.integer("default_sync_latency_ms", w.default_sync_latency_ms, 100, 86'400'000) ||
        !reader.integer("secret_overlap_seconds", w.secret_overlap_seconds, 0, 30 * 86'400)) {
      return fail();
    }
    if (w.retry_cap_ms < w.retry_base_ms) {
      detail = "webhooks.retry_cap_ms: must not be below retry_base_ms";
      return fail();
    }
  }
  if (const toml::node* cluster = root.get("cluster")) {
    const toml::table* table = cluster->as_table();
    if (table == nullptr) {
      detail = "cluster: must be a table";
      return fail();
    }
    TableReader reader(*table, "cluster", &detail);
    ClusterSettings& c = out.cluster;
    if (!reader.only({"bootstrap", "node_id", "advertised_address", "partitions", "commands_topic",
                      "replies_topic", "members_topic", "config_topic", "group_id",
                      "session_timeout_ms", "request_timeout_ms", "tick_ms"}) ||
        !reader.text("bootstrap", c.bootstrap, true) ||
        !reader.integer("node_id", c.node_id, 0, 1'000'000) ||
        !reader.text("advertised_address", c.advertised_address) ||
        !reader.integer("partitions", c.partitions, 1, static_cast<int64_t>(limits::shards_max)) ||
        !reader.text("commands_topic", c.commands_topic) ||
        !reader.text("replies_topic", c.replies_topic) ||
        !reader.text("members_topic", c.members_topic) ||
        !reader.text("config_topic", c.config_topic) || !reader.text("group_id", c.group_id) ||
        !reader.integer("session_timeout_ms", c.session_timeout_ms, 1'000, 300'000) ||
        !reader.integer("request_timeout_ms", c.request_timeout_ms, 100, 600'000) ||
        !reader.integer("tick_ms", c.tick_ms, 10, 60'000)) {
      return fail();
    }
    if (c.partitions == 0) {
      detail = "cluster.partitions: required (the commands topic's partition count)";
      return fail();
    }
    if (out.shards != 0 && out.shards != static_cast<size_t>(c.partitions)) {
      detail =
          "cluster.partitions: the engine's shards are the partitions; leave engine.shards "
          "out or make it equal";
      return fail();
    }
  }
  if (const toml::node* kafka = root.get("kafka")) {
    const toml::table* table = kafka->as_table();
    if (table == nullptr) {
      detail = "kafka: must be a table";
      return fail();
    }
    TableReader reader(*table, "kafka", &detail);
    KafkaSettings& k = out.kafka;
    if (!reader.only({"brokers", "consume_topic", "group_id", "produce_topic",
                      "produce_stock_changes", "properties"}) ||
        !reader.text("brokers", k.brokers, true) ||
        !reader.text("consume_topic", k.consume_topic) || !reader.text("group_id", k.group_id) ||
        !reader.text("produce_topic", k.produce_topic) ||
        !reader.boolean("produce_stock_changes", k.produce_stock_changes)) {
      return fail();
    }
    if (k.consume_topic.empty() && k.produce_topic.empty() && root.get("cdc") == nullptr) {
      detail = "kafka: set consume_topic, produce_topic or both (or [[cdc]] topics)";
      return fail();
    }
    if (const toml::node* properties = table->get("properties")) {
      const toml::table* values = properties->as_table();
      if (values == nullptr) {
        detail = "kafka.properties: must be a table of librdkafka settings";
        return fail();
      }
      // librdkafka names have dots: `session.timeout.ms = "6000"` is a nested table in
      // TOML, so nested tables are flattened back into dotted names.
      const std::function<bool(const toml::table&, const std::string&)> flatten =
          [&](const toml::table& level, const std::string& prefix) {
            for (const auto& [key, value] : level) {
              const std::string name = prefix + std::string(key.str());
              if (const toml::table* nested = value.as_table()) {
                if (!flatten(*nested, name + ".")) return false;
                continue;
              }
              const auto text = value.value<std::string>();
              if (!value.is_string() || !text) {
                detail = "kafka.properties." + name + ": must be a string";
                return false;
              }
              k.properties.emplace_back(name, *text);
            }
            return true;
          };
      if (!flatten(*values, "")) return fail();
    }
  }
  const bool ok =
      each_table(root, "locations", &detail,
                 [&](const toml::table& table, const std::string& where) {
                   Location location;
                   if (!read_location(table, where, location, &detail)) return false;
                   out.locations.push_back(std::move(location));
                   return true;
                 }) &&
      each_table(root, "sources", &detail,
                 [&](const toml::table& table, const std::string& where) {
                   Source source;
                   if (!read_source(table, where, source, &detail)) return false;
                   out.sources.push_back(std::move(source));
                   return true;
                 }) &&
      each_table(root, "channels", &detail,
                 [&](const toml::table& table, const std::string& where) {
                   Channel channel;
                   if (!read_channel(table, where, channel, &detail)) return false;
                   out.channels.push_back(std::move(channel));
                   return true;
                 }) &&
      each_table(root, "cdc", &detail, [&](const toml::table& table, const std::string& where) {
        CdcMapping mapping;
        if (!read_cdc(table, where, mapping, &detail)) return false;
        out.kafka.cdc.push_back(std::move(mapping));
        return true;
      });
  if (!ok) return fail();
  if (!out.kafka.cdc.empty() && out.kafka.brokers.empty()) {
    detail = "cdc: needs [kafka] brokers";
    return fail();
  }
  return true;
}

bool declare_catalog(Engine& engine, const FileConfig& config, std::string* error) {
  const auto refused = [&](std::string_view kind, const std::string& id, const ConfigCheck& check) {
    *error = std::string(kind) + " '" + id + "': " + std::string(config_error_name(check.error)) +
             " (" + check.field + ")";
    return false;
  };
  for (const Location& location : config.locations) {
    if (const ConfigCheck check = engine.put_location(location); !check.ok()) {
      return refused("location", location.id, check);
    }
  }
  for (const Source& source : config.sources) {
    if (const ConfigCheck check = engine.put_source(source); !check.ok()) {
      return refused("source", source.id, check);
    }
  }
  for (const Channel& channel : config.channels) {
    if (const ConfigCheck check = engine.put_channel(channel); !check.ok()) {
      return refused("channel", channel.id, check);
    }
  }
  return true;
}

EngineOptions engine_options(const FileConfig& config) {
  EngineOptions options;
  options.shards = config.shards;
  options.rules.clock_drift_tolerance = std::chrono::seconds{config.clock_drift_tolerance_seconds};
  options.idempotency_retention = std::chrono::seconds{config.idempotency_retention_seconds};
  if (!config.cluster.bootstrap.empty()) {
    // Cluster mode: shard i applies partition i of the commands topic.
    options.shards = static_cast<size_t>(config.cluster.partitions);
    options.log_driven = true;
  }
  return options;
}

}  // namespace stockd
