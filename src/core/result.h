#pragma once
// One error vocabulary for the whole program: a small code set, a message for people and the
// name of the offending input field. Result<T> holds a value or an Error, shaped like
// std::expected (which g++ 12 does not ship yet).
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace core {

enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kPayloadTooLarge,
  kUnavailable,
  kDeadlineExceeded,
  kInternal,
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // the request field at fault, empty if none
  // kResourceExhausted: seconds until a retry may succeed (HTTP Retry-After); 0 when unknown.
  long long retry_after_seconds = 0;
};

inline Error InvalidArgument(std::string field, std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
}
inline Error NotFound(std::string message) {
  return Error{ErrorCode::kNotFound, std::move(message), {}};
}
inline Error Internal(std::string message) {
  return Error{ErrorCode::kInternal, std::move(message), {}};
}
inline Error FailedPrecondition(std::string message) {
  return Error{ErrorCode::kFailedPrecondition, std::move(message), {}};
}
inline Error Unavailable(std::string message) {
  return Error{ErrorCode::kUnavailable, std::move(message), {}};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace core
