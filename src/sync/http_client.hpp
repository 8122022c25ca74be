// A small blocking HTTP/1.1 client for webhook deliveries: POST with a timeout over one
// kept-alive connection per client (reconnects when the server closed it). http:// only.
// Beast lives in http_client.cpp alone. Thread-safety: one thread per client.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stockd {

struct HttpTarget {
  std::string host;
  std::string port;
  std::string path;  // with the query
};
// Parses an absolute http:// URL; nullopt (and `error`) otherwise.
std::optional<HttpTarget> parse_http_url(const std::string& url, std::string* error);

struct ClientResponse {
  int status = 0;     // 0 = no answer (see `error`)
  std::string error;  // transport error or timeout
  std::string retry_after;
  std::string body;  // at most 4 KiB kept
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  ClientResponse post(const HttpTarget& target,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd
