// The process the crash test kills. Opens the store in argv[1], then four client
// threads submit events and reservations as fast as the engine takes them; every
// acknowledged one is written to stdout ("E <source> <id>" or "R <id> <sku> <qty>")
// with one write(2) after the acknowledgement, so the parent knows what was promised.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "engine/blocking.hpp"
#include "storage/rocks_store.hpp"

using namespace stockd;

namespace {

void say(const std::string& line) {
  const std::string out = line + "\n";
  const ssize_t written = ::write(STDOUT_FILENO, out.data(), out.size());
  (void)written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: stockd_crash_child DATA_DIR ROUND\n");
    return 2;
  }
  const std::string round = argv[2];
  std::string error;
  RocksStoreOptions store_options;
  store_options.data_dir = argv[1];
  auto store = RocksStore::open(store_options, &error);
  if (!store) {
    std::fprintf(stderr, "crash child: %s\n", error.c_str());
    return 3;
  }
  SystemClock clock;
  EngineOptions options;
  options.shards = 2;
  auto engine = Engine::open(*store, clock, options, &error);
  if (!engine) {
    std::fprintf(stderr, "crash child: %s\n", error.c_str());
    return 3;
  }
  engine->put_location(Location{"W1"});
  engine->put_location(Location{"W2"});
  engine->put_source(Source{"wms", 100});
  Channel web;  // every change of its availability goes to the outbox
  web.id = "web";
  web.locations = {{"W1", 1}, {"W2", 2}};
  engine->put_channel(web);
  say("READY");

  std::vector<std::thread> clients;
  for (int client = 0; client < 4; ++client) {
    clients.emplace_back([&, client] {
      for (uint64_t n = 0;; ++n) {
        std::vector<Event> batch;
        const size_t size = 1 + (n * 7 + static_cast<uint64_t>(client)) % 40;
        for (size_t i = 0; i < size; ++i) {
          Event e;
          e.id = "c" + round + "-" + std::to_string(client) + "-" + std::to_string(n) + "-" +
                 std::to_string(i);
          e.source = "wms";
          e.type = i % 5 == 4 ? EventType::sale : EventType::receipt;
          e.sku = "SKU-" + std::to_string((n + i) % 50);
          e.location = i % 2 == 0 ? "W1" : "W2";
          e.quantity = 1 + static_cast<int64_t>(i % 3);
          e.occurred_at = clock.now();
          batch.push_back(std::move(e));
        }
        for (const EventResult& result : apply_events_blocking(*engine, batch)) {
          if (result.status == EventStatus::applied) say("E wms " + result.id);
        }
        if (client == 0 && n % 2 == 0) {
          // A group across shards: both holds and the group record, or none of them.
          GroupReserveRequest group;
          group.channel = "web";
          group.lines = {{"SKU-" + std::to_string(n % 50), 1},
                         {"SKU-" + std::to_string((n + 7) % 50), 1}};
          group.candidates = {ReserveCandidate("W1"), ReserveCandidate("W2")};
          group.ttl = std::chrono::seconds{3600};
          std::promise<GroupResult> promise;
          engine->reserve_group(group, [&](GroupResult r) { promise.set_value(std::move(r)); });
          const GroupResult held = promise.get_future().get();
          if (held.status == ReserveStatus::ok) {
            std::string line = "G " + held.group.id;
            for (const std::string& member : held.group.member_ids) line += " " + member;
            say(line);
          }
        }
        if (n % 3 == 0) {
          ReserveRequest request{"SKU-" + std::to_string(n % 50),
                                 "web",
                                 {ReserveCandidate("W1"), ReserveCandidate("W2")},
                                 1,
                                 std::chrono::seconds{3600}};
          const ReserveResult held = reserve_blocking(*engine, request);
          if (held.status == ReserveStatus::ok) {
            say("R " + held.reservation.id + " " + held.reservation.sku + " 1");
          }
        }
      }
    });
  }
  for (auto& thread : clients) thread.join();
}
