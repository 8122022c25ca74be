// Cluster mode's apply (engine/command_log.hpp): the same log gives the same answers and
// state whatever the batching and whatever the node's clock, and each partition's place
// in the log is durable with the state it produced.
#include <gtest/gtest.h>

#include <future>
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

  // Feeds the script to `engine`; `wait_each` answers each step before the next (one
  // command per batch), otherwise steps are queued together (batched) except where a
  // later step needs an earlier step's reservation id.
  std::vector<Answer> run(Engine& engine, bool wait_each) {
    const auto steps = script();
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
