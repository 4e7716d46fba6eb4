// The official SD3.5 inference code's prompt handling: sd3_infer.py -> other_impls.SD3Tokenizer
// (github.com/Stability-AI/sd3.5, other_impls.py: SDTokenizer.tokenize_with_weights,
// token_weights, parse_parentheses, escape_important). Unlike diffusers it parses the A1111-style
// weight syntax, tokenizes each space-separated word on its own, and cuts CLIP input into chunks
// of 77 without splitting short words:
//
//   1. "\(" and "\)" are protected; the text is cut into top-level "( ... )" groups, a group's
//      weight being the enclosing weight x 1.1, or the number after its last ':' when that parses
//      as a Python float. Groups nest; unbalanced parentheses stay text.
//   2. Each segment: '\n' -> ' ', split on ' ', every non-empty word tokenized alone (CLIP ids
//      without BOS/EOS; T5 ids without </s>).
//   3. CLIP: chunks of BOS + up to 75 ids + EOS + padding (end token for CLIP-L, 0 for CLIP-G);
//      a word of fewer than 8 tokens that does not fit starts the next chunk, a longer one is
//      split. sd3_infer encodes only the first chunk.
//   4. T5: only the first 226 characters; ids + </s>, padded with 0 up to at least 77.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/clip_tokenizer.h"
#include "text/t5_tokenizer.h"

namespace ad::text {

struct WeightedText {
  std::string text;  // UTF-8, escapes resolved ("\(" -> "(")
  double weight = 1.0;
};

// token_weights(escape_important(prompt), 1.0) with each segment unescaped.
std::vector<WeightedText> parse_prompt_weights(std::string_view prompt);

struct WeightedIds {
  std::vector<int32_t> ids;
  std::vector<double> weights;  // one per id; 1.0 for BOS, EOS and padding
};

// SDTokenizer's framing of per-word token groups.
struct ChunkOptions {
  int max_length = kClipContextLength;
  bool has_start = true;
  int32_t start_id = 0;
  int32_t end_id = 0;
  int32_t pad_id = 0;
  bool pad_to_max_length = true;
  int min_length = 0;       // 0: none
  int max_word_length = 8;  // words with this many tokens or more may be split across chunks
};
std::vector<WeightedIds> chunk_words(const std::vector<WeightedIds>& words, const ChunkOptions& options);

struct Sd3PromptTokens {
  std::vector<WeightedIds> clip_l;  // chunks of 77; sd3_infer uses clip_l[0]
  std::vector<WeightedIds> clip_g;  // the same tokens padded with 0
  WeightedIds t5;                   // at least 77 ids
};

// SD3Tokenizer.tokenize_with_weights(prompt). `t5` may be null (then `t5` stays empty).
Sd3PromptTokens sd3_reference_tokenize(std::string_view prompt, const ClipTokenizer& clip, const T5Tokenizer* t5);

// The characters (code points) the SD3.5 code gives T5: prompt[:226].
inline constexpr size_t kSd3T5MaxChars = 226;

}  // namespace ad::text
