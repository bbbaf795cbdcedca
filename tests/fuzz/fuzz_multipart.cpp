// multipart/form-data bodies as the server parses them: cpp-httplib's own parser (it lives in
// the shared libcpp-httplib, so it is driven through a real loopback server), with the
// Content-Type and boundary of POST /api/send-email, and the SES route's way of reading the
// parts (has_file, get_file_value, every "files" part through BaseFileName, then the
// attachment checks SesService makes). The input is the body. Note: libcpp-httplib is not
// instrumented, so libFuzzer gets no coverage feedback from inside the parser (only from the
// outbox code after it); it still catches crashes, hangs and ASan reports there.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "mail/message.h"
#include "mail/sniff.h"

namespace {

constexpr const char* kBoundary = "----outboxfuzzboundary";

int StartServer() {
  static httplib::Server server;
  server.set_payload_max_length(26 << 20);
  server.set_read_timeout(2);
  server.new_task_queue = [] { return new httplib::ThreadPool(1); };
  server.Post("/api/send-email", [](const httplib::Request& request, httplib::Response& response) {
    if (!request.is_multipart_form_data()) {
      response.status = 400;
      return;
    }
    std::size_t total = 0;
    for (const char* name :
         {"shortName", "email", "sendEmail", "replyEmail", "subject", "data", "text", "template"}) {
      if (request.has_file(name)) total += request.get_file_value(name).content.size();
    }
    const auto [first, last] = request.files.equal_range("files");
    for (auto file = first; file != last; ++file) {
      const std::string name = mail::BaseFileName(file->second.filename);
      if (name.find_first_of("/\\") != std::string::npos) std::abort();
      (void)mail::CheckAttachmentType(file->second.content, name, file->second.content_type,
                                      "files");
      total += file->second.content.size() + file->second.content_type.size();
    }
    response.set_content(std::to_string(total), "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) std::abort();
  std::thread([] { server.listen_after_bind(); }).detach();
  return port;
}

void Post(int port, const std::string& body) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::abort();
  const std::string request = std::string("POST /api/send-email HTTP/1.1\r\nHost: fuzz\r\n") +
                              "Content-Type: multipart/form-data; boundary=" + kBoundary +
                              "\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\nConnection: close\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (and close) before reading everything
    sent += static_cast<std::size_t>(n);
  }
  char buffer[4096];
  while (recv(fd, buffer, sizeof buffer, 0) > 0) {
  }
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int port = StartServer();
  Post(port, std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
