// The HTTP request path: bytes as a client sends them, read as the server reads them
// (Beast's parser with the server's limits), then authenticated, rate-checked, routed and
// handled by the real API on a real engine and RocksDB store. The store is shared by
// every input, so state builds up as it does in a server. Every answer is checked: a
// status from 100 to 599, and every refusal (400 and up) a problem+json object with a
// string `type`. Nothing may crash, trip an assertion or hang (-timeout).
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "api/api.hpp"
#include "api/wire_request.hpp"
#include "storage/rocks_store.hpp"

using namespace stockd;

namespace {

constexpr char kAdminToken[] = "fuzz-admin-token";  // the corpus uses it

struct World {
  std::string dir;
  std::unique_ptr<RocksStore> store;
  SystemClock clock;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<TokenStore> tokens;
  std::unique_ptr<Api> api;
  ~World();
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_http: %s\n", what.c_str());
  std::abort();
}

HttpResponse answer(World& world, HttpRequest request) {
  std::promise<HttpResponse> answered;
  std::future<HttpResponse> future = answered.get_future();
  world.api->handle(std::move(request), [&answered](HttpResponse response) {
    answered.set_value(std::move(response));
  });
  HttpResponse response = future.get();
  if (response.stream) response.stream->cancel();  // GET /v1/stream: nobody listens
  return response;
}

void check(const HttpResponse& response) {
  if (response.status < 100 || response.status > 599) {
    fail("status " + std::to_string(response.status));
  }
  for (const auto& [name, value] : response.headers) {
    if (name == "Content-Type" && value == "application/json") {
      boost::system::error_code error;
      (void)boost::json::parse(response.body, error);  // rejects ill-formed UTF-8 too
      if (error)
        fail("a " + std::to_string(response.status) + " that is not JSON: " + response.body);
    }
  }
  if (response.status < 400) return;
  bool problem_json = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "Content-Type" && value == "application/problem+json") problem_json = true;
  }
  if (!problem_json) fail("a " + std::to_string(response.status) + " without problem+json");
  boost::system::error_code error;
  const boost::json::value body = boost::json::parse(response.body, error);
  if (error || !body.is_object() || !body.as_object().contains("type") ||
      !body.as_object().at("type").is_string()) {
    fail("a " + std::to_string(response.status) +
         " whose body has no string type: " + response.body);
  }
}

std::unique_ptr<World> make_world() {
  auto w = std::make_unique<World>();
  std::string pattern =
      (std::filesystem::temp_directory_path() / "stockd-fuzz-http-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) fail("no temporary directory");
  w->dir = pattern;
  RocksStoreOptions store_options;
  store_options.data_dir = w->dir;
  store_options.sync_writes = false;  // speed; durability is the crash tests' business
  std::string error;
  w->store = RocksStore::open(store_options, &error);
  if (!w->store) fail(error);
  EngineOptions engine_options;
  engine_options.shards = 2;
  w->engine = Engine::open(*w->store, w->clock, engine_options, &error);
  if (!w->engine) fail(error);
  w->tokens = std::make_unique<TokenStore>(*w->store, w->clock);
  if (!w->tokens->load().is_ok()) fail("tokens");
  w->tokens->seed_admin(kAdminToken);
  ApiOptions api_options;
  api_options.rate_per_second = 0;  // no limit: every input reaches its handler
  api_options.access_log = false;   // most inputs are refused: no line for each
  w->api = std::make_unique<Api>(*w->engine, *w->tokens, w->clock, api_options);
  w->api->context().store = w->store.get();
  // A small retailer for the inputs to work on, configured through the API itself.
  const std::string auth = std::string("Authorization: Bearer ") + kAdminToken + "\r\n";
  const auto put = [&](const std::string& target, const std::string& body) {
    const std::string bytes =
        "PUT " + target + " HTTP/1.1\r\nHost: x\r\n" + auth +
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    WireParse parsed = parse_wire_request(bytes, WireLimits{});
    if (!parsed.request) fail("set-up request unreadable: " + target);
    const HttpResponse response = answer(*w, std::move(*parsed.request));
    if (response.status >= 300) fail("set-up " + target + ": " + response.body);
  };
  put("/v1/locations/W1", R"({"type":"warehouse","name":"DC","lat":52.5,"lon":13.4})");
  put("/v1/locations/S1", R"({"type":"store","name":"Store","lat":52.52,"lon":13.41})");
  put("/v1/sources/wms", R"({"priority":100})");
  put("/v1/sources/pos", R"({"priority":50})");
  put("/v1/channels/web", R"({"locations":[{"id":"W1","priority":1},{"id":"S1","priority":2}],)"
                          R"("reservation_ttl_seconds":60})");
  return w;
}

World::~World() {
  api.reset();
  tokens.reset();
  engine.reset();
  store.reset();
  std::filesystem::remove_all(dir);
}

// The world builds up state input after input (as a server does); it is made afresh
// every kInputsPerWorld inputs so that memory stays bounded on long runs.
constexpr uint64_t kInputsPerWorld = 20'000;
std::unique_ptr<World> current_world;
uint64_t inputs_in_world = 0;

World& world() {
  if (!current_world || inputs_in_world++ >= kInputsPerWorld) {
    current_world.reset();
    current_world = make_world();
    inputs_in_world = 1;
    static const bool cleanup = [] {
      std::atexit([] { current_world.reset(); });
      return true;
    }();
    (void)cleanup;
  }
  return *current_world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  WireLimits limits;
  limits.body_bytes_max = 64 * 1024;  // the server's checks, smaller for fuzzing speed
  const WireParse parsed =
      parse_wire_request(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (parsed.refusal) {
    const int status = parsed.refusal->status;
    if (status != 400 && status != 413 && status != 431) fail("refusal " + std::to_string(status));
    return 0;
  }
  if (!parsed.request) return 0;  // incomplete: the server would wait for more
  check(answer(w, *parsed.request));
  return 0;
}
