#include "sync/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace stockd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::optional<HttpTarget> parse_http_url(const std::string& url, std::string* error) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    *error = "not an absolute URL";
    return std::nullopt;
  }
  if (parsed->scheme() != "http") {
    *error = "only http:// URLs are delivered to (terminate TLS in a local proxy)";
    return std::nullopt;
  }
  HttpTarget target;
  target.host = parsed->host();
  if (target.host.empty()) {
    *error = "the URL has no host";
    return std::nullopt;
  }
  target.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  target.path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) target.path += "?" + std::string(parsed->encoded_query());
  return target;
}

struct HttpClient::Impl {
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string connected_to;  // host:port of the open connection

  // Runs one asynchronous step to its end (the stream's deadline bounds it).
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  void close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      stream->close();
    }
    stream.reset();
    connected_to.clear();
    buffer.clear();
  }

  beast::error_code connect(const HttpTarget& target, std::chrono::milliseconds timeout) {
    close();
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::resolver::results_type endpoints;
    beast::error_code ec = run([&](auto handler) {
      resolver.async_resolve(target.host, target.port,
                             [&endpoints, handler](beast::error_code e, auto results) mutable {
                               endpoints = results;
                               handler(e);
                             });
    });
    if (ec) return ec;
    stream.emplace(io);
    stream->expires_after(timeout);
    ec = run([&](auto handler) { stream->async_connect(endpoints, handler); });
    if (ec) {
      close();
      return ec;
    }
    stream->socket().set_option(asio::ip::tcp::no_delay(true));
    connected_to = target.host + ":" + target.port;
    return {};
  }

  ClientResponse exchange(const HttpTarget& target, http::request<http::string_body>& request,
                          std::chrono::milliseconds timeout) {
    ClientResponse out;
    stream->expires_after(timeout);
    beast::error_code ec = run([&](auto handler) { http::async_write(*stream, request, handler); });
    if (ec) {
      out.error = "write: " + ec.message();
      return out;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    ec = run([&](auto handler) { http::async_read(*stream, buffer, parser, handler); });
    if (ec) {
      out.error = ec == beast::error::timeout ? "timed out" : "read: " + ec.message();
      return out;
    }
    auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    out.retry_after = std::string(response[http::field::retry_after]);
    out.body = response.body().substr(0, 4096);
    if (!response.keep_alive()) close();
    (void)target;
    return out;
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() { impl_->close(); }

ClientResponse HttpClient::post(const HttpTarget& target,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body, std::chrono::milliseconds timeout) {
  http::request<http::string_body> request{http::verb::post, target.path, 11};
  request.set(http::field::host, target.host + ":" + target.port);
  request.set(http::field::user_agent, "stockd-webhooks/1");
  request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.keep_alive(true);
  request.prepare_payload();

  const bool reused = impl_->stream && impl_->connected_to == target.host + ":" + target.port;
  if (!reused) {
    if (const beast::error_code ec = impl_->connect(target, timeout)) {
      ClientResponse out;
      out.error = ec == beast::error::timeout ? "connect timed out" : "connect: " + ec.message();
      return out;
    }
  }
  ClientResponse out = impl_->exchange(target, request, timeout);
  if (out.status == 0) {
    impl_->close();
    // A kept-alive connection the server had closed: one fresh attempt.
    if (reused && out.error != "timed out") {
      if (const beast::error_code ec = impl_->connect(target, timeout)) {
        out.error = "connect: " + ec.message();
        return out;
      }
      out = impl_->exchange(target, request, timeout);
      if (out.status == 0) impl_->close();
    }
  }
  return out;
}

}  // namespace stockd
