// Reading a tokenizer file whole, with errors that name the file and the cause.
#pragma once

#include <string>

namespace ad::text {

// The bytes of `path`; ad::Error "<path>: cannot open <what>: <reason>" when it cannot be read.
std::string read_text_file(const std::string& path, const char* what);

}  // namespace ad::text
