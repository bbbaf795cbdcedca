// multipart/form-data bodies as the server reads them: http::ParseMultipartForm with the
// Content-Type of the SES-compatible send, then the route's way of reading the parts (has_file,
// get_file_value, every "files" part through BaseFileName, then the attachment checks SesService
// makes). The input is the body.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/message.h"
#include "mail/message.h"
#include "mail/sniff.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  http::Request request;
  request.headers.emplace("Content-Type", "multipart/form-data; boundary=----outboxfuzzboundary");
  if (!http::ParseMultipartForm(request.get_header_value("Content-Type"), body, request.files)) {
    return 0;
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
    (void)mail::CheckAttachmentType(file->second.content, name, file->second.content_type, "files");
    total += file->second.content.size();
  }
  if (total > body.size()) std::abort();  // parts are pieces of the body
  return 0;
}
