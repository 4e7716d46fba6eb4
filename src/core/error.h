// Error type of the engine: one line that names the file, the tensor and the cause.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace ad {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown for input the engine does not support (an unknown fixture case, a model family not
// implemented): callers such as check-fixture map it to a distinct exit status.
class UnsupportedError : public Error {
 public:
  explicit UnsupportedError(const std::string& message) : Error(message) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ad

// Checks a condition that depends on input (files, shapes, user options); throws ad::Error.
#define AD_CHECK(cond, ...)            \
  do {                                 \
    if (!(cond)) ::ad::fail(__VA_ARGS__); \
  } while (0)
