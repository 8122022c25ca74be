// The HTTP/1.1 server (Boost.Beast): keep-alive and pipelining (responses in request
// order), limits on header and body size, a read timeout per request, several I/O
// threads, a graceful shutdown, and optionally TLS. The only file that includes Beast/Asio is
// http_server.cpp. Requests are handed to an HttpHandler; responses may come back on
// any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/http_types.hpp"
#include "base/status.hpp"

namespace stockd {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port
  size_t io_threads = 2;
  size_t header_bytes_max = 16 * 1024;
  size_t body_bytes_max = 16 * 1024 * 1024;
  int64_t read_timeout_seconds = 30;  // one whole request, headers and body
  int64_t idle_timeout_seconds = 60;  // a keep-alive connection with nothing to read
  size_t pipeline_requests_max = 32;  // unanswered requests per connection
  size_t connections_max = 10'000;
  // HTTPS when both are set: PEM files of the certificate chain and its private key
  // (TLS 1.2 and newer, through OpenSSL).
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls() const { return !tls_cert_file.empty(); }
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();

  Status start();  // binds, listens, starts the I/O threads
  uint16_t port() const;
  // Blocks until SIGINT or SIGTERM.
  void wait_for_signal();
  // Stops accepting, lets in-flight requests finish and be answered (up to
  // `drain_seconds`), closes connections and joins the I/O threads.
  void shutdown(int64_t drain_seconds = 10);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd
