// Files bundled with the program (data/ in the source tree): the CLIP vocabulary
// (tokenizers/clip) and T5's SentencePiece model (tokenizers/t5).
#pragma once

#include <functional>
#include <string>

namespace ad::pipeline {

// The first existing `relative` path (a file or folder) among the places the data may be:
// <executable>/../share/animatediff/ (installed), then the source tree's data/. `usable` decides
// whether a candidate is complete (default: it exists). Empty when none is.
std::string find_bundled_data(const std::string& relative, const std::function<bool(const std::string&)>& usable = {});

}  // namespace ad::pipeline
