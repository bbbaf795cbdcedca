#pragma once
// The front: accepts HTTP/1.1 connections and reads requests off them, event-driven (Boost.Asio
// and Beast's parser), so that an idle or slow connection costs a socket and a few KB, never a
// thread. Reading the header and reading the body each have an absolute deadline (activity does
// not extend it); connections are limited per client address and in total; a request's body is
// read only after the application has seen its header (Admit: the route's body limit, the
// caller's credentials) and only up to the limit it gave, and large bodies share one memory
// budget. One request at a time per connection. A handler that never blocks runs on the few
// threads that drive the sockets; one that may block (a read of the database, a password hash, a
// fan-out) on a pool of its own, so the sockets keep moving meanwhile. A handler may also answer
// later from another thread (Exchange::finish) and free its thread at once.
#include <any>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace http {

// A listening TCP socket, taken first thing at start (before the data directory is touched), so
// that a port in use fails before anything else happens. Closed unless handed to BindFront.
class Listener {
 public:
  Listener() = default;
  Listener(int descriptor, bool ipv6, int port)
      : descriptor_(descriptor), ipv6_(ipv6), port_(port) {}
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  int port() const { return port_; }
  bool ipv6() const { return ipv6_; }
  // Hands the descriptor over (the caller closes it from now on).
  int Release();

 private:
  int descriptor_ = -1;
  bool ipv6_ = false;
  int port_ = 0;
};

// Binds and listens on host:port (a name is resolved; port 0 picks a free one). SO_REUSEADDR
// lets a restart bind while old connections linger in TIME_WAIT; SO_REUSEPORT is not set, so a
// second process cannot bind a port that is listened on. An address in use is
// kFailedPrecondition with the field "--port", naming the address; a host that does not
// resolve kInvalidArgument with "--host"; any other failure kUnavailable.
core::Result<Listener> Listen(const std::string& host, int port);

struct FrontOptions {
  int io_threads = 2;                    // drive the sockets and run the handlers that never block
  int threads = 16;                      // run the handlers that may block
  int max_connections = 4096;            // open connections in all; more are refused with 503
  int max_connections_per_client = 256;  // open connections of one client IP address
  int header_timeout_ms = 10'000;        // from a request's first byte to its header's end
  int body_timeout_ms = 60'000;          // for a request's whole body
  int idle_timeout_ms = 30'000;          // keep-alive: between one answer and the next request
  int write_timeout_ms = 30'000;         // for writing one answer
  std::size_t max_header_bytes = 64 << 10;  // request line and header fields (larger: 431)
  // Bodies over kSmallBodyBytes are read only within this many bytes of such bodies in memory
  // at once (being read or handled); a request beyond it is answered 503 with Retry-After. One
  // such body is always let in when none is, whatever its size (up to its route's limit).
  std::size_t body_memory_bytes = 32 << 20;
};

// A request's way through the front: its header, then (if the application admits it) its body,
// then the answer.
struct Exchange {
  Request request;  // no body until Admit has let it in
  Response response;
  std::size_t body_limit = 0;  // set by Admit: the largest body this request may carry
  bool answered = false;       // set by Admit when it answered already: the body is not read
  // Cleared by Admit for a handler that never blocks (it answers at once, or later through
  // `finish`): that one runs on the thread that read the body, the others on a thread of the
  // pool for handlers that may block.
  bool may_block = true;
  std::any state;  // the application's own, from Admit to Handle
  // Set by the front before Handle. A handler that answers later, without holding its thread,
  // sets `deferred` and keeps `finish`; calling that (once, from any thread) runs the given
  // function, which fills the response, on one of the front's threads and writes the answer.
  // The exchange lives until then.
  bool deferred = false;
  std::function<void(std::function<void()> fill)> finish;
};

// What the front calls. Admit and Refuse run on a socket thread and must not block for long;
// Handle on a socket thread or, when Admit left `may_block` set, on a handler thread.
class Application {
 public:
  virtual ~Application() = default;
  // The header is in (request without body). Sets body_limit, or fills the response and sets
  // `answered` to refuse the request without reading its body.
  virtual void Admit(Exchange& exchange) = 0;
  // The body is in: fills the response.
  virtual void Handle(Exchange& exchange) = 0;
  // Fills the response with an answer of the front's own (400 malformed, 408, 413 over the
  // limit, 431, 503 over a limit) in the shape of the route family of the request's path.
  virtual void Refuse(Exchange& exchange, int status, const std::string& message) = 0;
};

// Bodies up to this size are read without a share of FrontOptions::body_memory_bytes.
inline constexpr std::size_t kSmallBodyBytes = 64 << 10;

class Front {
 public:
  virtual ~Front() = default;
  virtual int port() const = 0;
  // Serves until Stop(); blocks the calling thread.
  virtual void Run() = 0;
  // Stops accepting, closes idle connections, and returns once the requests in progress are
  // answered and Run has returned.
  virtual void Stop() = 0;
};

// A front that serves on `listener` once Run.
// REQUIRES: `application` outlives the front.
std::unique_ptr<Front> NewFront(const FrontOptions& options, Listener listener,
                                Application& application);

}  // namespace http
