// CLIPTokenizer: loading vocab.json / merges.txt, BPE with a cache, special tokens, framing.
// Reference: transformers src/transformers/models/clip/tokenization_clip.py (CLIPTokenizer.bpe,
// _tokenize, build_inputs_with_special_tokens) and tokenization_utils.py (added-token split).
#include "text/clip_tokenizer.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/text_file.h"
#include "text/unicode.h"

namespace ad::text {

namespace {

constexpr const char* kStartToken = "<|startoftext|>";
constexpr const char* kEndToken = "<|endoftext|>";
constexpr const char* kWordEnd = "</w>";
// CLIPTokenizer reads merges.txt lines [1, 49152 - 256 - 2 + 1): the merges CLIP was trained with.
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr size_t kCacheLimit = 1 << 16;

std::unordered_map<std::string, int32_t> parse_vocab(const std::string& path) {
  const std::string bytes = read_text_file(path, "the CLIP vocabulary (vocab.json)");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON, not a CLIP vocab.json ({})", path, e.what());
  }
  AD_CHECK(json.is_object(), "{}: not a JSON object of token -> id, not a CLIP vocab.json", path);
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(json.size());
  for (const auto& [token, id] : json.items()) {
    AD_CHECK(id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() <= INT32_MAX,
             "{}: token '{}' has id {}, expected a non-negative integer", path, token, id.dump());
    vocab.emplace(token, id.get<int32_t>());
  }
  for (const char* special : {kStartToken, kEndToken})
    AD_CHECK(vocab.count(special), "{}: no '{}' token ({} entries): not a CLIP vocab.json", path, special, vocab.size());
  return vocab;
}

// "left right" -> rank, as dict(zip(merges, range(len(merges)))) over lines 1.. of the file.
std::unordered_map<std::string, int32_t> parse_merges(const std::string& path, size_t& count) {
  const std::string bytes = read_text_file(path, "the CLIP merges (merges.txt)");
  AD_CHECK(utf8_valid(bytes), "{}: not UTF-8 text, not a CLIP merges.txt", path);
  // Python: text.strip().split("\n")[1:kMaxMerges + 1].
  size_t begin = 0, end = bytes.size();
  const auto ascii_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (begin < end && ascii_space(bytes[begin])) ++begin;
  while (end > begin && ascii_space(bytes[end - 1])) --end;
  std::unordered_map<std::string, int32_t> ranks;
  ranks.reserve(kMaxMerges);
  size_t line_no = 0, pos = begin;
  count = 0;
  while (pos < end && count < kMaxMerges) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos || nl > end) nl = end;
    const std::u32string line = utf8_decode(std::string_view(bytes).substr(pos, nl - pos));
    pos = nl + 1;
    if (line_no++ == 0) continue;  // the "#version: 0.2" header
    std::vector<std::u32string> parts;  // str.split(): runs of Unicode white space
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && is_space(line[i])) ++i;
      size_t j = i;
      while (j < line.size() && !is_space(line[j])) ++j;
      if (j > i) parts.emplace_back(line.substr(i, j - i));
      i = j;
    }
    const int32_t rank = static_cast<int32_t>(count++);
    if (parts.empty()) continue;  // an empty tuple: never matches, but takes a rank
    AD_CHECK(parts.size() == 2, "{}: line {}: expected two symbols 'left right', got {}: not a CLIP merges.txt", path,
             line_no, parts.size());
    ranks.insert_or_assign(utf8_encode(parts[0]) + ' ' + utf8_encode(parts[1]), rank);
  }
  AD_CHECK(!ranks.empty(), "{}: no merges after the header line (empty or truncated file?)", path);
  return ranks;
}

}  // namespace

ClipTokenizer ClipTokenizer::load(const std::string& vocab_path, const std::string& merges_path,
                                  ClipTokenizerOptions options) {
  ClipTokenizer t;
  t.vocab_ = parse_vocab(vocab_path);
  t.merge_ranks_ = parse_merges(merges_path, t.merge_count_);
  for (const auto& [piece, id] : t.vocab_) t.id_to_piece_.emplace(id, piece);
  t.bos_id_ = t.vocab_.at(kStartToken);
  t.eos_id_ = t.vocab_.at(kEndToken);
  t.split_tokens_ = {kStartToken, kEndToken};
  for (const auto& token : options.added_tokens) {
    AD_CHECK(!token.empty(), "{}: empty added token", vocab_path);
    AD_CHECK(t.vocab_.count(token), "{}: the added token '{}' is not in the vocabulary", vocab_path, token);
    if (std::find(t.split_tokens_.begin(), t.split_tokens_.end(), token) == t.split_tokens_.end())
      t.split_tokens_.push_back(token);
  }
  std::stable_sort(t.split_tokens_.begin(), t.split_tokens_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return t;
}

ClipTokenizer ClipTokenizer::load_folder(const std::string& folder, ClipTokenizerOptions options) {
  const std::filesystem::path dir(folder);
  return load((dir / "vocab.json").string(), (dir / "merges.txt").string(), std::move(options));
}

std::optional<int32_t> ClipTokenizer::token_id(const std::string& piece) const {
  auto it = vocab_.find(piece);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ClipTokenizer::bpe(const std::string& symbols) const {
  // CLIPTokenizer.cache starts with the two special tokens, which BPE leaves whole.
  if (symbols == kStartToken || symbols == kEndToken) return {symbols};
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    auto it = cache_->pieces.find(symbols);
    if (it != cache_->pieces.end()) return it->second;
  }
  std::vector<std::string> word;
  for (char32_t cp : utf8_decode(symbols)) {
    word.emplace_back();
    utf8_append(word.back(), cp);
  }
  if (word.empty()) return {};
  word.back() += kWordEnd;
  std::string key;
  while (word.size() > 1) {
    int32_t best = INT32_MAX;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      key.assign(word[i]).append(1, ' ').append(word[i + 1]);
      auto it = merge_ranks_.find(key);
      if (it != merge_ranks_.end() && it->second < best) best = it->second, best_at = i;
    }
    if (best == INT32_MAX) break;
    const std::string first = word[best_at], second = word[best_at + 1];
    std::vector<std::string> merged;  // every occurrence of the pair, left to right, not overlapping
    merged.reserve(word.size());
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(std::move(word[i]));
        i += 1;
      }
    }
    word = std::move(merged);
  }
  std::lock_guard<std::mutex> lock(cache_->mutex);
  if (cache_->pieces.size() >= kCacheLimit) cache_->pieces.clear();
  cache_->pieces.emplace(symbols, word);
  return word;
}

void ClipTokenizer::append_chunk(std::string_view chunk, std::vector<std::string>& out) const {
  for (const std::string& pre_token : clip_pre_tokenize(clip_clean_text(chunk)))
    for (std::string& piece : bpe(clip_bytes_to_symbols(pre_token))) out.push_back(std::move(piece));
}

std::vector<std::string> ClipTokenizer::pieces(std::string_view prompt) const {
  // Invalid UTF-8 cannot reach the Python reference; decode it as errors="replace" would (the
  // cleanup then deletes the U+FFFD).
  const std::string text = utf8_encode(utf8_decode(prompt));
  std::vector<std::string> out;
  size_t chunk_begin = 0;
  for (size_t i = 0; i < text.size();) {
    const std::string* match = nullptr;
    for (const auto& token : split_tokens_) {
      if (text.compare(i, token.size(), token) == 0) {
        match = &token;
        break;
      }
    }
    if (!match) {
      ++i;
      continue;
    }
    append_chunk(std::string_view(text).substr(chunk_begin, i - chunk_begin), out);
    out.push_back(*match);
    i += match->size();
    chunk_begin = i;
  }
  append_chunk(std::string_view(text).substr(chunk_begin), out);
  return out;
}

std::vector<int32_t> ClipTokenizer::tokenize(std::string_view prompt) const {
  std::vector<int32_t> ids;
  for (const std::string& piece : pieces(prompt)) {
    auto it = vocab_.find(piece);
    ids.push_back(it != vocab_.end() ? it->second : eos_id_);  // unk_token is <|endoftext|>
  }
  return ids;
}

std::vector<int32_t> ClipTokenizer::frame(const std::vector<int32_t>& content, ClipPadding padding, int length) const {
  AD_CHECK(length >= 2, "CLIP tokenizer: a sequence length of {} leaves no room for the start and end tokens", length);
  const size_t kept = std::min(content.size(), static_cast<size_t>(length - 2));
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(length));
  ids.push_back(bos_id_);
  ids.insert(ids.end(), content.begin(), content.begin() + static_cast<std::ptrdiff_t>(kept));
  ids.push_back(eos_id_);
  ids.resize(static_cast<size_t>(length), pad_id(padding));
  return ids;
}

ClipEncoding ClipTokenizer::encode(std::string_view prompt, ClipPadding padding, int length) const {
  ClipEncoding e;
  e.content = tokenize(prompt);
  e.ids = frame(e.content, padding, length);
  e.kept = std::min(e.content.size(), static_cast<size_t>(length - 2));
  return e;
}

std::string ClipTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string symbols;
  for (int32_t id : ids) {
    if (id == bos_id_ || id == eos_id_) continue;
    auto it = id_to_piece_.find(id);
    if (it != id_to_piece_.end()) symbols += it->second;
  }
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = symbols.find(kWordEnd, pos)) != std::string::npos; pos = at + 4) {
    out += clip_symbols_to_bytes(symbols.substr(pos, at - pos)).value_or("");
    out += ' ';
  }
  out += clip_symbols_to_bytes(symbols.substr(pos)).value_or("");
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace ad::text
