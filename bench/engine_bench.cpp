// Engine benchmarks (Google Benchmark). Figures and the command that produced them go
// in docs/PERFORMANCE.md. Run the release build: make bench.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>
#include <random>

#include "core/availability.hpp"
#include "core/event_rules.hpp"
#include "core/forecast.hpp"
#include "core/routing.hpp"
#include "core/stock_exception.hpp"
#include "core/velocity.hpp"
#include "engine/blocking.hpp"
#include "storage/rocks_store.hpp"

namespace stockd {
namespace {

Event make_event(uint64_t n, EventType type = EventType::receipt) {
  Event e;
  e.id = "b-" + std::to_string(n);
  e.source = "wms";
  e.type = type;
  e.sku = "SKU-" + std::to_string(n % 1000);
  e.location = n % 2 == 0 ? "W1" : "W2";
  e.quantity = 1;
  e.occurred_at = timestamp_from_micros(1'790'000'000'000'000);
  return e;
}

Catalog bench_catalog() {
  Catalog catalog;
  catalog.put(Location{"W1"});
  catalog.put(Location{"W2"});
  catalog.put(Source{"wms", 100});
  return catalog;
}

// The pure domain: validate, decide and apply one event to an in-memory position.
void BM_CoreApply(benchmark::State& state) {
  const Catalog catalog = bench_catalog();
  const Event event = make_event(1, EventType::sale);
  Position position;
  position.on_hand = 1'000'000'000;
  const Timestamp now = event.occurred_at;
  for (auto _ : state) {
    const EventCheck check = validate_event(event, catalog);
    benchmark::DoNotOptimize(check);
    const EventDecision decision =
        decide_event(event, 100, position, Position{}, now, RuleOptions{});
    apply_event(event, 100, decision, position, nullptr);
    benchmark::DoNotOptimize(position);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreApply);

// What keeping the demand model current costs per sale: observe_demand (a new day every
// 100 sales, so day closing is included) and the exception check the shard runs on it.
void BM_DemandModelPerSale(benchmark::State& state) {
  const Event event = make_event(1, EventType::sale);
  Position position;
  position.on_hand = 1'000'000'000;
  const EventDecision decision =
      decide_event(event, 100, position, Position{}, event.occurred_at, RuleOptions{});
  uint64_t n = 0;
  for (auto _ : state) {
    const Timestamp at = event.occurred_at + std::chrono::hours{24 * static_cast<int64_t>(n / 100)};
    const std::optional<ExceptionFinding> finding =
        detect_exception(event, decision, position, true);
    benchmark::DoNotOptimize(finding);
    observe_demand(position.demand, 1, at);
    benchmark::DoNotOptimize(position.demand);
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DemandModelPerSale);

// A count judged against the model (the costliest check: it closes days on a copy).
void BM_CountExceptionCheck(benchmark::State& state) {
  Event count = make_event(1, EventType::count);
  count.quantity = 90;
  Position position;
  position.on_hand = 100;
  position.version = 10;
  position.last_count_at = count.occurred_at - std::chrono::hours{24 * 14};
  for (int day = 60; day > 0; --day) {
    observe_demand(position.demand, 5 + day % 3, count.occurred_at - std::chrono::hours{24 * day});
  }
  const EventDecision decision =
      decide_event(count, 100, position, Position{}, count.occurred_at, RuleOptions{});
  for (auto _ : state) {
    benchmark::DoNotOptimize(detect_exception(count, decision, position, true));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountExceptionCheck);

// A 7-day forecast of a position with 60 days of history (GET /v1/forecast per location).
void BM_Forecast7Days(benchmark::State& state) {
  DemandModel model;
  const Timestamp now = timestamp_from_micros(1'790'000'000'000'000);
  for (int day = 60; day > 0; --day) {
    observe_demand(model, 5 + day % 7, now - std::chrono::hours{24 * day});
  }
  ForecastRequest request;
  request.now = now;
  request.horizon_days = 7;
  for (auto _ : state) benchmark::DoNotOptimize(forecast_demand(model, request));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Forecast7Days);

class TempStore {
 public:
  // `channels`: web, amazon and zalando pooling W1 and W2 (the outbox then announces
  // channel availability for every change), or none.
  explicit TempStore(bool sync, bool channels = false) {
    std::string pattern = (std::filesystem::temp_directory_path() / "stockd-bench-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    RocksStoreOptions options;
    options.data_dir = dir_;
    options.sync_writes = sync;
    std::string error;
    store_ = RocksStore::open(options, &error);
    EngineOptions engine_options;
    engine_options.shards = 2;
    engine_ = Engine::open(*store_, clock_, engine_options, &error);
    const Catalog catalog = bench_catalog();
    for (const auto& [id, location] : catalog.locations()) engine_->put_location(location);
    for (const auto& [id, source] : catalog.sources()) engine_->put_source(source);
    if (channels) {
      for (const char* id : {"web", "amazon", "zalando"}) {
        Channel channel;
        channel.id = id;
        channel.locations = {{"W1", 1}, {"W2", 2}};
        channel.buffer_units = 2;
        engine_->put_channel(channel);
      }
    }
  }
  ~TempStore() {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Engine& engine() { return *engine_; }

 private:
  std::string dir_;
  SystemClock clock_;
  std::unique_ptr<RocksStore> store_;
  std::unique_ptr<Engine> engine_;
};

// Durable (fsync'ed) event batches of range(0) events through the whole engine: shard
// routing, idempotency lookup, rules, ledger hashing, one atomic RocksDB write per
// shard batch. Items = events acknowledged.
void run_durable_batches(benchmark::State& state, bool channels) {
  TempStore store(/*sync=*/true, channels);
  const size_t batch_size = static_cast<size_t>(state.range(0));
  uint64_t serial = 0;
  for (auto _ : state) {
    std::vector<Event> batch;
    batch.reserve(batch_size);
    for (size_t i = 0; i < batch_size; ++i) batch.push_back(make_event(serial++));
    const auto results = apply_events_blocking(store.engine(), std::move(batch));
    benchmark::DoNotOptimize(results);
  }
  state.SetItemsProcessed(static_cast<int64_t>(serial));
}
void BM_EngineDurableBatch(benchmark::State& state) { run_durable_batches(state, false); }
BENCHMARK(BM_EngineDurableBatch)->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();

// The same with three channels: every event also writes its availability changes to the
// transactional outbox (in the same atomic write). Items = events acknowledged.
void BM_EngineDurableBatchOutbox(benchmark::State& state) { run_durable_batches(state, true); }
BENCHMARK(BM_EngineDurableBatchOutbox)->Arg(64)->Arg(1024)->UseRealTime();

// Many independent single-event clients at once (as HTTP requests arrive): group
// commit across callers is what makes this fast. Items = events acknowledged.
void BM_EngineDurableConcurrentSingles(benchmark::State& state) {
  TempStore store(/*sync=*/true);
  const size_t in_flight = static_cast<size_t>(state.range(0));
  uint64_t serial = 0;
  for (auto _ : state) {
    std::vector<std::promise<void>> done(in_flight);
    for (size_t i = 0; i < in_flight; ++i) {
      store.engine().submit_events({make_event(serial++)},
                                   [&done, i](std::vector<EventResult>) { done[i].set_value(); });
    }
    for (auto& promise : done) promise.get_future().wait();
  }
  state.SetItemsProcessed(static_cast<int64_t>(serial));
}
BENCHMARK(BM_EngineDurableConcurrentSingles)->Arg(64)->Arg(512)->UseRealTime();

// Reserve then release, durable, one caller: the checkout guard's round trip.
void BM_EngineReserveRelease(benchmark::State& state) {
  TempStore store(/*sync=*/true);
  std::vector<Event> stock;
  for (int i = 0; i < 1000; ++i) {
    Event e = make_event(static_cast<uint64_t>(i));
    e.quantity = 1'000'000;
    e.location = "W1";
    stock.push_back(std::move(e));
  }
  apply_events_blocking(store.engine(), std::move(stock));
  uint64_t n = 0;
  for (auto _ : state) {
    ReserveRequest request{"SKU-" + std::to_string(n++ % 1000),
                           "web",
                           {ReserveCandidate("W1")},
                           1,
                           std::chrono::seconds{900}};
    const ReserveResult held = reserve_blocking(store.engine(), std::move(request));
    end_reservation_blocking(store.engine(), held.reservation.id, ReservationState::released);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineReserveRelease)->UseRealTime();

// Channel availability of one SKU over a 9-location pool (3 warehouses, 6 stores with
// protection, counts and velocity), with pickup checks: the pure computation.
void BM_ChannelAvailability(benchmark::State& state) {
  Catalog catalog;
  Channel channel;
  channel.id = "web";
  channel.buffer_units = 2;
  channel.buffer_percent = 5;
  channel.sync_latency_seconds = 900;
  channel.pickup = true;
  std::vector<std::pair<std::string, Position>> positions;
  const Timestamp now = timestamp_from_micros(1'790'000'000'000'000);
  for (int i = 0; i < 9; ++i) {
    Location location;
    location.id = "L" + std::to_string(i);
    location.type = i < 3 ? LocationType::warehouse : LocationType::store;
    location.protected_min = i < 3 ? 0 : 2;
    location.count_sla_hours = 24;
    catalog.put(location);
    channel.locations.push_back({location.id, i < 3 ? 1 : 2});
    Position position;
    position.on_hand = 50 + i;
    position.last_count_at = now - std::chrono::hours{2};
    record_sale(position, 20, now - std::chrono::hours{30});
    // 40 days of history, through yesterday (Arg 0: every forecast closes a day on a
    // copy) or through today (Arg 1: read in place). Warehouses are fast movers.
    for (int day = 40; day >= 1 - static_cast<int>(state.range(0)); --day) {
      observe_demand(position.demand, i < 3 ? 20 : 1, now - std::chrono::hours{24 * day});
    }
    positions.emplace_back(location.id, position);
  }
  AvailabilityRequest request;
  request.now = now;
  for (auto _ : state) {
    const ChannelAvailability result = channel_availability(
        channel, catalog,
        [&](std::string_view id) -> const Position* {
          for (const auto& [location, position] : positions) {
            if (location == id) return &position;
          }
          return nullptr;
        },
        request);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChannelAvailability)->Arg(0)->Arg(1);

// A batch availability query of 1,000 SKUs through the engine (each read from its owning
// shard), then computed: what POST /v1/availability/query does minus HTTP and JSON.
void BM_EngineAvailabilityQuery1000(benchmark::State& state) {
  TempStore store(/*sync=*/true);
  std::vector<Event> stock;
  for (int i = 0; i < 1000; ++i) {
    Event e = make_event(static_cast<uint64_t>(i));
    e.quantity = 100;
    stock.push_back(std::move(e));
  }
  apply_events_blocking(store.engine(), std::move(stock));
  const std::shared_ptr<const Catalog> catalog = store.engine().catalog();
  Channel channel;
  channel.id = "web";
  channel.locations = {{"W1", 1}, {"W2", 2}};
  channel.buffer_units = 2;
  const Timestamp now = SystemClock{}.now();
  for (auto _ : state) {
    std::vector<std::promise<int64_t>> totals(1000);
    for (int i = 0; i < 1000; ++i) {
      store.engine().get_stock("SKU-" + std::to_string(i), [&, i](StockView view) {
        AvailabilityRequest request;
        request.now = now;
        const ChannelAvailability result = channel_availability(
            channel, *catalog,
            [&](std::string_view id) -> const Position* {
              for (const PositionView& held : view.positions) {
                if (held.location == id) return &held.position;
              }
              return nullptr;
            },
            request);
        totals[static_cast<size_t>(i)].set_value(result.total);
      });
    }
    int64_t sum = 0;
    for (auto& total : totals) sum += total.get_future().get();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_EngineAvailabilityQuery1000)->UseRealTime();

// Order routing alone: a 3-line order over 50 nodes (each stocking each SKU with
// probability 1/2), splitting allowed up to 3 shipments. Items = orders planned.
std::vector<RouteNode> fifty_nodes(uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<RouteNode> nodes;
  for (int n = 0; n < 50; ++n) {
    RouteNode node;
    node.location = "N" + std::to_string(n);
    node.shipment_cost_cents = 300 + static_cast<int64_t>(random() % 700);
    node.distance_m = static_cast<int64_t>(random() % 800'000);
    for (int d = 0; d < 3; ++d) {
      node.shippable.push_back(random() % 2 == 0 ? static_cast<int64_t>(random() % 4) : 0);
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

void BM_PlanRoute50Nodes(benchmark::State& state) {
  const std::vector<RouteDemand> demands{{"A", 2}, {"B", 3}, {"C", 1}};
  std::vector<std::vector<RouteNode>> cases;
  for (uint64_t seed = 1; seed <= 64; ++seed) cases.push_back(fifty_nodes(seed));
  RoutePolicy policy;
  policy.allow_partial = state.range(0) != 0;
  policy.max_shipments = 3;
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const RoutePlan plan = plan_route(demands, cases[i++ % cases.size()], policy);
    found += plan.found;
    benchmark::DoNotOptimize(plan);
  }
  state.counters["found_share"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanRoute50Nodes)->Arg(0)->Arg(1);

// Whole orders through the engine, durable: 3-line orders over a 50-node pool (each SKU
// of 1,000 stocked at every node), routed on the live positions, allocated across shards
// in one atomic write. `range(0)` callers place orders at once (the coordinator runs them
// one at a time). Items = orders allocated.
void BM_EngineOrders50Nodes(benchmark::State& state) {
  std::string pattern = (std::filesystem::temp_directory_path() / "stockd-bench-XXXXXX").string();
  const std::string dir = mkdtemp(pattern.data());
  {
    RocksStoreOptions options;
    options.data_dir = dir;
    std::string error;
    auto store = RocksStore::open(options, &error);
    SystemClock clock;
    EngineOptions engine_options;
    engine_options.shards = 2;
    auto engine = Engine::open(*store, clock, engine_options, &error);
    engine->put_source(Source{"wms", 100});
    Channel web;
    web.id = "web";
    std::mt19937_64 random(5);
    for (int n = 0; n < 50; ++n) {
      Location location;
      location.id = "N" + std::to_string(n);
      location.type = n < 10 ? LocationType::warehouse : LocationType::store;
      location.lat = 47 + static_cast<double>(random() % 700) / 100;
      location.lon = 6 + static_cast<double>(random() % 900) / 100;
      location.ship_cost_cents = 300 + static_cast<int64_t>(random() % 700);
      engine->put_location(location);
      web.locations.push_back({location.id, n});
    }
    engine->put_channel(web);
    std::vector<Event> stock;
    for (int sku = 0; sku < 1000; ++sku) {
      for (int n = 0; n < 50; ++n) {
        Event e = make_event(static_cast<uint64_t>(sku * 50 + n));
        e.sku = "SKU-" + std::to_string(sku);
        e.location = "N" + std::to_string(n);
        e.quantity = 1'000'000;
        stock.push_back(std::move(e));
      }
    }
    apply_events_blocking(*engine, std::move(stock));
    const Catalog& catalog = *engine->catalog();
    std::vector<ReserveCandidate> candidates;
    for (const ChannelLocation& member : pool_in_order(web)) {
      candidates.emplace_back(member.id, sellable_rule(web, *catalog.find_location(member.id)));
    }
    const size_t callers = static_cast<size_t>(state.range(0));
    uint64_t serial = 0, allocated = 0;
    for (auto _ : state) {
      std::vector<std::promise<bool>> done(callers);
      for (size_t c = 0; c < callers; ++c) {
        OrderRequest request;
        request.order.id = "bench-" + std::to_string(++serial);
        request.order.channel = "web";
        for (int line = 0; line < 3; ++line) {
          request.order.lines.push_back(
              {"SKU-" + std::to_string((serial * 7 + line * 331) % 1000), 1 + line, ""});
        }
        request.order.ship_to_lat = 47 + static_cast<double>(serial % 700) / 100;
        request.order.ship_to_lon = 6 + static_cast<double>(serial % 900) / 100;
        request.order.allow_partial = true;
        request.order.max_shipments = 3;
        request.candidates = candidates;
        engine->place_order(std::move(request), [&done, c](OrderResult result) {
          done[c].set_value(result.status == OrderStatus::ok);
        });
      }
      for (auto& each : done) allocated += each.get_future().get();
    }
    state.SetItemsProcessed(static_cast<int64_t>(allocated));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_EngineOrders50Nodes)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();
}  // namespace
}  // namespace stockd

BENCHMARK_MAIN();
