// kill -9 at random moments: every acknowledged event must be applied exactly once
// after restart, every acknowledged reservation must still hold, and the ledger's
// hash chains and the positions it sums to must verify.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "base/bytes.hpp"
#include "core/availability.hpp"
#include "engine/audit.hpp"
#include "engine/blocking.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

struct ChildRun {
  std::vector<std::string> lines;  // complete lines only
};

// Starts the child, waits for READY, lets it run `run_ms`, kills it with SIGKILL.
ChildRun run_and_kill(const std::string& data_dir, int round, int run_ms) {
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    const std::string round_text = std::to_string(round);
    execl(STOCKD_CRASH_CHILD, STOCKD_CRASH_CHILD, data_dir.c_str(), round_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string buffer;
  char chunk[65536];
  bool ready = false;
  // Read until READY, then for run_ms, then kill and drain.
  while (!ready) {
    const ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    ready = buffer.find("READY\n") != std::string::npos;
  }
  EXPECT_TRUE(ready) << "child did not start";
  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{run_ms};
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n > 0)
      buffer.append(chunk, static_cast<size_t>(n));
    else
      usleep(1000);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited early";
  fcntl(pipe_fds[0], F_SETFL, 0);
  while (true) {
    const ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  ChildRun run;
  size_t start = 0;
  while (true) {
    const size_t end = buffer.find('\n', start);
    if (end == std::string::npos) break;  // a torn last line is not an acknowledgement we saw
    run.lines.push_back(buffer.substr(start, end - start));
    start = end + 1;
  }
  return run;
}

TEST(CrashTest, KillNineLosesNoAcknowledgedEvent) {
  testing::TempDir dir;
  std::mt19937 random(std::random_device{}());
  std::set<std::string> acked_events;
  std::map<std::string, std::string> acked_holds;                // id -> sku
  std::map<std::string, std::vector<std::string>> acked_groups;  // id -> member ids
  const int rounds = 24;
  for (int round = 0; round < rounds; ++round) {
    const int run_ms = 30 + static_cast<int>(random() % 400);
    const ChildRun run = run_and_kill(dir.path(), round, run_ms);
    for (const std::string& line : run.lines) {
      std::istringstream words(line);
      std::string kind;
      words >> kind;
      if (kind == "E") {
        std::string source, id;
        words >> source >> id;
        acked_events.insert(id);
      } else if (kind == "G") {
        std::string id, member;
        words >> id;
        while (words >> member) acked_groups[id].push_back(member);
      } else if (kind == "R") {
        std::string id, sku;
        words >> id >> sku;
        acked_holds[id] = sku;
      }
    }

    // Reopen as the server would and check everything acknowledged so far.
    std::string error;
    RocksStoreOptions options;
    options.data_dir = dir.path();
    auto store = RocksStore::open(options, &error);
    ASSERT_TRUE(store) << "round " << round << ": " << error;
    const AuditReport chain = verify_ledger(*store);
    ASSERT_TRUE(chain.ok) << "round " << round << ": " << chain.reason;
    const PositionAuditReport positions = verify_positions(*store);
    ASSERT_TRUE(positions.ok) << "round " << round << ": " << positions.reason;

    std::map<std::string, int> applied_count;
    ASSERT_TRUE(store
                    ->for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
                      const auto record = decode_ledger_record(bytes);
                      if (record && record->kind == RecordKind::event) {
                        applied_count[record->event.id] += 1;
                      }
                      return true;
                    })
                    .is_ok());
    for (const auto& [id, count] : applied_count) {
      ASSERT_EQ(count, 1) << "round " << round << ": event " << id << " applied " << count
                          << " times";
    }
    for (const std::string& id : acked_events) {
      ASSERT_EQ(applied_count.count(id), 1u)
          << "round " << round << ": acknowledged " << id << " is missing";
      ASSERT_TRUE(store->find_idempotency("wms", id).has_value());
    }
    for (const auto& [id, sku] : acked_holds) {
      const auto reservation = store->find_reservation(id);
      ASSERT_TRUE(reservation.has_value()) << "round " << round << ": hold " << id << " lost";
      EXPECT_EQ(reservation->sku, sku);
      EXPECT_EQ(reservation->state, ReservationState::active);
    }
    for (const auto& [id, members] : acked_groups) {
      ASSERT_TRUE(store->get_aux("group/" + id).has_value())
          << "round " << round << ": group " << id << " lost";
      for (const std::string& member : members) {
        ASSERT_TRUE(store->find_reservation(member).has_value())
            << "round " << round << ": member " << member << " of group " << id << " lost";
      }
    }
    // Every stored group, acknowledged or not, has all its members: one atomic write.
    size_t groups_stored = 0;
    ASSERT_TRUE(store
                    ->for_each_aux("group/",
                                   [&](std::string_view, std::string_view value) {
                                     ++groups_stored;
                                     ByteReader in(value);
                                     in.u8();
                                     for (int field = 0; field < 4; ++field)
                                       in.str();  // id, label, channel, location
                                     in.i64();    // units
                                     in.u8();     // state
                                     const uint32_t count = in.u32();
                                     for (uint32_t i = 0; i < count && in.ok(); ++i) {
                                       const std::string member = in.str();
                                       EXPECT_TRUE(store->find_reservation(member).has_value())
                                           << "a stored group lacks member " << member;
                                     }
                                     EXPECT_TRUE(in.ok() && in.at_end())
                                         << "a stored group does not decode";
                                   })
                    .is_ok());
    EXPECT_GE(groups_stored, acked_groups.size());
    // The outbox: gap-free per shard, and what was last announced for each SKU on "web"
    // is exactly its availability now (no change without its notification).
    Catalog catalog;
    ASSERT_TRUE(store->load_catalog(catalog).is_ok());
    const Channel* web = catalog.find_channel("web");
    ASSERT_NE(web, nullptr);
    std::map<std::string, std::map<std::string, Position, std::less<>>> positions_by_sku;
    ASSERT_TRUE(store
                    ->for_each_position([&](std::string_view sku, std::string_view location,
                                            const Position& position) {
                      positions_by_sku[std::string(sku)][std::string(location)] = position;
                    })
                    .is_ok());
    std::map<std::string, PublishedAvailability> published;
    ASSERT_TRUE(store
                    ->for_each_published([&](std::string_view sku, std::string_view channel,
                                             const PublishedAvailability& value) {
                      if (channel == "web") published[std::string(sku)] = value;
                    })
                    .is_ok());
    for (const auto& [sku, locations] : positions_by_sku) {
      AvailabilityRequest request;
      request.now = SystemClock{}.now();
      const ChannelAvailability now_available = channel_availability(
          *web, catalog,
          [&](std::string_view location) -> const Position* {
            const auto found = locations.find(location);
            return found == locations.end() ? nullptr : &found->second;
          },
          request);
      std::vector<OutboxLocation> breakdown;
      for (const LocationAvailability& entry : now_available.locations) {
        breakdown.push_back({entry.location, entry.sellable_units, entry.position.version});
      }
      const auto announced = published.find(sku);
      if (announced == published.end()) {
        EXPECT_EQ(now_available.total, 0) << "round " << round << ": " << sku << " never announced";
        continue;
      }
      EXPECT_EQ(announced->second.available, now_available.total)
          << "round " << round << ": " << sku << " announced a stale number";
      EXPECT_EQ(announced->second.breakdown_digest, breakdown_digest(breakdown))
          << "round " << round << ": " << sku;
    }
    for (uint32_t shard = 0; shard < 2; ++shard) {
      std::vector<OutboxRow> rows;
      ASSERT_TRUE(store->read_outbox(shard, 0, 10'000'000, rows).is_ok());
      for (size_t i = 1; i < rows.size(); ++i) {
        ASSERT_EQ(rows[i].sequence, rows[i - 1].sequence + 1) << "round " << round << ": gap";
      }
    }
    // The engine itself must accept the store (holds equal reserved buckets).
    ManualClock clock(SystemClock{}.now());
    EngineOptions engine_options;
    engine_options.shards = 2;
    auto engine = Engine::open(*store, clock, engine_options, &error);
    ASSERT_TRUE(engine) << "round " << round << ": " << error;
    engine.reset();
  }
  EXPECT_GT(acked_events.size(), 100u) << "the child barely ran; the test proved little";
  EXPECT_GT(acked_groups.size(), 5u) << "too few group holds were acknowledged to prove much";
  std::printf(
      "crash test: %d kills, %zu acknowledged events, %zu holds, %zu groups, all recovered\n",
      rounds, acked_events.size(), acked_holds.size(), acked_groups.size());
}

}  // namespace
}  // namespace stockd
