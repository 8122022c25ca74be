// From HTTP/1.1 on the wire to the API's HttpRequest, with the server's limits. The
// server (http_server.cpp) reads with Beast's async parser and uses these to turn what it
// read, or why it could not, into what the API sees; the HTTP fuzz target parses whole
// byte strings with parse_wire_request(). Includes Beast's message types only.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

#include "api/http_types.hpp"

namespace stockd {

// Why a request could not be read, as the client hears it (a problem+json answer).
struct WireRefusal {
  int status = 400;
  const char* slug = "bad-request";
  const char* title = "Bad request";
  const char* detail = "the request is not valid HTTP/1.1";
};

// The answer to a parse error (body or headers over the limit: 413 / 431; else 400).
// The caller first handles errors that only mean the connection ended.
WireRefusal refusal_for(const boost::system::error_code& parse_error);

// Header names in lower case, as the API looks them up.
HttpRequest to_http_request(boost::beast::http::request<boost::beast::http::string_body>&& wire);

struct WireLimits {
  size_t header_bytes_max = 16 * 1024;
  size_t body_bytes_max = 16 * 1024 * 1024;
};

struct WireParse {
  std::optional<HttpRequest> request;  // a whole request was read
  std::optional<WireRefusal> refusal;  // the bytes are not an acceptable request
  // Neither: the bytes end before the request does (a server would wait for more).
};

// Reads the first request in `bytes` as the server would.
WireParse parse_wire_request(std::string_view bytes, const WireLimits& limits);

}  // namespace stockd
