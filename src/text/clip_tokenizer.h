// CLIP's byte-level BPE tokenizer, exactly as transformers' CLIPTokenizer (the Python "slow"
// class that diffusers' SD1.5 / SD3 pipelines, ComfyUI and the official SD3.5 code instantiate)
// in an environment without the `ftfy` package:
//
//   1. `<|startoftext|>` / `<|endoftext|>` typed in the prompt (and any extra added token) are
//      cut out first and become their ids.
//   2. Cleanup of each remaining chunk (BERT BasicTokenizer, lower case on, accents kept): delete
//      U+0000, U+FFFD and C* except tab/LF/CR; tab/LF/CR/Zs -> space; spaces around CJK
//      ideographs; NFC; split on white space; str.lower() each piece; join with single spaces.
//   3. Pre-tokens: the matches of
//      <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//      (case-insensitive).
//   4. Each pre-token's UTF-8 bytes -> one symbol per byte (bytes_to_unicode), `</w>` on the last.
//   5. BPE: merge the adjacent pair of lowest rank in merges.txt, all occurrences left to right,
//      until no pair has a rank. Ids from vocab.json (a missing piece is the unknown token,
//      `<|endoftext|>`).
//   6. Framing: BOS + the first length-2 content ids + EOS, padded to `length` (77).
//
// Files: vocab.json (token -> id, JSON object) and merges.txt ("#version" line, then one
// "left right" merge per line in priority order), read at run time from the model's tokenizer
// folder. See docs/tokenizers.md for the variants and where the reference implementations differ.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ad::text {

// The text encoders' input length (CLIP's context) and its content capacity (77 - BOS - EOS).
inline constexpr int kClipContextLength = 77;

struct ClipTokenizerOptions {
  // Strings split out of the prompt before any cleanup and mapped straight to their vocab.json
  // id, as transformers does with added tokens. Empty for CLIPTokenizer's defaults.
  std::vector<std::string> added_tokens;

  // diffusers' SDXL / SD3 `tokenizer_2` (CLIP-G): its config declares "!" (id 0) as the pad
  // token, which makes every "!" in a prompt a token of its own (diffusers issue #4153).
  static ClipTokenizerOptions diffusers_clip_g() { return {{"!"}}; }
};

// Padding after EOS: the end token (SD1.5's and SD3's CLIP-L) or id 0 (SD3's CLIP-G: "!" for
// diffusers, 0 for OpenCLIP and the official SD3.5 code; the same id).
enum class ClipPadding { EndToken, Zero };

struct ClipEncoding {
  std::vector<int32_t> ids;      // `length` ids: BOS, content (truncated), EOS, padding
  std::vector<int32_t> content;  // every content id of the prompt: no BOS/EOS, not truncated
  size_t kept = 0;               // how many content ids made it into `ids`
  bool truncated() const { return kept < content.size(); }
};

class ClipTokenizer {
 public:
  // Throws ad::Error naming the file and the cause when a file is missing or malformed.
  static ClipTokenizer load(const std::string& vocab_path, const std::string& merges_path,
                            ClipTokenizerOptions options = {});
  // `folder`/vocab.json + `folder`/merges.txt (a diffusers tokenizer/ or tokenizer_2/ folder).
  static ClipTokenizer load_folder(const std::string& folder, ClipTokenizerOptions options = {});

  // BPE pieces of the whole prompt (e.g. "photo</w>"), not truncated.
  std::vector<std::string> pieces(std::string_view prompt) const;
  // Their ids: the content ids, no BOS/EOS, not truncated.
  std::vector<int32_t> tokenize(std::string_view prompt) const;
  // BOS + content[:length-2] + EOS + padding: what transformers returns for
  // tokenizer(prompt, padding="max_length", max_length=length, truncation=True).
  ClipEncoding encode(std::string_view prompt, ClipPadding padding, int length = kClipContextLength) const;
  std::vector<int32_t> frame(const std::vector<int32_t>& content, ClipPadding padding,
                             int length = kClipContextLength) const;
  // Text of ids (BOS/EOS/padding dropped, "</w>" as a space): for messages and debugging.
  std::string decode(const std::vector<int32_t>& ids) const;

  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  int32_t pad_id(ClipPadding padding) const { return padding == ClipPadding::EndToken ? eos_id_ : 0; }
  std::optional<int32_t> token_id(const std::string& piece) const;
  size_t vocab_size() const { return vocab_.size(); }
  size_t merge_count() const { return merge_count_; }

 private:
  struct Cache {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<std::string>> pieces;
  };
  void append_chunk(std::string_view chunk, std::vector<std::string>& out) const;
  std::vector<std::string> bpe(const std::string& symbols) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<int32_t, std::string> id_to_piece_;
  std::unordered_map<std::string, int32_t> merge_ranks_;  // "left right" -> rank
  std::vector<std::string> split_tokens_;  // special and added tokens, longest first
  size_t merge_count_ = 0;
  int32_t bos_id_ = 0, eos_id_ = 0;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

// The steps, exposed for tests and tools. All take and return UTF-8.
// Step 2 on one chunk (no special tokens in it).
std::string clip_clean_text(std::string_view text);
// Step 3 on cleaned text.
std::vector<std::string> clip_pre_tokenize(std::string_view cleaned);
// Step 4 without `</w>`: each byte as its symbol, and back (nullopt: not a symbol string).
std::string clip_bytes_to_symbols(std::string_view bytes);
std::optional<std::string> clip_symbols_to_bytes(std::string_view symbols);

}  // namespace ad::text
