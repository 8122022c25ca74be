// Power loss: a child process writes through PowerLossFs and loses every unsynced byte
// at a random moment, many times over one store. After each cut the store must open,
// its hash chains and positions must verify, and every event the child heard
// acknowledged must be there. A control with fsync off must lose acknowledged events,
// or this harness could not tell a lying disk from a durable one.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "engine/audit.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

struct PowerRun {
  std::set<std::string> acked;
  uint64_t bytes_dropped = 0;
  bool cut = false;
  bool degraded = false;   // the child saw the engine report storage degraded
  bool recovered = false;  // ... and then healthy again by itself
  uint64_t acked_after_recovery = 0;
  uint64_t reopens = 0;
  std::map<std::string, uint64_t> reads;  // "durable", "live", "refused", "unanswered"
};

PowerRun run_until_power_cut(const std::string& dir, int run_ms, const char* mode, int round) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    const std::string ms = std::to_string(run_ms);
    const std::string round_text = std::to_string(round);
    execl(STOCKD_POWER_CHILD, STOCKD_POWER_CHILD, dir.c_str(), ms.c_str(), mode, round_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string output;
  char chunk[65536];
  while (true) {
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    output.append(chunk, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  // It ends itself right after a power cut (writers stop dead), or after reporting a
  // failing disk.
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  PowerRun run;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // a torn last line is not an acknowledgement
    if (line.rfind("E ", 0) == 0) run.acked.insert(line.substr(2));
    if (line == "FAIL") run.cut = true;
    if (line == "DEGRADED") run.degraded = true;
    if (line == "RECOVERED") run.recovered = true;
    if (run.recovered && line.rfind("E ", 0) == 0) ++run.acked_after_recovery;
    if (line.rfind("READ ", 0) == 0) ++run.reads[line.substr(5)];
    if (line.rfind("REOPENS ", 0) == 0) run.reopens = std::stoull(line.substr(8));
    if (line.rfind("CUT ", 0) == 0) {
      run.cut = true;
      run.bytes_dropped = std::stoull(line.substr(4));
    }
  }
  return run;
}

struct Tally {
  uint64_t acked = 0;
  uint64_t lost = 0;
  uint64_t stored_unacked = 0;
  uint64_t reopened = 0;
  uint64_t bytes_dropped = 0;
  std::vector<double> reopen_ms;
};

// Reopens the store as the server would and checks it; counts acked events missing.
void check_after_cut(const std::string& dir, const PowerRun& run, Tally& tally, int round) {
  const auto started = std::chrono::steady_clock::now();
  std::string error;
  RocksStoreOptions options;
  options.data_dir = dir;
  auto store = RocksStore::open(options, &error);
  ASSERT_TRUE(store) << "round " << round << ": " << error;
  SystemClock clock;
  EngineOptions engine_options;
  engine_options.shards = 2;
  auto engine = Engine::open(*store, clock, engine_options, &error);
  ASSERT_TRUE(engine) << "round " << round << ": " << error;
  tally.reopen_ms.push_back(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count());
  ++tally.reopened;
  engine.reset();
  const AuditReport chain = verify_ledger(*store);
  ASSERT_TRUE(chain.ok) << "round " << round << ": " << chain.reason;
  const PositionAuditReport positions = verify_positions(*store);
  ASSERT_TRUE(positions.ok) << "round " << round << ": " << positions.reason;
  tally.acked += run.acked.size();
  tally.bytes_dropped += run.bytes_dropped;
  for (const std::string& id : run.acked) {
    if (!store->find_idempotency("wms", id)) ++tally.lost;
  }
  // Stored without the child hearing back: allowed (the answer was lost with the power).
  const std::string prefix = "p" + std::to_string(round) + "-";
  ASSERT_TRUE(store
                  ->for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
                    const auto record = decode_ledger_record(bytes);
                    if (record && record->kind == RecordKind::event &&
                        record->event.id.rfind(prefix, 0) == 0 &&
                        !run.acked.contains(record->event.id)) {
                      ++tally.stored_unacked;
                    }
                    return true;
                  })
                  .is_ok());
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[static_cast<size_t>(p * (values.size() - 1))];
}

TEST(PowerLossTest, AcknowledgedEventsSurviveEveryPowerCut) {
  testing::TempDir dir;
  std::mt19937 random(std::random_device{}());
  Tally tally;
  const int rounds = 20;
  for (int round = 0; round < rounds; ++round) {
    const PowerRun run =
        run_until_power_cut(dir.path(), 40 + static_cast<int>(random() % 260), "sync", round);
    ASSERT_TRUE(run.cut) << "round " << round << ": the child never cut the power";
    check_after_cut(dir.path(), run, tally, round);
    if (HasFatalFailure()) return;
  }
  std::printf(
      "power loss: %d cuts, %llu acknowledged, %llu lost, %llu stored unacknowledged, %llu "
      "unsynced bytes dropped, %llu/%d reopened, reopen p50 %.0f ms p99 %.0f ms\n",
      rounds, static_cast<unsigned long long>(tally.acked),
      static_cast<unsigned long long>(tally.lost),
      static_cast<unsigned long long>(tally.stored_unacked),
      static_cast<unsigned long long>(tally.bytes_dropped),
      static_cast<unsigned long long>(tally.reopened), rounds, percentile(tally.reopen_ms, 0.5),
      percentile(tally.reopen_ms, 0.99));
  EXPECT_GT(tally.acked, 200u);  // ~5,000 in a debug build; ASan on a busy machine is slower
  EXPECT_EQ(tally.lost, 0u);
  EXPECT_EQ(tally.reopened, static_cast<uint64_t>(rounds));
}

TEST(PowerLossTest, WithoutFsyncTheHarnessSeesAcknowledgedEventsLost) {
  testing::TempDir dir;
  Tally tally;
  for (int round = 0; round < 3; ++round) {
    const PowerRun run = run_until_power_cut(dir.path(), 150, "nosync", round);
    ASSERT_TRUE(run.cut);
    check_after_cut(dir.path(), run, tally, round);
    if (HasFatalFailure()) return;
  }
  std::printf("control (fsync off): %llu acknowledged, %llu lost\n",
              static_cast<unsigned long long>(tally.acked),
              static_cast<unsigned long long>(tally.lost));
  EXPECT_GT(tally.lost, 0u);
}

// Disk faults: fsync starts failing with EIO for good (and the kernel drops the dirty
// pages). The failed batch must never be acknowledged: the shard stops acknowledging and
// reports storage degraded, and after a reopen every acknowledged event is there.
TEST(PowerLossTest, AFailingFsyncIsNeverAcknowledged) {
  testing::TempDir dir;
  std::mt19937 random(std::random_device{}());
  Tally tally;
  std::map<std::string, uint64_t> reads;
  const int rounds = 10;
  for (int round = 0; round < rounds; ++round) {
    const PowerRun run =
        run_until_power_cut(dir.path(), 40 + static_cast<int>(random() % 200), "eio", round);
    ASSERT_TRUE(run.cut) << "round " << round;
    EXPECT_TRUE(run.degraded) << "round " << round << ": the engine never reported the fault";
    // Reads are never refused for the fault: a stuck shard answers from what is durable.
    EXPECT_EQ(run.reads.count("refused"), 0u) << "round " << round;
    for (const auto& [how, count] : run.reads) reads[how] += count;
    check_after_cut(dir.path(), run, tally, round);
    if (HasFatalFailure()) return;
  }
  std::printf(
      "fsync EIO: %d faults, %llu acknowledged, %llu lost, %llu stored unacknowledged; reads "
      "during the fault: %llu from the durable state, %llu live, %llu unanswered\n",
      rounds, static_cast<unsigned long long>(tally.acked),
      static_cast<unsigned long long>(tally.lost),
      static_cast<unsigned long long>(tally.stored_unacked),
      static_cast<unsigned long long>(reads["durable"]),
      static_cast<unsigned long long>(reads["live"]),
      static_cast<unsigned long long>(reads["unanswered"]));
  EXPECT_GT(tally.acked, 50u);
  EXPECT_EQ(tally.lost, 0u);
  EXPECT_GT(reads["durable"], 0u);
}

// A fault that passes (`mode`, see power_child.cpp), then a power cut, `rounds` times:
// each time the engine must report the fault, recover by itself and acknowledge again,
// and afterwards every acknowledged event must be there. Prints the figures as `what`.
void recover_from_transient_faults(const char* mode, const char* what, bool expect_reopen) {
  testing::TempDir dir;
  std::mt19937 random(std::random_device{}());
  Tally tally;
  const int rounds = 5;
  uint64_t acked_after_recovery = 0;
  uint64_t reopens = 0;
  for (int round = 0; round < rounds; ++round) {
    const PowerRun run =
        run_until_power_cut(dir.path(), 40 + static_cast<int>(random() % 200), mode, round);
    ASSERT_TRUE(run.cut) << "round " << round;
    EXPECT_TRUE(run.degraded) << "round " << round << ": the engine never reported the fault";
    EXPECT_TRUE(run.recovered) << "round " << round << ": the engine never recovered";
    if (expect_reopen) {
      EXPECT_GT(run.reopens, 0u) << "round " << round;
    }
    EXPECT_GT(run.acked_after_recovery, 0u) << "round " << round;
    acked_after_recovery += run.acked_after_recovery;
    reopens += run.reopens;
    check_after_cut(dir.path(), run, tally, round);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf(
      "%s: %d faults, %llu store reopens, %llu acknowledged (%llu after recovery), %llu lost, "
      "%llu stored unacknowledged\n",
      what, rounds, static_cast<unsigned long long>(reopens),
      static_cast<unsigned long long>(tally.acked),
      static_cast<unsigned long long>(acked_after_recovery),
      static_cast<unsigned long long>(tally.lost),
      static_cast<unsigned long long>(tally.stored_unacked));
  EXPECT_EQ(tally.lost, 0u);
}

// A transient EIO on fsync (150 ms): RocksDB will not resume after an I/O error on its
// log, so the store is closed and opened again in place from what is durable, the stuck
// batches are written again, and the engine acknowledges again without a restart.
TEST(PowerLossTest, ATransientFsyncErrorReopensTheStoreInPlace) {
  recover_from_transient_faults("eio_transient", "transient fsync EIO", true);
}

// A full disk for 300 ms: the engine stops acknowledging, reports storage degraded, and
// when space returns (RocksDB resumes by itself) writes the stuck batches and
// acknowledges again.
TEST(PowerLossTest, AFullDiskDegradesThenRecoversWithoutLosingAnything) {
  recover_from_transient_faults("enospc", "disk full", false);
}

}  // namespace
}  // namespace stockd
