// HTTP as the API sees it: plain values, no Beast. The server (http_server.cpp) turns
// wire requests into these and these back into wire responses.
#pragma once

#include <functional>
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

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
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
