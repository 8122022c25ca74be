#include "api/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "api/wire_request.hpp"
#include "base/assert.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace stockd {
namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WireResponse = http::response<http::string_body>;

WireResponse to_wire(HttpResponse response, unsigned version, bool keep_alive) {
  WireResponse wire{static_cast<http::status>(response.status), version};
  wire.set(http::field::server, "stockd");
  for (auto& [name, value] : response.headers) wire.set(name, value);
  if (response.stream) {
    // Only the head: the body is the stream, delimited by closing the connection.
    wire.keep_alive(false);
    wire.set(http::field::cache_control, "no-cache");
    return wire;
  }
  wire.body() = std::move(response.body);
  wire.keep_alive(keep_alive);
  wire.prepare_payload();
  return wire;
}

WireResponse plain_problem(int status, const char* slug, const char* title, const char* detail) {
  HttpResponse response;
  response.status = status;
  response.set_header("Content-Type", "application/problem+json");
  response.body = std::string("{\"type\":\"/problems/") + slug + "\",\"title\":\"" + title +
                  "\",\"status\":" + std::to_string(status) + ",\"detail\":\"" + detail + "\"}";
  return to_wire(std::move(response), 11, false);
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler& handler;
  // Declared before `io`: destroying io destroys pending handlers, which may end the
  // last Session, whose destructor takes this mutex.
  std::mutex sessions_mutex;
  std::condition_variable sessions_changed;
  std::map<uint64_t, std::weak_ptr<class SessionBase>> sessions;
  uint64_t next_session_id = 0;
  bool stopping = false;

  net::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<net::ssl::context> tls;  // set when serving HTTPS
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;

  Impl(HttpServerOptions o, HttpHandler& h) : options(std::move(o)), handler(h) {}
  void accept();
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void start() = 0;
  // Closes the connection once everything it owes has been written.
  virtual void close_when_idle() = 0;
};

// One connection, plain or TLS (`Stream` is PlainStream or TlsStream).
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server,
          uint64_t id) requires std::is_same_v<Stream, PlainStream>
      : stream_(std::move(socket)), server_(server), id_(id) {}
  Session(tcp::socket socket, net::ssl::context& tls, HttpServer::Impl& server,
          uint64_t id) requires std::is_same_v<Stream, TlsStream>
      : stream_(std::move(socket), tls), server_(server), id_(id) {}

  ~Session() override {
    std::lock_guard lock(server_.sessions_mutex);
    server_.sessions.erase(id_);
    server_.sessions_changed.notify_all();
  }

  void start() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(self->stream_)
            .expires_after(std::chrono::seconds(self->server_.options.read_timeout_seconds));
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->close();
          self->read();
        });
      } else {
        self->read();
      }
    });
  }

  void close_when_idle() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      if (self->in_flight_ == 0) self->close();
    });
  }

 private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }
  auto shared_from_this() {
    return std::enable_shared_from_this<Session<Stream>>::shared_from_this();
  }

  void read() {
    if (reading_ || closing_ || read_closed_) return;
    if (in_flight_ >= server_.options.pipeline_requests_max) return;  // resumes after a write
    reading_ = true;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options.header_bytes_max));
    parser_->body_limit(server_.options.body_bytes_max);
    lowest().expires_after(std::chrono::seconds(in_flight_ == 0 && requests_ > 0
                                                    ? server_.options.idle_timeout_seconds
                                                    : server_.options.read_timeout_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec) {
      read_closed_ = true;
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == net::error::operation_aborted || ec == net::error::connection_reset ||
          ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
        if (in_flight_ == 0) close();
        return;
      }
      const WireRefusal refusal = refusal_for(ec);
      return fail_request(refusal.status, refusal.slug, refusal.title, refusal.detail);
    }
    http::request<http::string_body> wire = parser_->release();
    ++requests_;
    const uint64_t sequence = next_read_++;
    ++in_flight_;
    const bool keep_alive = wire.keep_alive();
    const unsigned version = wire.version();
    HttpRequest request = to_http_request(std::move(wire));
    if (!keep_alive) read_closed_ = true;
    server_.handler.handle(std::move(request), [self = shared_from_this(), sequence, version,
                                                keep_alive](HttpResponse response) {
      std::shared_ptr<ResponseStream> body_stream = response.stream;
      auto wire_response =
          std::make_shared<WireResponse>(to_wire(std::move(response), version, keep_alive));
      net::post(self->stream_.get_executor(), [self, sequence, wire_response, body_stream] {
        if (body_stream) {
          self->streams_.emplace(sequence, body_stream);
          self->read_closed_ = true;  // the connection now belongs to the stream
        }
        self->ready_.emplace(sequence, std::move(*wire_response));
        self->write();
      });
    });
    read();  // pipelining: read the next request while this one is handled
  }

  // A request that cannot be parsed gets its answer after what is already owed.
  void fail_request(int status, const char* slug, const char* title, const char* detail) {
    const uint64_t sequence = next_read_++;
    ++in_flight_;
    ready_.emplace(sequence, plain_problem(status, slug, title, detail));
    write();
  }

  void write() {
    if (writing_) return;
    const auto next = ready_.find(next_write_);
    if (next == ready_.end()) return;
    writing_ = true;
    lowest().expires_after(std::chrono::seconds(server_.options.read_timeout_seconds));
    http::async_write(
        stream_, next->second,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    const auto written = ready_.find(next_write_);
    STOCKD_ASSERT(written != ready_.end());
    const bool need_eof = written->second.need_eof();
    ready_.erase(written);
    if (const auto body_stream = streams_.find(next_write_); body_stream != streams_.end()) {
      std::shared_ptr<ResponseStream> source = body_stream->second;
      streams_.clear();
      ++next_write_;
      --in_flight_;
      if (ec || closing_) {
        source->cancel();
        return close();
      }
      return pump(std::move(source));
    }
    ++next_write_;
    --in_flight_;
    if (ec || need_eof) {
      read_closed_ = true;
      if (in_flight_ == 0 || ec) return close();
    }
    if (closing_ && in_flight_ == 0) return close();
    write();
    read();
    if (read_closed_ && in_flight_ == 0) close();
  }

  // Writes the stream's chunks one after another until it ends or the client is gone.
  void pump(std::shared_ptr<ResponseStream> source) {
    source->next([self = shared_from_this(), source](std::optional<std::string> chunk) {
      net::post(self->stream_.get_executor(), [self, source, chunk = std::move(chunk)]() mutable {
        if (!chunk || self->closed_ || self->closing_) {
          if (chunk) source->cancel();
          return self->close();
        }
        auto held = std::make_shared<std::string>(std::move(*chunk));
        self->lowest().expires_after(
            std::chrono::seconds(self->server_.options.read_timeout_seconds));
        net::async_write(self->stream_, net::buffer(*held),
                         [self, source, held](beast::error_code ec, size_t) {
                           if (ec) {
                             source->cancel();
                             return self->close();
                           }
                           self->pump(source);
                         });
      });
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  const uint64_t id_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::map<uint64_t, WireResponse> ready_;                       // answered, waiting for their turn
  std::map<uint64_t, std::shared_ptr<ResponseStream>> streams_;  // heads of streamed bodies
  uint64_t next_read_ = 0;
  uint64_t next_write_ = 0;
  size_t in_flight_ = 0;  // read but not yet written
  uint64_t requests_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool read_closed_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted) return;
      return accept();
    }
    std::shared_ptr<SessionBase> session;
    {
      std::lock_guard lock(sessions_mutex);
      if (stopping) return;
      if (sessions.size() < options.connections_max) {
        const uint64_t id = next_session_id++;
        if (tls) {
          session = std::make_shared<Session<TlsStream>>(std::move(socket), *tls, *this, id);
        } else {
          session = std::make_shared<Session<PlainStream>>(std::move(socket), *this, id);
        }
        sessions.emplace(id, session);
      }
    }
    if (session) session->start();  // else the socket closes: too many connections
    accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { shutdown(0); }

Status HttpServer::start() {
  beast::error_code ec;
  if (impl_->options.tls()) {
    impl_->tls.emplace(net::ssl::context::tls_server);
    net::ssl::context& tls = *impl_->tls;
    tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    tls.use_certificate_chain_file(impl_->options.tls_cert_file, ec);
    if (ec) {
      return Status::error("cannot read the TLS certificate '" + impl_->options.tls_cert_file +
                           "': " + ec.message());
    }
    tls.use_private_key_file(impl_->options.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      return Status::error("cannot read the TLS key '" + impl_->options.tls_key_file +
                           "': " + ec.message());
    }
  }
  const auto address = net::ip::make_address(impl_->options.address, ec);
  if (ec) return Status::error("invalid listen address '" + impl_->options.address + "'");
  const tcp::endpoint endpoint{address, impl_->options.port};
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::error("cannot listen on " + impl_->options.address + ":" +
                         std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->work.emplace(net::make_work_guard(impl_->io));
  impl_->accept();
  for (size_t i = 0; i < std::max<size_t>(1, impl_->options.io_threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return Status::ok();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::wait_for_signal() {
  net::io_context signals_io;
  net::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code, int) {});
  signals_io.run();
}

void HttpServer::shutdown(int64_t drain_seconds) {
  if (impl_->threads.empty()) return;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    impl_->stopping = true;
  }
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& [id, weak] : impl_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->close_when_idle();
  live.clear();
  {
    std::unique_lock lock(impl_->sessions_mutex);
    impl_->sessions_changed.wait_for(lock, std::chrono::seconds(drain_seconds),
                                     [this] { return impl_->sessions.empty(); });
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace stockd
