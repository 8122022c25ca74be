// `stockd serve`: the HTTP API over the engine, until SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <string>

namespace stockd {

struct ServeOptions {
  std::string data_dir = "./data";
  std::string config_path;
  std::string listen = "127.0.0.1:8080";
  size_t shards = 0;
  size_t io_threads = 2;
  double rate_limit_per_second = 2000;
  double rate_limit_burst = 4000;
  int64_t token_review_days = 30;  // active tokens idle this long raise an alert
  int64_t route_cents_per_km = 2;
  std::string tls_cert_file;  // HTTPS with both (PEM)
  std::string tls_key_file;   // order routing: a shipment's cost per km to the shopper
  size_t body_bytes_max = 16 * 1024 * 1024;
  int64_t read_timeout_seconds = 30;
  bool demo = false;                   // load the demo retailer if the store is empty
  int64_t demo_events_per_second = 0;  // a live stream of demo facts
};

int run_serve(const ServeOptions& options);

}  // namespace stockd
