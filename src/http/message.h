#pragma once
// The request a handler reads and the response it fills: plain values, filled by the front
// (http/front.h) from the wire and written back by it. The member names are cpp-httplib's, which
// the handlers were first written against.
#include <cstddef>
#include <map>
#include <regex>
#include <string>
#include <string_view>

namespace http {

// Orders header names without regard to case, as HTTP compares them.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;
// Query parameters, decoded; a multimap ordered by name.
using Params = std::multimap<std::string, std::string>;

// One part of a multipart/form-data body.
struct FormPart {
  std::string name;
  std::string content;
  std::string filename;      // "" for a plain field
  std::string content_type;  // "" when the part names none
};
using FormParts = std::multimap<std::string, FormPart>;

struct Request {
  std::string method;  // as sent: "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  Headers headers;
  std::string body;
  std::string remote_addr;  // the client's IP address
  Params params;            // the query's parameters
  FormParts files;          // every part of a multipart/form-data body, fields included
  std::smatch matches;      // the route pattern's match over `path`

  bool has_header(const std::string& name) const;
  // The first value of `name`; "" when absent.
  std::string get_header_value(const std::string& name) const;
  bool has_param(const std::string& name) const;
  std::string get_param_value(const std::string& name) const;
  bool is_multipart_form_data() const;
  bool has_file(const std::string& name) const;
  // The first part named `name`; an empty part when there is none.
  FormPart get_file_value(const std::string& name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // Replaces any header of that name. REQUIRES: neither holds CR or LF.
  void set_header(const std::string& name, const std::string& value);
  void set_content(std::string body_text, const std::string& content_type);
};

// `text` with %XX decoded (and '+' as a space when `plus_is_space`, as in a query).
std::string DecodePercent(std::string_view text, bool plus_is_space);

// The parameters of a query string ("a=1&b=2"), decoded.
Params ParseQuery(std::string_view query);

// The parts of a multipart/form-data body whose Content-Type is `content_type`; false when the
// type names no boundary or the body is not in that form. Linear in the body's size; at most
// `max_parts` parts are read (false beyond). A part whose Content-Disposition names no field
// has the name "".
bool ParseMultipartForm(std::string_view content_type, std::string_view body, FormParts& parts,
                        std::size_t max_parts = 1000);

// The reason phrase of a status code ("Not Found"); "" for one it does not know.
std::string_view ReasonPhrase(int status);

}  // namespace http
