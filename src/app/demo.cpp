#include "app/demo.hpp"

namespace stockd {
namespace {

constexpr const char* kWarehouses[] = {"W-LEJ", "W-DUS", "W-MUC"};
constexpr const char* kStores[] = {"S-BER-01", "S-HAM-01", "S-MUC-01",
                                   "S-CGN-01", "S-FRA-01", "S-STR-01"};
constexpr const char* kProducts[] = {
    "TEE",  "HOODIE", "JEANS", "SNEAKER", "CAP",  "JACKET", "SOCKS",   "DRESS", "SHIRT", "SCARF",
    "POLO", "SHORTS", "SKIRT", "BOOT",    "BELT", "GLOVE",  "SWEATER", "VEST",  "PARKA", "BEANIE"};
constexpr const char* kColors[] = {"RED",  "BLUE", "BLACK", "WHITE", "GREEN",
                                   "GREY", "NAVY", "OLIVE", "SAND",  "PINK"};
constexpr const char* kSizes[] = {"XS", "S", "M", "L", "XL"};

Event make(std::string id, std::string source, EventType type, std::string sku,
           std::string location, int64_t quantity, Timestamp at) {
  Event event;
  event.id = std::move(id);
  event.source = std::move(source);
  event.type = type;
  event.sku = std::move(sku);
  event.location = std::move(location);
  event.quantity = quantity;
  event.occurred_at = at;
  return event;
}

}  // namespace

FileConfig demo_catalog() {
  FileConfig config;
  const struct {
    const char* id;
    const char* name;
    double lat, lon;
  } warehouses[] = {{"W-LEJ", "Leipzig DC", 51.34, 12.37},
                    {"W-DUS", "Duesseldorf DC", 51.23, 6.78},
                    {"W-MUC", "Munich DC", 48.14, 11.58}};
  for (const auto& w : warehouses) {
    Location location;
    location.id = w.id;
    location.type = LocationType::warehouse;
    location.name = w.name;
    location.lat = w.lat;
    location.lon = w.lon;
    location.priority = 1;
    location.ship_cost_cents = 450;
    location.accepts_damaged = true;  // returns needing inspection go to a DC
    config.locations.push_back(location);
  }
  const struct {
    const char* id;
    const char* name;
    double lat, lon;
  } stores[] = {{"S-BER-01", "Berlin Mitte", 52.52, 13.40},
                {"S-HAM-01", "Hamburg Jungfernstieg", 53.55, 9.99},
                {"S-MUC-01", "Munich Marienplatz", 48.14, 11.58},
                {"S-CGN-01", "Cologne Schildergasse", 50.94, 6.95},
                {"S-FRA-01", "Frankfurt Zeil", 50.11, 8.68},
                {"S-STR-01", "Stuttgart Koenigstrasse", 48.78, 9.18}};
  for (const auto& s : stores) {
    Location location;
    location.id = s.id;
    location.type = LocationType::store;
    location.name = s.name;
    location.lat = s.lat;
    location.lon = s.lon;
    location.priority = 2;
    location.ship_cost_cents = 650;
    location.protected_min = 2;
    location.count_sla_hours = 24;
    location.ship_radius_km = 50;  // ship-from-store to the city around it only
    location.handling_days = 0;    // same-day hand-over to the courier
    config.locations.push_back(location);
  }
  config.sources = {{"wms", 100}, {"pos", 50}, {"oms", 80}, {"amazon", 20}, {"zalando", 20}};

  Channel web;
  web.id = "web";
  for (const char* id : kWarehouses) web.locations.push_back({id, 1});
  for (const char* id : kStores) web.locations.push_back({id, 2});
  web.buffer_units = 2;
  web.reservation_ttl_seconds = 900;
  web.pickup = true;
  web.backorder = true;
  config.channels.push_back(web);

  Channel amazon;
  amazon.id = "amazon";
  for (const char* id : kWarehouses) amazon.locations.push_back({id, 1});
  amazon.buffer_units = 5;
  amazon.buffer_percent = 10;
  amazon.sync_latency_seconds = 900;
  amazon.reservation_ttl_seconds = 1800;
  config.channels.push_back(amazon);

  Channel zalando = amazon;
  zalando.id = "zalando";
  zalando.buffer_units = 3;
  zalando.buffer_percent = 5;
  zalando.sync_latency_seconds = 300;
  config.channels.push_back(zalando);
  return config;
}

std::vector<std::string> demo_skus() {
  std::vector<std::string> skus;
  for (const char* product : kProducts) {
    for (const char* color : kColors) {
      for (const char* size : kSizes) {
        skus.push_back(std::string(product) + "-" + color + "-" + size);
      }
    }
  }
  return skus;  // 20 x 10 x 5 = 1000
}

std::vector<Event> demo_opening_events(Timestamp at) {
  std::vector<Event> events;
  std::mt19937_64 random(42);
  uint64_t serial = 0;
  // Eight weeks of web shipments from Leipzig, so forecasts have a history: TEEs sell
  // every day with busy weekends, BEANIEs now and then (intermittent).
  const auto day = std::chrono::hours{24};
  for (const std::string& sku : demo_skus()) {
    const bool tee = sku.starts_with("TEE-");
    if (!tee && !sku.starts_with("BEANIE-")) continue;
    events.push_back(make("hist-" + std::to_string(++serial), "wms", EventType::receipt, sku,
                          "W-LEJ", 600, at - 57 * day));
    for (int ago = 56; ago >= 1; --ago) {
      const Timestamp when = at - ago * day;
      const int weekday = static_cast<int>(
          (std::chrono::floor<std::chrono::days>(when).time_since_epoch().count() + 3) % 7);
      int64_t units = 0;
      if (tee) {
        std::poisson_distribution<int64_t> sold(weekday >= 5 ? 9.0 : 4.0);
        units = sold(random);
      } else if (random() % 100 < 15) {
        units = 1 + static_cast<int64_t>(random() % 3);
      }
      if (units == 0) continue;
      events.push_back(make("hist-" + std::to_string(++serial), "oms", EventType::shipment, sku,
                            "W-LEJ", units, when));
    }
  }
  for (const std::string& sku : demo_skus()) {
    for (const char* warehouse : kWarehouses) {
      const int64_t quantity = 20 + static_cast<int64_t>(random() % 200);
      events.push_back(make("open-" + std::to_string(++serial), "wms", EventType::receipt, sku,
                            warehouse, quantity, at));
    }
    for (const char* store : kStores) {
      const int64_t quantity = static_cast<int64_t>(random() % 12);
      events.push_back(make("open-" + std::to_string(++serial), "pos", EventType::count, sku, store,
                            quantity, at));
    }
  }
  return events;
}

std::vector<Event> demo_live_events(std::mt19937_64& random, Timestamp at, uint64_t& serial,
                                    size_t count) {
  static const std::vector<std::string> skus = demo_skus();
  std::vector<Event> events;
  for (size_t i = 0; i < count; ++i) {
    const std::string& sku = skus[random() % skus.size()];
    const uint64_t roll = random() % 100;
    const std::string id =
        "live-" + std::to_string(at.time_since_epoch().count()) + "-" + std::to_string(++serial);
    if (roll < 60) {
      events.push_back(make(id, "pos", EventType::sale, sku, kStores[random() % 6], 1, at));
    } else if (roll < 75) {
      events.push_back(make(id, "wms", EventType::receipt, sku, kWarehouses[random() % 3],
                            static_cast<int64_t>(12 + random() % 36), at));
    } else if (roll < 90) {
      Event event = make(id, "pos", EventType::return_, sku, kStores[random() % 6], 1, at);
      event.condition = random() % 4 == 0 ? "needs_inspection" : "resellable";
      events.push_back(std::move(event));
    } else {
      Event event = make(id, "wms", EventType::shrink, sku, kWarehouses[random() % 3], 1, at);
      event.reason = "cycle_loss";
      events.push_back(std::move(event));
    }
  }
  return events;
}

}  // namespace stockd
