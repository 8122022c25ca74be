// The `stockd` binary: one entry point for the CLI tools (and, later, the server).
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "api/auth.hpp"
#include "app/batch_commands.hpp"
#include "app/config_file.hpp"
#include "app/demo.hpp"
#include "app/serve.hpp"
#include "app/simulate_command.hpp"
#include "codec/json.hpp"
#include "engine/audit.hpp"
#include "engine/blocking.hpp"
#include "storage/rocks_store.hpp"

namespace stockd {
namespace {

constexpr char kVersion[] = "0.1.0";
constexpr size_t kApplyBatchEvents = 1000;

// An opened store and engine, with the configuration file declared.
struct Opened {
  std::unique_ptr<RocksStore> store;
  SystemClock clock;
  std::unique_ptr<Engine> engine;
};

std::unique_ptr<Opened> open_all(const std::string& data_dir, const std::string& config_path,
                                 size_t shards) {
  FileConfig config;
  std::string error;
  if (!config_path.empty() && !load_config_file(config_path, config, &error)) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return nullptr;
  }
  auto opened = std::make_unique<Opened>();
  RocksStoreOptions store_options;
  store_options.data_dir = data_dir;
  store_options.idempotency_retention = std::chrono::seconds{config.idempotency_retention_seconds};
  opened->store = RocksStore::open(store_options, &error);
  if (!opened->store) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return nullptr;
  }
  EngineOptions options = engine_options(config);
  if (shards != 0) options.shards = shards;
  opened->engine = Engine::open(*opened->store, opened->clock, options, &error);
  if (!opened->engine) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return nullptr;
  }
  if (!declare_catalog(*opened->engine, config, &error)) {
    std::fprintf(stderr, "stockd: %s: %s\n", config_path.c_str(), error.c_str());
    return nullptr;
  }
  return opened;
}

struct ApplyCounts {
  uint64_t applied = 0, duplicate = 0, superseded = 0, rejected = 0;
  void add(const EventResult& result) {
    switch (result.status) {
      case EventStatus::applied:
        ++applied;
        break;
      case EventStatus::duplicate:
        ++duplicate;
        break;
      case EventStatus::superseded:
        ++superseded;
        break;
      case EventStatus::rejected:
        ++rejected;
        break;
    }
  }
};

std::vector<EventResult> apply_parsed(Engine& engine, std::vector<ParsedEvent> parsed) {
  std::promise<std::vector<EventResult>> promise;
  auto future = promise.get_future();
  submit_parsed_events(engine, std::move(parsed), [&promise](std::vector<EventResult> results) {
    promise.set_value(std::move(results));
  });
  return future.get();
}

int run_apply(const std::string& data_dir, const std::string& config_path, size_t shards,
              const std::string& file, bool quiet) {
  std::ifstream file_stream;
  std::istream* in = &std::cin;
  if (file != "-") {
    file_stream.open(file);
    if (!file_stream) {
      std::fprintf(stderr, "stockd: cannot read %s\n", file.c_str());
      return 2;
    }
    in = &file_stream;
  }
  auto opened = open_all(data_dir, config_path, shards);
  if (!opened) return 2;
  ApplyCounts counts;
  std::vector<ParsedEvent> batch;
  const auto flush = [&] {
    for (const EventResult& result : apply_parsed(*opened->engine, std::move(batch))) {
      counts.add(result);
      if (!quiet) std::cout << boost::json::serialize(event_result_json(result)) << '\n';
    }
    batch.clear();
  };
  std::string line;
  while (std::getline(*in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    batch.push_back(parse_event_text(line));
    if (batch.size() >= kApplyBatchEvents) flush();
  }
  flush();
  std::cout.flush();
  std::fprintf(
      stderr, "stockd: applied %lu, duplicate %lu, superseded %lu, rejected %lu\n",
      static_cast<unsigned long>(counts.applied), static_cast<unsigned long>(counts.duplicate),
      static_cast<unsigned long>(counts.superseded), static_cast<unsigned long>(counts.rejected));
  return counts.rejected == 0 ? 0 : 1;
}

int run_stock(const std::string& data_dir, const std::string& sku) {
  auto opened = open_all(data_dir, "", 1);
  if (!opened) return 2;
  const StockView view = get_stock_blocking(*opened->engine, sku);
  std::cout << boost::json::serialize(stock_json(view)) << '\n';
  return view.positions.empty() ? 1 : 0;
}

// The store opened read-only (beside a running server); null after saying why.
std::unique_ptr<RocksStore> open_read_only(const std::string& data_dir, const char* what) {
  RocksStoreOptions options;
  options.data_dir = data_dir;
  options.read_only = true;
  std::string error;
  auto store = RocksStore::open(options, &error);
  if (!store) std::fprintf(stderr, "stockd: %s: %s\n", what, error.c_str());
  return store;
}

int run_audit_verify(const std::string& data_dir) {
  auto store = open_read_only(data_dir, "audit");
  if (!store) return 1;
  const AuditReport report = verify_ledger(*store);
  if (!report.ok) {
    std::printf("ledger BROKEN at stream %u sequence %lu: %s (%lu records verified before it)\n",
                report.bad_stream, static_cast<unsigned long>(report.bad_sequence),
                report.reason.c_str(), static_cast<unsigned long>(report.records));
    return 1;
  }
  std::printf("ledger ok: %lu records in %u streams, every hash verified\n",
              static_cast<unsigned long>(report.records), report.streams);
  const PositionAuditReport positions = verify_positions(*store);
  if (!positions.ok) {
    std::printf("positions BROKEN: %s\n", positions.reason.c_str());
    return 1;
  }
  std::printf("positions ok: %lu positions equal the sum of their ledger history\n",
              static_cast<unsigned long>(positions.positions));
  return 0;
}

int run_demo(const std::string& data_dir, bool live_seconds_flag, int live_seconds) {
  (void)live_seconds_flag;
  auto opened = open_all(data_dir, "", 0);
  if (!opened) return 2;
  std::string error;
  const FileConfig catalog = demo_catalog();
  if (!declare_catalog(*opened->engine, catalog, &error)) {
    std::fprintf(stderr, "stockd: demo: %s\n", error.c_str());
    return 2;
  }
  const std::vector<std::string> skus = demo_skus();
  if (get_stock_blocking(*opened->engine, skus.front()).positions.empty()) {
    std::vector<Event> opening = demo_opening_events(opened->clock.now());
    const size_t count = opening.size();
    ApplyCounts counts;
    for (const EventResult& result : apply_events_blocking(*opened->engine, std::move(opening))) {
      counts.add(result);
    }
    std::printf("demo: loaded %zu opening events for %zu SKUs at %zu locations (%lu applied)\n",
                count, skus.size(), catalog.locations.size(),
                static_cast<unsigned long>(counts.applied));
  } else {
    std::printf("demo: store already holds the demo retailer; adding live events only\n");
  }
  std::mt19937_64 random(std::random_device{}());
  uint64_t serial = 0;
  for (int second = 0; second < live_seconds; ++second) {
    std::vector<Event> live = demo_live_events(random, opened->clock.now(), serial, 20);
    ApplyCounts counts;
    for (const EventResult& result : apply_events_blocking(*opened->engine, std::move(live))) {
      counts.add(result);
    }
    std::printf("demo: +%lu events (sales, receipts, returns, shrink)\n",
                static_cast<unsigned long>(counts.applied));
    std::this_thread::sleep_for(std::chrono::seconds{1});
  }
  const StockView view = get_stock_blocking(*opened->engine, skus.front());
  std::printf("demo: stock of %s:\n%s\n", view.sku.c_str(),
              boost::json::serialize(stock_json(view)).c_str());
  const EngineStats stats = opened->engine->stats();
  std::printf("demo: %lu events applied in %lu durable batches\n",
              static_cast<unsigned long>(stats.events_applied),
              static_cast<unsigned long>(stats.batches_written));
  return 0;
}

struct TokenCliOptions {
  std::string principal;  // kind:id
  std::vector<std::string> locations;
  std::vector<std::string> channels;
  std::string grace = "24h";
};

int run_token(const std::string& data_dir, const std::string& action, const std::string& name,
              const std::string& scopes_text_value, const std::string& expires_in,
              const std::string& id, const TokenCliOptions& cli) {
  RocksStoreOptions options;
  options.data_dir = data_dir;
  std::string error;
  auto store = RocksStore::open(options, &error);
  if (!store) {
    std::fprintf(stderr, "stockd: %s\n", error.c_str());
    return 2;
  }
  SystemClock clock;
  TokenStore tokens(*store, clock);
  if (Status status = tokens.load(); !status.is_ok()) {
    std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
    return 2;
  }
  if (action == "create") {
    const std::optional<uint32_t> scopes = parse_scopes(scopes_text_value);
    if (!scopes) {
      std::fprintf(stderr,
                   "stockd: --scopes must list stock:read, events:write, reservations:write, "
                   "orders:write or admin, comma-separated\n");
      return 2;
    }
    std::optional<Duration> lifetime;
    if (!expires_in.empty()) {
      lifetime = parse_duration(expires_in);
      if (!lifetime || lifetime->count() <= 0) {
        std::fprintf(stderr, "stockd: --expires-in takes a duration such as 90d, 12h or 30m\n");
        return 2;
      }
    }
    TokenRestrictions restrictions;
    restrictions.locations = cli.locations;
    restrictions.channels = cli.channels;
    if (!cli.principal.empty()) {
      const size_t colon = cli.principal.find(':');
      const auto kind = principal_kind_from_name(cli.principal.substr(0, colon));
      if (!kind || (colon == std::string::npos && *kind != PrincipalKind::service)) {
        std::fprintf(stderr,
                     "stockd: --principal is KIND:ID with KIND service, source, channel, "
                     "vendor or person\n");
        return 2;
      }
      restrictions.kind = *kind;
      if (colon != std::string::npos) restrictions.principal = cli.principal.substr(colon + 1);
      if (*kind == PrincipalKind::channel && restrictions.channels.empty()) {
        restrictions.channels = {restrictions.principal};
      }
    }
    TokenInfo info;
    const std::string token = tokens.create(name, *scopes, lifetime, &info, restrictions);
    std::printf("%s\n", token.c_str());
    std::fprintf(stderr, "stockd: token %s (%s) created with scopes %s%s; it is shown only once\n",
                 info.id.c_str(), info.name.c_str(), scopes_text(info.scopes).c_str(),
                 lifetime ? (", expires " + format_rfc3339(info.expires_at)).c_str() : "");
    return 0;
  }
  if (action == "list") {
    for (const TokenInfo& info : tokens.list()) {
      std::printf("%s  %-20s  %-50s  created %s  %s%s\n", info.id.c_str(), info.name.c_str(),
                  scopes_text(info.scopes).c_str(), format_rfc3339(info.created_at).c_str(),
                  micros_of(info.expires_at)
                      ? ("expires " + format_rfc3339(info.expires_at)).c_str()
                      : "never expires",
                  info.revoked ? "  REVOKED" : "");
    }
    return 0;
  }
  if (action == "rotate") {
    const std::optional<Duration> grace = parse_duration(cli.grace);
    if (!grace) {
      std::fprintf(stderr, "stockd: --grace takes a duration such as 24h\n");
      return 2;
    }
    TokenInfo fresh;
    std::string failure;
    const std::string token = tokens.rotate(id, *grace, &fresh, &failure);
    if (token.empty()) {
      std::fprintf(stderr, "stockd: %s\n", failure.c_str());
      return 1;
    }
    std::printf("%s\n", token.c_str());
    std::fprintf(stderr,
                 "stockd: token %s replaces %s, which keeps working for %s; the new one is shown "
                 "only once\n",
                 fresh.id.c_str(), id.c_str(), cli.grace.c_str());
    return 0;
  }
  if (Status status = tokens.revoke(id); !status.is_ok()) {
    std::fprintf(stderr, "stockd: %s\n", status.message().c_str());
    return 1;
  }
  std::printf("revoked %s\n", id.c_str());
  return 0;
}

}  // namespace
}  // namespace stockd

int main(int argc, char** argv) {
  using namespace stockd;
  CLI::App app{"stockd: real-time inventory ledger and availability service"};
  app.require_subcommand(1);

  std::string data_dir = "./data";
  std::string config_path;
  size_t shards = 0;
  std::string file = "-";
  std::string sku;
  bool quiet = false;
  int live_seconds = 0;

  CLI::App* version = app.add_subcommand("version", "Print the version");

  BatchFileOptions batch;
  std::string import_id;
  std::string import_source;
  size_t import_chunk_rows = 5000;
  size_t reconcile_limit = 1000;
  std::string export_out = "-";
  CLI::App* import_cmd = app.add_subcommand(
      "import", "Apply a snapshot (CSV or NDJSON) as counts; resumable by --id (server stopped)");
  import_cmd->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  import_cmd->add_option("--config", config_path, "TOML configuration to declare first");
  import_cmd->add_option("--id", import_id, "The import's id (re-runs resume or change nothing)")
      ->required();
  import_cmd->add_option("--source", import_source, "The registered source it speaks for")
      ->required();
  import_cmd->add_option("--format", batch.format, "csv or ndjson")->capture_default_str();
  import_cmd->add_flag("--full", batch.full,
                       "Everything at the named locations: unlisted positions count as 0");
  import_cmd->add_option("--as-of", batch.as_of, "When the snapshot was taken (RFC 3339)");
  import_cmd->add_option("--chunk-rows", import_chunk_rows, "Rows per durable chunk")
      ->capture_default_str();
  import_cmd->add_option("file", batch.file, "The snapshot file, or - for standard input")
      ->required();

  CLI::App* reconcile_cmd = app.add_subcommand(
      "reconcile", "Compare a snapshot with stockd's positions; changes nothing (read-only)");
  reconcile_cmd->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  reconcile_cmd->add_option("--snapshot", batch.file, "The snapshot file, or -")->required();
  reconcile_cmd->add_option("--format", batch.format, "csv or ndjson")->capture_default_str();
  reconcile_cmd->add_flag("--full", batch.full, "Unlisted positions at its locations count as 0");
  reconcile_cmd->add_option("--as-of", batch.as_of, "When the snapshot was taken (RFC 3339)");
  reconcile_cmd->add_option("--limit", reconcile_limit, "Drifting positions listed")
      ->capture_default_str();

  std::string export_format = "csv";
  std::string export_as_of;
  CLI::App* export_cmd =
      app.add_subcommand("export", "Write every position as CSV or NDJSON (read-only)");
  export_cmd->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  export_cmd->add_option("--format", export_format, "csv or ndjson")->capture_default_str();
  export_cmd->add_option("--as-of", export_as_of, "As recorded by this time (RFC 3339)");
  export_cmd->add_option("--out", export_out, "Output file, or - for standard output")
      ->capture_default_str();

  SimulateOptions simulate_options;
  uint64_t simulate_seed = 0;
  CLI::App* simulate_cmd = app.add_subcommand(
      "simulate", "A retail day under batch and real-time sync, side by side (the real engine)");
  simulate_cmd->add_option("--scenario", simulate_options.scenario_path, "Scenario TOML file")
      ->required();
  CLI::Option* seed_option =
      simulate_cmd->add_option("--seed", simulate_seed, "Random seed (default: the scenario's)");
  simulate_cmd->add_option("--report", simulate_options.report_path,
                           "Write the report: out.html or out.json");
  simulate_cmd->add_option("--work-dir", simulate_options.work_dir,
                           "Where the runs' stores live (default: a temporary directory)");
  simulate_cmd->add_option("--threads", simulate_options.threads,
                           "Strategies run at once (default: one per core)");

  CLI::App* apply = app.add_subcommand("apply", "Apply NDJSON events and print each result");
  apply->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  apply->add_option("--config", config_path, "TOML configuration to declare first");
  apply->add_option("--shards", shards, "Shard count (default: one per core)");
  apply->add_flag("--quiet", quiet, "Print only the summary");
  apply->add_option("file", file, "NDJSON file, or - for standard input")->capture_default_str();

  CLI::App* stock = app.add_subcommand("stock", "Print every position of a SKU as JSON");
  stock->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  stock->add_option("sku", sku, "The SKU")->required();

  CLI::App* audit = app.add_subcommand("audit", "Ledger audit tools");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Walk every hash chain; exit 1 on a break");
  verify->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();

  CLI::App* demo = app.add_subcommand("demo", "Load the demo retailer and show it moving");
  demo->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  demo->add_option("--live-seconds", live_seconds, "Seconds of live events to add");

  ServeOptions serve_options;
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP API until SIGINT/SIGTERM");
  serve->add_option("--data-dir", serve_options.data_dir, "Store directory")->capture_default_str();
  serve->add_option("--config", serve_options.config_path, "TOML configuration to declare first");
  serve->add_option("--listen", serve_options.listen, "ADDRESS:PORT (port 0 = any free port)")
      ->capture_default_str();
  serve->add_option("--shards", serve_options.shards, "Shard count (default: one per core)");
  serve->add_option("--io-threads", serve_options.io_threads, "HTTP I/O threads")
      ->capture_default_str();
  serve
      ->add_option("--rate-limit-per-second", serve_options.rate_limit_per_second,
                   "Requests per second per token (0 = unlimited)")
      ->capture_default_str();
  serve
      ->add_option("--token-review-days", serve_options.token_review_days,
                   "Alert on active tokens unused for this many days")
      ->check(CLI::Range(int64_t{0}, int64_t{3650}))
      ->capture_default_str();
  serve
      ->add_option("--rate-limit-burst", serve_options.rate_limit_burst,
                   "Token bucket size per token")
      ->capture_default_str();
  serve->add_option("--tls-cert", serve_options.tls_cert_file,
                    "Serve HTTPS with this PEM certificate chain (with --tls-key)");
  serve->add_option("--tls-key", serve_options.tls_key_file, "The certificate's PEM private key");
  serve
      ->add_option("--route-cents-per-km", serve_options.route_cents_per_km,
                   "Order routing: shipment cost per km to the shopper, in cents")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}))
      ->capture_default_str();
  serve
      ->add_option("--body-bytes-max", serve_options.body_bytes_max,
                   "Largest request body (413 above)")
      ->capture_default_str();
  serve
      ->add_option("--read-timeout-seconds", serve_options.read_timeout_seconds,
                   "Time a client has to send one whole request")
      ->capture_default_str();
  serve->add_flag("--demo", serve_options.demo, "Load the demo retailer if the store is empty");
  serve->add_option("--demo-events-per-second", serve_options.demo_events_per_second,
                    "A live stream of demo facts");

  std::string token_name = "unnamed";
  std::string token_scopes;
  std::string token_expires_in;
  std::string token_id;
  CLI::App* token = app.add_subcommand("token", "API tokens (the server must not be running)");
  token->require_subcommand(1);
  CLI::App* token_create = token->add_subcommand("create", "Create a token; prints it once");
  token_create->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  token_create->add_option("--name", token_name, "Who or what uses it")->required();
  token_create
      ->add_option("--scopes", token_scopes,
                   "stock:read,events:write,reservations:write,orders:write,admin")
      ->required();
  token_create->add_option("--expires-in", token_expires_in, "Lifetime, e.g. 90d");
  TokenCliOptions token_cli;
  token_create->add_option("--principal", token_cli.principal,
                           "Who it speaks for: source:ID, vendor:ID, channel:ID, person:ID");
  token_create->add_option("--locations", token_cli.locations, "Only these locations (repeatable)")
      ->delimiter(',');
  token_create->add_option("--channels", token_cli.channels, "Only these channels (repeatable)")
      ->delimiter(',');
  CLI::App* token_list = token->add_subcommand("list", "List tokens (never their secrets)");
  token_list->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  CLI::App* token_revoke = token->add_subcommand("revoke", "Revoke a token by id");
  token_revoke->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  token_revoke->add_option("id", token_id, "Token id")->required();
  CLI::App* token_rotate =
      token->add_subcommand("rotate", "Issue a successor; the old token works for --grace more");
  token_rotate->add_option("--data-dir", data_dir, "Store directory")->capture_default_str();
  token_rotate->add_option("id", token_id, "Token id")->required();
  token_rotate->add_option("--grace", token_cli.grace, "How long the old token keeps working")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (*version) {
    std::printf("stockd %s\n", kVersion);
    return 0;
  }
  if (*apply) return run_apply(data_dir, config_path, shards, file, quiet);
  if (*simulate_cmd) {
    if (*seed_option) simulate_options.seed = simulate_seed;
    return run_simulate(simulate_options);
  }
  if (*import_cmd) {
    auto opened = open_all(data_dir, config_path, shards);
    if (!opened) return 2;
    return run_import(*opened->engine, *opened->store, opened->clock, batch, import_id,
                      import_source, import_chunk_rows);
  }
  if (*reconcile_cmd || *export_cmd) {
    auto store = open_read_only(data_dir, *reconcile_cmd ? "reconcile" : "export");
    if (!store) return 2;
    SystemClock clock;
    if (*reconcile_cmd) return run_reconcile(*store, clock, batch, reconcile_limit);
    return run_export(*store, clock, export_format, export_as_of, export_out);
  }
  if (*stock) return run_stock(data_dir, sku);
  if (*verify) return run_audit_verify(data_dir);
  if (*demo) return run_demo(data_dir, false, live_seconds);
  if (*serve) return run_serve(serve_options);
  if (*token_create)
    return run_token(data_dir, "create", token_name, token_scopes, token_expires_in, "", token_cli);
  if (*token_list) return run_token(data_dir, "list", "", "", "", "", token_cli);
  if (*token_revoke) return run_token(data_dir, "revoke", "", "", "", token_id, token_cli);
  if (*token_rotate) return run_token(data_dir, "rotate", "", "", "", token_id, token_cli);
  return 2;
}
