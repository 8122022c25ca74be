#include "api/wire_request.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cctype>
#include <string>

namespace stockd {

namespace http = boost::beast::http;

WireRefusal refusal_for(const boost::system::error_code& parse_error) {
  if (parse_error == http::error::body_limit) {
    return {413, "payload-too-large", "Payload too large", "the body exceeds the server's limit"};
  }
  if (parse_error == http::error::header_limit) {
    return {431, "headers-too-large", "Request header fields too large",
            "the headers exceed the server's limit"};
  }
  return WireRefusal{};
}

HttpRequest to_http_request(http::request<http::string_body>&& wire) {
  HttpRequest request;
  request.method = std::string(wire.method_string());
  request.target = std::string(wire.target());
  for (const auto& field : wire) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(wire.body());
  return request;
}

WireParse parse_wire_request(std::string_view bytes, const WireLimits& limits) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(limits.header_bytes_max));
  parser.body_limit(limits.body_bytes_max);
  parser.eager(true);
  WireParse out;
  boost::system::error_code error;
  size_t used = 0;
  while (!parser.is_done()) {
    const size_t consumed =
        parser.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), error);
    used += consumed;
    if (error == http::error::need_more) {
      // It wants more than all that is left (a header block is parsed whole).
      if (consumed == 0 || used == bytes.size()) {
        // The stream ends here: a body delimited by the end of the stream is complete.
        if (!parser.got_some()) return out;  // nothing at all
        parser.put_eof(error);
        if (error) return out;  // incomplete: a server would wait for more
        break;
      }
      error = {};
      continue;
    }
    if (error) {
      out.refusal = refusal_for(error);
      return out;
    }
    if (consumed == 0) break;
  }
  if (!parser.is_done()) return out;
  out.request = to_http_request(parser.release());
  return out;
}

}  // namespace stockd
