// Cluster mode's apply (engine/command_log.hpp): the same log gives the same answers and
// state whatever the batching and whatever the node's clock, and each partition's place
// in the log is durable with the state it produced.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <random>
#include <variant>

#include "core/test_support.hpp"
#include "engine/blocking.hpp"
#include "engine/engine.hpp"
#include "engine/engine_fixture.hpp"
#include "storage/rocks_store.hpp"

namespace stockd {
namespace {

using testing::at;
using testing::TempDir;

constexpr size_t kPartitions = 4;

// A SKU that belongs to `partition` (shard_of with kPartitions shards).
std::string sku_in(uint32_t partition, int nth = 0) {
  for (int i = 0;; ++i) {
    std::string sku = "LOG-" + std::to_string(i);
    if (Engine::slot_of(sku) % kPartitions == partition && nth-- == 0) return sku;
  }
}

struct Node {
  explicit Node(Timestamp clock_at) : clock(clock_at) { open(); }
  void open() {
    std::string error;
    RocksStoreOptions store_options;
    store_options.data_dir = dir.path();
    store = RocksStore::open(store_options, &error);
    ASSERT_TRUE(store) << error;
    EngineOptions options;
    options.shards = kPartitions;
    options.log_driven = true;
    engine = Engine::open(*store, clock, options, &error);
    ASSERT_TRUE(engine) << error;
    if (engine->catalog()->locations().empty()) {
      const Catalog catalog = testing::test_catalog();
      for (const auto& [id, location] : catalog.locations()) engine->put_location(location);
      for (const auto& [id, source] : catalog.sources()) engine->put_source(source);
    }
  }
  void close() {
    engine.reset();
    store.reset();
  }
  TempDir dir;
  ManualClock clock;
  std::unique_ptr<RocksStore> store;
  std::unique_ptr<Engine> engine;
};

struct EventsStep {
  std::vector<Event> events;
};
struct ReserveStep {
  ReserveRequest request;
};
struct EndStep {
  size_t reserve_step;  // the step whose hold this ends
  ReservationState to;
};
struct TickStep {};
using Step = std::variant<EventsStep, ReserveStep, EndStep, TickStep>;

// What an answer says, flattened for comparison.
struct Answer {
  std::string text;
  friend bool operator==(const Answer&, const Answer&) = default;
};
std::ostream& operator<<(std::ostream& out, const Answer& answer) { return out << answer.text; }

Answer describe(const std::vector<EventResult>& results) {
  Answer answer;
  for (const EventResult& result : results) {
    answer.text += result.id + ":" + std::string(event_status_name(result.status)) + "@" +
                   std::to_string(result.version) + ";";
  }
  return answer;
}
Answer describe(const ReserveResult& result) {
  return {std::to_string(static_cast<int>(result.status)) + " " + result.reservation.id + " " +
          std::to_string(static_cast<int>(result.reservation.state)) + " v" +
          std::to_string(result.version) + " until " +
          std::to_string(micros_of(result.reservation.expires_at))};
}

Event fact(EventType type, const std::string& id, const std::string& sku, int64_t quantity) {
  Event e = testing::event(type, quantity);
  e.id = id;
  e.sku = sku;
  e.location = "W1";
  return e;
}

ReserveRequest hold(const std::string& sku, int64_t quantity, Duration ttl) {
  ReserveRequest request;
  request.sku = sku;
  request.channel = "web";
  request.candidates.emplace_back("W1");
  request.quantity = quantity;
  request.ttl = ttl;
  return request;
}

class LogModeTest : public ::testing::Test {
 protected:
  const uint32_t partition_ = 1;
  const std::string sku_ = sku_in(1);
  const Timestamp t0_ = at("2026-11-27T10:00:00Z");

  std::vector<std::pair<Step, LogStamp>> script() {
    using std::chrono::seconds;
    std::vector<std::pair<Step, LogStamp>> steps;
    auto add = [&](Step step, int seconds_after) {
      const uint64_t offset = steps.size() * 3 + 5;  // offsets need not be dense
      steps.push_back({std::move(step), LogStamp{offset, t0_ + seconds{seconds_after}}});
    };
    add(EventsStep{{fact(EventType::receipt, "e-1", sku_, 10),
                    fact(EventType::receipt, "e-2", sku_in(1, 1), 4)}},
        0);
    add(ReserveStep{hold(sku_, 3, seconds{60})}, 1);  // step 1: ok
    add(ReserveStep{hold(sku_, 8, seconds{60})}, 2);  // insufficient: 7 left
    add(EventsStep{{fact(EventType::sale, "e-3", sku_, 2)}}, 3);
    add(EndStep{1, ReservationState::committed}, 4);
    add(ReserveStep{hold(sku_, 2, seconds{10})}, 5);                  // step 5: expires at +15 s
    add(TickStep{}, 12);                                              // not yet
    add(EventsStep{{fact(EventType::receipt, "e-1", sku_, 10)}}, 2);  // a stamp from behind
    add(TickStep{}, 20);                                              // step 5 expires
    add(ReserveStep{hold(sku_, 5, seconds{60})}, 21);                 // 10 − 3 − 2 = 5 left
    add(EndStep{5, ReservationState::released}, 22);                  // already expired
    return steps;
  }

  // Feeds `steps` (the script by default) to `engine`; `wait_each` answers each step
  // before the next (one command per batch), otherwise steps are queued together
  // (batched) except where a later step needs an earlier step's reservation id.
  std::vector<Answer> run(Engine& engine, bool wait_each) {
    return run(engine, wait_each, script());
  }
  std::vector<Answer> run(Engine& engine, bool wait_each,
                          const std::vector<std::pair<Step, LogStamp>>& steps) {
    std::vector<std::shared_future<Answer>> futures(steps.size());
    std::vector<std::string> ids(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto& [step, stamp] = steps[i];
      auto promise = std::make_shared<std::promise<Answer>>();
      futures[i] = promise->get_future().share();
      if (const auto* events = std::get_if<EventsStep>(&step)) {
        engine.apply_logged_events(
            partition_, stamp, events->events,
            [promise](std::vector<EventResult> results) { promise->set_value(describe(results)); });
      } else if (const auto* reserve = std::get_if<ReserveStep>(&step)) {
        engine.apply_logged_reserve(partition_, stamp, reserve->request,
                                    [promise, &ids, i](ReserveResult result) {
                                      ids[i] = result.reservation.id;
                                      promise->set_value(describe(result));
                                    });
      } else if (const auto* end = std::get_if<EndStep>(&step)) {
        futures[end->reserve_step].wait();
        if (ids[end->reserve_step].empty()) {
          // The hold was refused: there is nothing to end (a node never logs an end of a
          // malformed id; it answers not found).
          promise->set_value({"no hold"});
          continue;
        }
        engine.apply_logged_end(
            partition_, stamp, ids[end->reserve_step], end->to, "order-1", "",
            [promise](ReserveResult result) { promise->set_value(describe(result)); });
      } else {
        engine.apply_logged_tick(partition_, stamp);
        promise->set_value({"tick"});
      }
      if (wait_each) futures[i].wait();
    }
    std::vector<Answer> answers;
    for (auto& future : futures) answers.push_back(future.get());
    return answers;
  }
};

TEST_F(LogModeTest, TheSameLogGivesTheSameAnswersWhateverTheBatchingAndClock) {
  Node batched(at("2026-11-27T09:00:00Z"));
  Node one_by_one(at("2031-01-01T00:00:00Z"));  // a node whose clock is years off
  const std::vector<Answer> first = run(*batched.engine, false);
  const std::vector<Answer> second = run(*one_by_one.engine, true);
  EXPECT_EQ(first, second);
  // The answers themselves: an id derived from the log, statuses as the rules say.
  EXPECT_NE(first[1].text.find(" r"), std::string::npos) << first[1];
  EXPECT_EQ(first[2].text.substr(0, 2),
            std::to_string(int(ReserveStatus::insufficient_stock)) + " ");
  EXPECT_EQ(first[7], (Answer{"e-1:duplicate@1;"}));
  EXPECT_EQ(first[9].text.substr(0, 2), "0 ");  // 5 left after the expiry: held
  EXPECT_EQ(first[10].text.substr(0, 2),
            std::to_string(int(ReserveStatus::reservation_not_active)) + " ");
  const StockView a = get_stock_blocking(*batched.engine, sku_);
  const StockView b = get_stock_blocking(*one_by_one.engine, sku_);
  ASSERT_EQ(a.positions.size(), 1u);
  ASSERT_EQ(b.positions.size(), 1u);
  EXPECT_EQ(a.positions[0].position, b.positions[0].position);
  EXPECT_EQ(a.positions[0].position.on_hand, 8);
  EXPECT_EQ(a.positions[0].position.reserved, 5);
  EXPECT_EQ(a.positions[0].position.allocated, 3);
}

// Random logs of one partition: facts of several kinds, holds with short and long TTLs,
// commits and releases of earlier holds, clock ticks and stamps from behind, at offsets
// with gaps. Applied batched on one node and one by one on another (their clocks years
// apart), every answer and every position must agree, and after a restart too.
TEST_F(LogModeTest, RandomLogsGiveTheSameAnswersAndStateOnTwoNodes) {
  const std::vector<std::string> skus = {sku_in(1, 0), sku_in(1, 1), sku_in(1, 2)};
  const std::vector<std::string> locations = {"W1", "W2", "S1"};
  // What the logs exercised, over all seeds (so the comparison is not of trivia).
  std::map<std::string, int> seen;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    std::mt19937_64 random(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(random() % n); };
    std::vector<std::pair<Step, LogStamp>> steps;
    std::vector<size_t> holds;  // steps that reserve
    std::vector<Event> sent;    // facts sent so far
    uint64_t offset = 0;
    int64_t seconds = 0;
    for (int i = 0; i < 150; ++i) {
      offset += 1 + pick(3);
      // Mostly forward, sometimes a proposer whose clock is behind.
      seconds += pick(10) == 0 ? -static_cast<int64_t>(pick(30)) : static_cast<int64_t>(pick(20));
      const LogStamp stamp{offset, t0_ + std::chrono::seconds{seconds}};
      const size_t kind = pick(10);
      const std::string& sku = skus[pick(skus.size())];
      if (kind == 0 && !sent.empty()) {
        steps.push_back({EventsStep{{sent[pick(sent.size())]}}, stamp});  // a retry: duplicate
      } else if (kind < 4) {
        static const EventType kTypes[] = {EventType::receipt, EventType::receipt, EventType::sale,
                                           EventType::shrink, EventType::count};
        const EventType type = kTypes[pick(5)];
        Event e = fact(type, "s" + std::to_string(seed) + "-" + std::to_string(pick(120)), sku,
                       1 + static_cast<int64_t>(pick(type == EventType::count ? 40 : 8)));
        e.location = locations[pick(locations.size())];
        if (type == EventType::shrink) e.reason = "cycle_loss";
        sent.push_back(e);
        steps.push_back(
            {EventsStep{{e}}, stamp});  // ids from 120: a reuse with another payload is refused
      } else if (kind < 7) {
        ReserveRequest request =
            hold(sku, 1 + static_cast<int64_t>(pick(4)), std::chrono::seconds{5 + pick(120)});
        request.candidates.clear();
        request.candidates.emplace_back(locations[pick(locations.size())]);
        holds.push_back(steps.size());
        steps.push_back({ReserveStep{request}, stamp});
      } else if (kind < 9 && !holds.empty()) {
        steps.push_back(
            {EndStep{holds[pick(holds.size())],
                     pick(2) == 0 ? ReservationState::committed : ReservationState::released},
             stamp});
      } else {
        steps.push_back({TickStep{}, stamp});
      }
    }
    Node batched(at("2026-11-27T09:00:00Z"));
    Node one_by_one(at("2031-01-01T00:00:00Z"));
    const std::vector<Answer> first = run(*batched.engine, false, steps);
    const std::vector<Answer> second = run(*one_by_one.engine, true, steps);
    ASSERT_EQ(first, second) << "seed " << seed;
    for (const Answer& answer : first) {
      for (const char* what : {":applied", ":duplicate", ":rejected"}) {
        if (answer.text.find(what) != std::string::npos) seen[what] += 1;
      }
      const std::string status = answer.text.substr(0, answer.text.find(' '));
      if (status == std::to_string(int(ReserveStatus::ok))) seen["held or ended"] += 1;
      if (status == std::to_string(int(ReserveStatus::insufficient_stock))) seen["refused"] += 1;
      if (status == std::to_string(int(ReserveStatus::reservation_not_active)))
        seen["ended before"] += 1;
    }
    one_by_one.close();
    one_by_one.open();
    for (const std::string& sku : skus) {
      const StockView a = get_stock_blocking(*batched.engine, sku);
      const StockView b = get_stock_blocking(*one_by_one.engine, sku);
      ASSERT_EQ(a.positions.size(), b.positions.size()) << "seed " << seed << " " << sku;
      for (size_t i = 0; i < a.positions.size(); ++i) {
        EXPECT_EQ(a.positions[i].location, b.positions[i].location);
        EXPECT_EQ(a.positions[i].position, b.positions[i].position) << "seed " << seed;
      }
    }
    EXPECT_EQ(batched.engine->log_checkpoint(partition_).next_offset, offset + 1);
    EXPECT_EQ(one_by_one.engine->log_checkpoint(partition_).log_time,
              batched.engine->log_checkpoint(partition_).log_time);
  }
  for (const char* what :
       {":applied", ":duplicate", ":rejected", "held or ended", "refused", "ended before"}) {
    EXPECT_GT(seen[what], 0) << what;
  }
}

TEST_F(LogModeTest, HoldsExpireByTheLogsTimeNotTheNodesClock) {
  Node node(t0_);
  node.engine->apply_logged_events(partition_, {0, t0_}, {fact(EventType::receipt, "e-1", sku_, 5)},
                                   [](std::vector<EventResult>) {});
  std::promise<ReserveResult> held;
  node.engine->apply_logged_reserve(partition_, {1, t0_}, hold(sku_, 5, std::chrono::seconds{10}),
                                    [&](ReserveResult result) { held.set_value(result); });
  const ReserveResult result = held.get_future().get();
  ASSERT_EQ(result.status, ReserveStatus::ok);
  node.clock.advance(std::chrono::hours{1});  // the node's clock alone expires nothing
  EXPECT_EQ(get_reservation_blocking(*node.engine, result.reservation.id).reservation.state,
            ReservationState::active);
  node.engine->apply_logged_tick(partition_, {2, t0_ + std::chrono::seconds{11}});
  EXPECT_EQ(get_reservation_blocking(*node.engine, result.reservation.id).reservation.state,
            ReservationState::expired);
}

TEST_F(LogModeTest, TheCheckpointIsDurableWithTheStateAndResumesAfterARestart) {
  Node node(t0_);
  EXPECT_EQ(node.engine->log_checkpoint(partition_).next_offset, 0u);
  run(*node.engine, false);
  const uint64_t last_offset = script().back().second.offset;
  const LogCheckpoint before = node.engine->log_checkpoint(partition_);
  EXPECT_EQ(before.next_offset, last_offset + 1);
  EXPECT_EQ(before.log_time, t0_ + std::chrono::seconds{22});
  EXPECT_EQ(node.engine->log_checkpoint(0).next_offset, 0u);  // other partitions untouched
  const Position position = get_stock_blocking(*node.engine, sku_).positions.at(0).position;

  node.close();
  node.open();
  const LogCheckpoint after = node.engine->log_checkpoint(partition_);
  EXPECT_EQ(after.next_offset, before.next_offset);
  EXPECT_EQ(after.log_time, before.log_time);
  EXPECT_EQ(get_stock_blocking(*node.engine, sku_).positions.at(0).position, position);
  // The next command of the log applies where the last one left off.
  std::promise<std::vector<EventResult>> applied;
  node.engine->apply_logged_events(
      partition_, {last_offset + 1, t0_}, {fact(EventType::receipt, "e-9", sku_, 1)},
      [&](std::vector<EventResult> results) { applied.set_value(results); });
  EXPECT_EQ(applied.get_future().get().at(0).status, EventStatus::applied);
  EXPECT_EQ(node.engine->log_checkpoint(partition_).next_offset, last_offset + 2);
}

// A configuration log that applies each change at once, as the topic would.
class ConfigLogLoopback final : public CommandLog {
 public:
  explicit ConfigLogLoopback(Engine& engine) : engine_(engine) {}
  void propose_events(std::vector<Event>, std::function<void(std::vector<EventResult>)>) override {}
  void propose_reserve(ReserveRequest, std::function<void(ReserveResult)>) override {}
  void propose_end(std::string, ReservationState, std::string, std::string,
                   std::function<void(ReserveResult)>) override {}
  void read_stock(std::string, std::function<void(StockView)>) override {}
  void read_reservation(std::string, std::function<void(ReserveResult)>) override {}
  ConfigCheck propose_config(ConfigKind kind, std::string id, std::string bytes) override {
    proposed.push_back(std::string(1, static_cast<char>(kind)) + id +
                       (bytes.empty() ? " -" : " +"));
    return engine_.apply_logged_config(kind, id, bytes);
  }
  std::vector<std::string> proposed;

 private:
  Engine& engine_;
};

TEST_F(LogModeTest, ConfigurationGoesThroughTheLogAndRefusalsAreDecidedFirst) {
  Node node(t0_);
  ConfigLogLoopback log(*node.engine);
  node.engine->set_command_log(&log);
  Location location;
  location.id = "X9";
  EXPECT_TRUE(node.engine->put_location(location).ok());
  EXPECT_TRUE(node.engine->catalog()->locations().contains("X9"));
  Channel channel;
  channel.id = "web2";
  channel.locations = {{"NOWHERE", 1}};
  EXPECT_EQ(node.engine->put_channel(channel).error, ConfigError::unknown_location);
  channel.locations = {{"X9", 1}};
  EXPECT_TRUE(node.engine->put_channel(channel).ok());
  EXPECT_EQ(node.engine->remove_config(ConfigKind::location, "X9").error,
            ConfigError::location_in_use);
  EXPECT_EQ(node.engine->remove_config(ConfigKind::source, "nope").error, ConfigError::not_found);
  EXPECT_TRUE(node.engine->remove_config(ConfigKind::channel, "web2").ok());
  EXPECT_TRUE(node.engine->remove_config(ConfigKind::location, "X9").ok());
  EXPECT_FALSE(node.engine->catalog()->locations().contains("X9"));
  // Only what passed the checks reached the log, in order.
  const std::vector<std::string> expected = {"LX9 +", "Cweb2 +", "Cweb2 -", "LX9 -"};
  EXPECT_EQ(log.proposed, expected);
  // A change read back from the log is stored: it survives a restart.
  node.engine->set_command_log(nullptr);
  Location kept;
  kept.id = "X8";
  EXPECT_TRUE(
      node.engine->apply_logged_config(ConfigKind::location, "X8", encode_location(kept)).ok());
  EXPECT_EQ(
      node.engine->apply_logged_config(ConfigKind::location, "other", encode_location(kept)).error,
      ConfigError::invalid_id);
  node.close();
  node.open();
  EXPECT_TRUE(node.engine->catalog()->locations().contains("X8"));
}

TEST_F(LogModeTest, AStoreWrittenInClusterModeIsNotOpenedOutsideIt) {
  Node node(t0_);
  run(*node.engine, false);
  node.engine.reset();
  std::string error;
  EngineOptions options;
  options.shards = kPartitions;
  EXPECT_EQ(Engine::open(*node.store, node.clock, options, &error), nullptr);
  EXPECT_NE(error.find("cluster mode"), std::string::npos) << error;
}

}  // namespace
}  // namespace stockd
