#include "http/front.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace wire = boost::beast::http;
using tcp = net::ip::tcp;

// The process's open-file limit raised to its hard ceiling (each connection is a descriptor);
// returns the soft limit now in force.
rlim_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

class Connection;

// What the listener and every connection share: the options, the counts the limits check, the
// large bodies' memory, and the open connections (to close them at Stop).
class Shared {
 public:
  Shared(const FrontOptions& front_options, Application& front_application)
      : options(front_options), application(front_application) {}

  // Counts a new connection from `client`; false (nothing counted) when over a limit, with the
  // reason.
  bool Enter(const std::string& client, const char*& reason) {
    std::lock_guard lock(mutex_);
    if (connections_ >= options.max_connections) {
      reason = "the server has too many open connections";
      return false;
    }
    int& mine = per_client_[client];
    if (mine >= options.max_connections_per_client) {
      reason = "this client has too many open connections";
      if (mine == 0) per_client_.erase(client);
      return false;
    }
    ++mine;
    ++connections_;
    return true;
  }
  void Leave(const std::string& client) {
    std::lock_guard lock(mutex_);
    --connections_;
    auto found = per_client_.find(client);
    if (found != per_client_.end() && --found->second == 0) per_client_.erase(found);
  }

  // A share of the large bodies' memory; false when it would go past the budget (one body is
  // always let in when none is).
  bool ReserveBody(std::size_t bytes) {
    std::size_t used = body_bytes_.load();
    do {
      if (used != 0 && used + bytes > options.body_memory_bytes) return false;
    } while (!body_bytes_.compare_exchange_weak(used, used + bytes));
    return true;
  }
  void ReleaseBody(std::size_t bytes) { body_bytes_ -= bytes; }

  void Register(const std::shared_ptr<Connection>& connection);
  void Unregister(const Connection* connection) {
    std::lock_guard lock(mutex_);
    open_.erase(connection);
  }
  std::vector<std::weak_ptr<Connection>> OpenConnections() {
    std::lock_guard lock(mutex_);
    std::vector<std::weak_ptr<Connection>> open;
    open.reserve(open_.size());
    for (const auto& [pointer, connection] : open_) open.push_back(connection);
    return open;
  }

  const FrontOptions options;
  Application& application;
  std::atomic<bool> stopping{false};
  net::thread_pool handlers{static_cast<std::size_t>(options.threads)};  // may block

 private:
  std::mutex mutex_;
  int connections_ = 0;                                                    // guarded by mutex_
  std::unordered_map<std::string, int> per_client_;                        // guarded by mutex_
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> open_;  // guarded by mutex_
  std::atomic<std::size_t> body_bytes_{0};
};

// The bytes of an answer: status line, the response's header fields, Content-Length and, when
// the connection ends after it, "Connection: close"; the body unless the request was HEAD.
std::string Serialize(const Response& response, bool head, bool close) {
  std::string out;
  out.reserve(128 + response.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += ReasonPhrase(response.status);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(response.body.size());
  out += close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
  if (!head) out += response.body;
  return out;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Shared& shared, std::string client)
      : stream_(std::move(socket)),
        memory_wait_(stream_.get_executor()),
        shared_(shared),
        client_(std::move(client)) {}
  ~Connection() {
    if (reserved_ != 0) shared_.ReleaseBody(reserved_);
    shared_.Unregister(this);
    shared_.Leave(client_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->AwaitRequest(); });
  }

  // At Stop: a connection waiting for (or reading) a request ends now; one whose request is
  // being handled ends after its answer.
  void Interrupt() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->reading_) return;
      self->memory_wait_.cancel();
      self->stream_.socket().close();
    });
  }

 private:
  using Milliseconds = std::chrono::milliseconds;

  // Between requests: waits (up to the idle timeout) for the next request's first bytes.
  void AwaitRequest() {
    if (shared_.stopping) return Close();
    if (buffer_.size() != 0) return ReadHeader();  // a pipelined request is here already
    reading_ = true;
    stream_.expires_after(Milliseconds(shared_.options.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code error, std::size_t n) {
                              self->reading_ = false;
                              if (error) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  // The header, by an absolute deadline from its first byte.
  void ReadHeader() {
    exchange_ = std::make_unique<Exchange>();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
    // No limit yet (boost::none would compare as smaller than any length): Admit gives it.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::error_code error;
    if (ParseBuffered(error, [this] { return parser_->is_header_done(); })) return OnHeader(error);
    reading_ = true;
    stream_.expires_after(Milliseconds(shared_.options.header_timeout_ms));
    wire::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code read, std::size_t) {
                              self->reading_ = false;
                              self->OnHeader(read);
                            });
  }

  void OnHeader(beast::error_code error) {
    stream_.expires_never();
    if (error == wire::error::header_limit) {
      // The unparsed header is still in the buffer: without a line end, the request line
      // itself (its URI) is what was too long.
      const auto* data = static_cast<const char*>(buffer_.data().data());
      if (std::string_view(data, buffer_.size()).find("\r\n") == std::string_view::npos) {
        return RefuseAndClose(414, "the request's URI is longer than the server takes");
      }
      return RefuseAndClose(431, "the request's header is larger than the server takes");
    }
    if (error == wire::error::end_of_stream || error == beast::error::timeout ||
        error == net::error::operation_aborted || error == net::error::connection_reset ||
        error == net::error::eof || error == net::error::bad_descriptor) {
      return Close();
    }
    if (error) return RefuseAndClose(400, "malformed request: " + error.message());
    const auto& header = parser_->get();
    Request& request = exchange_->request;
    request.method = std::string(header.method_string());
    const std::string_view target(header.target().data(), header.target().size());
    if (target.empty() || target.front() != '/') {
      return RefuseAndClose(400, "malformed request: the target must be a path");
    }
    const std::size_t question = target.find('?');
    request.path = DecodePercent(target.substr(0, question), false);
    if (question != std::string_view::npos)
      request.params = ParseQuery(target.substr(question + 1));
    for (const auto& field : header) {
      request.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    request.remote_addr = client_;
    keep_alive_ = header.keep_alive();
    head_ = header.method() == wire::verb::head;

    shared_.application.Admit(*exchange_);
    if (exchange_->answered) return Answer(!parser_->is_done());
    const auto length = parser_->content_length();
    if (length && *length > exchange_->body_limit) {
      return RefuseAndClose(413, "request body is larger than the configured limit");
    }
    if (parser_->is_done()) return Handle();  // no body
    const std::size_t expected = length ? static_cast<std::size_t>(*length) : exchange_->body_limit;
    // The body's deadline covers the wait for memory below and the reading.
    body_deadline_ =
        std::chrono::steady_clock::now() + Milliseconds(shared_.options.body_timeout_ms);
    if (expected > kSmallBodyBytes) return AwaitBodyMemory(expected);
    StartBody();
  }

  // A large body is read only once the large bodies' memory has room for it: until then the
  // client is not told to continue and its bytes stay in the kernel's buffers (TCP holds the
  // rest back). Past the body's deadline: 503.
  void AwaitBodyMemory(std::size_t bytes) {
    if (shared_.ReserveBody(bytes)) {
      reserved_ = bytes;
      return StartBody();
    }
    if (std::chrono::steady_clock::now() >= body_deadline_ || shared_.stopping) {
      exchange_->response.set_header("Retry-After", "5");
      return RefuseAndClose(503, "the server is reading other large bodies: try again shortly");
    }
    reading_ = true;  // Interrupt may end the wait
    memory_wait_.expires_after(Milliseconds(20));
    memory_wait_.async_wait([self = shared_from_this(), bytes](beast::error_code) {
      self->reading_ = false;
      if (!self->stream_.socket().is_open()) return self->Close();
      self->AwaitBodyMemory(bytes);
    });
  }

  void StartBody() {
    parser_->body_limit(exchange_->body_limit);
    const std::string expect = exchange_->request.get_header_value("Expect");
    if (beast::iequals(expect, "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(Milliseconds(shared_.options.write_timeout_ms));
      return net::async_write(stream_, net::buffer(kContinue),
                              [self = shared_from_this()](beast::error_code written, std::size_t) {
                                if (written) return self->Close();
                                self->ReadBody();
                              });
    }
    ReadBody();
  }

  // The body, by an absolute deadline, counted against the limit as it arrives.
  void ReadBody() {
    beast::error_code error;
    if (ParseBuffered(error, [this] { return parser_->is_done(); })) return OnBody(error);
    reading_ = true;
    stream_.expires_at(body_deadline_);
    wire::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code read, std::size_t) {
                       self->reading_ = false;
                       self->stream_.expires_never();
                       self->OnBody(read);
                     });
  }

  void OnBody(beast::error_code error) {
    if (error == wire::error::body_limit) {
      return RefuseAndClose(413, "request body is larger than the configured limit");
    }
    if (error == beast::error::timeout) {
      return RefuseAndClose(408, "the request's body came too slowly");
    }
    if (error == wire::error::end_of_stream || error == net::error::eof ||
        error == net::error::operation_aborted || error == net::error::connection_reset) {
      return Close();
    }
    if (error) return RefuseAndClose(400, "malformed request: " + error.message());
    Handle();
  }

  // Parses what the buffer holds already, with no wait and no trip through the scheduler (a
  // small request usually arrives whole in one read): true when `done()` holds afterwards or
  // parsing failed (`error`), false when more bytes must be read.
  template <typename Done>
  bool ParseBuffered(beast::error_code& error, Done done) {
    while (buffer_.size() != 0 && !done()) {
      const std::size_t used = parser_->put(buffer_.data(), error);
      buffer_.consume(used);
      if (error == wire::error::need_more) {
        error = {};
        return false;
      }
      if (error) return true;
      if (used == 0) return false;
    }
    return done();
  }

  void Handle() {
    exchange_->request.body = parser_->release().body();
    // The tracked executor keeps the io_context running (and Stop waiting) until it is called.
    exchange_->finish =
        [self = shared_from_this(),
         work = net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked)](
            std::function<void()> fill) {
          net::post(work, [self, fill = std::move(fill)] {
            fill();
            self->Answer(false);
          });
        };
    if (!exchange_->may_block) {
      shared_.application.Handle(*exchange_);
      if (!exchange_->deferred) Answer(false);
      return;
    }
    // The connection does nothing else until the answer: the handler thread has the exchange.
    net::post(shared_.handlers, [self = shared_from_this()] {
      Exchange& exchange = *self->exchange_;
      self->shared_.application.Handle(exchange);
      if (exchange.deferred) return;
      // A copy: the answer may be written, and the exchange gone, before the call returns.
      const auto finish = exchange.finish;
      finish([] {});
    });
  }

  // Answers with the front's own refusal, then closes: the rest of the request is not read.
  void RefuseAndClose(int status, const std::string& message) {
    if (!exchange_) exchange_ = std::make_unique<Exchange>();
    if (!stream_.socket().is_open()) return Close();
    shared_.application.Refuse(*exchange_, status, message);
    Answer(true);
  }

  // Writes the exchange's response; `close` when the connection cannot carry another request.
  void Answer(bool close) {
    close = close || !keep_alive_ || shared_.stopping;
    out_ = Serialize(exchange_->response, head_, close);
    exchange_.reset();
    if (reserved_ != 0) {
      shared_.ReleaseBody(reserved_);
      reserved_ = 0;
    }
    stream_.expires_after(Milliseconds(shared_.options.write_timeout_ms));
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this(), close](beast::error_code error, std::size_t) {
                       self->stream_.expires_never();
                       self->out_.clear();
                       self->out_.shrink_to_fit();
                       if (error) return self->Close();
                       if (close) return self->LingerAndClose();
                       self->parser_.reset();
                       self->AwaitRequest();
                     });
  }

  // Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
  // answer before the client reads it; so the sending side is shut first and what the client
  // still sends is read and dropped for a moment (at most 1 s and 1 MB).
  void LingerAndClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    reading_ = true;
    stream_.expires_after(Milliseconds(1000));
    Drain(1 << 20);
  }
  void Drain(std::size_t budget) {
    stream_.async_read_some(buffer_.prepare(16 << 10), [self = shared_from_this(), budget](
                                                           beast::error_code error, std::size_t n) {
      self->buffer_.clear();
      if (error || n >= budget) return self->Close();
      self->Drain(budget - n);
    });
  }

  void Close() {
    reading_ = false;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  net::steady_timer memory_wait_;
  std::chrono::steady_clock::time_point body_deadline_;
  Shared& shared_;
  const std::string client_;
  beast::flat_buffer buffer_;
  std::optional<wire::request_parser<wire::string_body>> parser_;
  std::unique_ptr<Exchange> exchange_;
  std::string out_;
  std::size_t reserved_ = 0;  // this request's share of the large bodies' memory
  bool keep_alive_ = false;
  bool head_ = false;
  bool reading_ = false;  // a read is pending (Interrupt may end it)
};

void Shared::Register(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex_);
  open_.emplace(connection.get(), connection);
}

class AsioFront final : public Front {
 public:
  AsioFront(const FrontOptions& options, Application& application)
      : shared_(options, application),
        io_(options.io_threads),
        acceptor_(net::make_strand(io_)),
        retry_timer_(acceptor_.get_executor()) {}

  void Adopt(Listener listener) {
    const rlim_t files = RaiseFileLimit();
    if (static_cast<rlim_t>(shared_.options.max_connections) + 64 > files) {
      std::fprintf(stderr,
                   "outbox: warning: --http-max-connections %d is near the open-file limit %llu\n",
                   shared_.options.max_connections, static_cast<unsigned long long>(files));
    }
    port_ = listener.port();
    const tcp protocol = listener.ipv6() ? tcp::v6() : tcp::v4();
    acceptor_.assign(protocol, listener.Release());
  }

  int port() const override { return port_; }

  void Run() override {
    {
      std::lock_guard lock(run_mutex_);
      run_started_ = true;
    }
    Accept();
    std::vector<std::thread> threads;
    for (int i = 1; i < shared_.options.io_threads; ++i) {
      threads.emplace_back([this] { io_.run(); });
    }
    io_.run();
    for (auto& thread : threads) thread.join();
    // Every handler has answered (each holds work on io_ until then); the pool is idle.
    shared_.handlers.join();
    std::lock_guard lock(run_mutex_);
    run_returned_ = true;
    run_done_.notify_all();
  }

  void Stop() override {
    if (shared_.stopping.exchange(true)) return;
    net::dispatch(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    });
    for (const auto& weak : shared_.OpenConnections()) {
      if (auto connection = weak.lock()) connection->Interrupt();
    }
    // Run returns when nothing is left to do: no listener, no connection.
    std::unique_lock lock(run_mutex_);
    if (!run_started_) return;
    run_done_.wait(lock, [this] { return run_returned_; });
  }

 private:
  void Accept() {
    if (shared_.stopping) return;
    acceptor_.async_accept(net::make_strand(io_),
                           [this](beast::error_code error, tcp::socket socket) {
                             if (error == net::error::operation_aborted || !acceptor_.is_open())
                               return;
                             if (error) {
                               // Out of descriptors (EMFILE) or the like: wait a moment rather than
                               // spin.
                               retry_timer_.expires_after(std::chrono::milliseconds(50));
                               return retry_timer_.async_wait([this](beast::error_code waited) {
                                 if (!waited) Accept();
                               });
                             }
                             Admit(std::move(socket));
                             Accept();
                           });
  }

  void Admit(tcp::socket socket) {
    beast::error_code error;
    const auto remote = socket.remote_endpoint(error);
    if (error) return;
    socket.set_option(tcp::no_delay(true), error);
    std::string client = remote.address().to_string();
    const char* reason = nullptr;
    if (!shared_.Enter(client, reason)) {
      // Answered without reading: a short 503 that fits the socket's send buffer, then closed.
      Exchange refused;
      refused.request.remote_addr = client;
      refused.response.set_header("Retry-After", "1");
      shared_.application.Refuse(refused, 503, reason);
      const std::string out = Serialize(refused.response, false, true);
      socket.non_blocking(true, error);
      socket.write_some(net::buffer(out), error);
      socket.close(error);
      return;
    }
    auto connection = std::make_shared<Connection>(std::move(socket), shared_, std::move(client));
    shared_.Register(connection);
    connection->Start();
  }

  Shared shared_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  int port_ = 0;
  std::mutex run_mutex_;
  std::condition_variable run_done_;
  bool run_started_ = false, run_returned_ = false;  // guarded by run_mutex_
};

}  // namespace

std::unique_ptr<Front> NewFront(const FrontOptions& options, Listener listener,
                                Application& application) {
  auto front = std::make_unique<AsioFront>(options, application);
  front->Adopt(std::move(listener));
  return front;
}

Listener::Listener(Listener&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), ipv6_(other.ipv6_), port_(other.port_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (descriptor_ >= 0) close(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, -1);
    ipv6_ = other.ipv6_;
    port_ = other.port_;
  }
  return *this;
}

Listener::~Listener() {
  if (descriptor_ >= 0) close(descriptor_);
}

int Listener::Release() { return std::exchange(descriptor_, -1); }

core::Result<Listener> Listen(const std::string& host, int port) {
  const std::string named = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int resolved = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (resolved != 0 || found == nullptr) {
    return core::Error{core::ErrorCode::kInvalidArgument,
                       "cannot listen on " + named + ": " + gai_strerror(resolved), "--host"};
  }
  // The first address, as getaddrinfo orders them.
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  const bool ipv6 = found->ai_family == AF_INET6;
  const int descriptor = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Listener listener(descriptor, ipv6, 0);  // closes it on the way out of a failure
  const int on = 1;
  if (descriptor < 0 || setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      bind(descriptor, found->ai_addr, found->ai_addrlen) != 0 ||
      ::listen(descriptor, SOMAXCONN) != 0) {
    const int error = errno;
    if (error == EADDRINUSE) {
      return core::Error{core::ErrorCode::kFailedPrecondition,
                         "cannot listen on " + named + ": the address is in use", "--port"};
    }
    return core::Unavailable("cannot listen on " + named + ": " + std::strerror(error));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(descriptor, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return Listener(listener.Release(), ipv6, bound_port);
}

}  // namespace http
