// HTTP as the API sees it: plain values, no Beast. The server (http_server.cpp) turns
// wire requests into these and these back into wire responses.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stockd {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // origin-form: "/v1/stock/A?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;

  // The first value of a header (name in lower case), or "".
  std::string_view header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return {};
  }
};

// A response body that arrives over time (server-sent events): the server asks for the
// next chunk, writes it, asks again, until the stream ends or the client goes away.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Calls `deliver` exactly once, from any thread, with the next chunk, or with nullopt
  // when the stream has ended.
  virtual void next(std::function<void(std::optional<std::string>)> deliver) = 0;
  // The connection is gone: a pending `deliver` should be called (with nullopt) soon.
  virtual void cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, `body` is ignored: the connection stays open and carries the stream's
  // chunks (Connection: close; no Content-Length) until it ends.
  std::shared_ptr<ResponseStream> stream;
  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Called exactly once per request, from any thread.
using Respond = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void handle(HttpRequest request, Respond respond) = 0;
};

}  // namespace stockd
