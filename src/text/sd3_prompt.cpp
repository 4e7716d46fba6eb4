#include "text/sd3_prompt.h"

#include "core/error.h"
#include "text/unicode.h"

namespace ad::text {

namespace {

// Python's deepest recursion is about 1000 frames; token_weights recurses once per nesting level.
constexpr int kMaxNesting = 900;

std::u32string replace_all(std::u32string text, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  size_t pos = 0;
  for (size_t at; (at = text.find(from, pos)) != std::u32string::npos; pos = at + from.size()) {
    out.append(text, pos, at - pos);
    out.append(to);
  }
  out.append(text, pos, std::u32string::npos);
  return out;
}

std::u32string escape_important(std::u32string text) {
  text = replace_all(std::move(text), U"\\)", std::u32string(U"\0\1", 2));
  return replace_all(std::move(text), U"\\(", std::u32string(U"\0\2", 2));
}

std::u32string unescape_important(std::u32string text) {
  text = replace_all(std::move(text), std::u32string(U"\0\1", 2), U")");
  return replace_all(std::move(text), std::u32string(U"\0\2", 2), U"(");
}

// parse_parentheses, including its handling of unbalanced ')' (the level goes negative).
std::vector<std::u32string> parse_parentheses(std::u32string_view text) {
  std::vector<std::u32string> result;
  std::u32string current;
  int level = 0;
  for (char32_t c : text) {
    if (c == U'(') {
      if (level == 0) {
        if (!current.empty()) result.push_back(current);
        current.assign(1, U'(');  // not `= U"("`: GCC 12 warns falsely (-Wrestrict, GCC bug 105329)
      } else {
        current.push_back(c);
      }
      ++level;
    } else if (c == U')') {
      --level;
      if (level == 0) {
        result.push_back(current + U")");
        current.clear();
      } else {
        current.push_back(c);
      }
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) result.push_back(current);
  return result;
}

void token_weights(std::u32string_view text, double current_weight, int depth, std::vector<std::pair<std::u32string, double>>& out) {
  AD_CHECK(depth < kMaxNesting, "prompt: parentheses nested more than {} deep", kMaxNesting);
  for (std::u32string& x : parse_parentheses(text)) {
    if (x.size() >= 2 && x.front() == U'(' && x.back() == U')') {
      std::u32string inner = x.substr(1, x.size() - 2);
      double weight = current_weight * 1.1;
      const size_t colon = inner.rfind(U':');
      if (colon != std::u32string::npos && colon > 0) {
        if (auto number = parse_python_float(std::u32string_view(inner).substr(colon + 1))) {
          weight = *number;
          inner.resize(colon);
        }
      }
      token_weights(inner, weight, depth + 1, out);
    } else {
      out.emplace_back(std::move(x), current_weight);
    }
  }
}

// The words of a segment: '\n' -> ' ', split(' '), empty words dropped.
std::vector<std::string> words_of(const std::string& segment) {
  std::vector<std::string> words;
  std::string word;
  for (char c : segment) {
    if (c == ' ' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

template <typename Tokenize>
std::vector<WeightedIds> tokenize_words(const std::vector<WeightedText>& segments, Tokenize&& tokenize) {
  std::vector<WeightedIds> groups;
  for (const auto& segment : segments) {
    for (const auto& word : words_of(segment.text)) {
      WeightedIds g;
      g.ids = tokenize(word);
      g.weights.assign(g.ids.size(), segment.weight);
      groups.push_back(std::move(g));
    }
  }
  return groups;
}

void push(WeightedIds& batch, int32_t id, double weight = 1.0) {
  batch.ids.push_back(id);
  batch.weights.push_back(weight);
}

}  // namespace

std::vector<WeightedText> parse_prompt_weights(std::string_view prompt) {
  std::vector<std::pair<std::u32string, double>> parsed;
  token_weights(escape_important(utf8_decode(prompt)), 1.0, 0, parsed);
  std::vector<WeightedText> out;
  out.reserve(parsed.size());
  for (auto& [text, weight] : parsed) out.push_back({utf8_encode(unescape_important(std::move(text))), weight});
  return out;
}

std::vector<WeightedIds> chunk_words(const std::vector<WeightedIds>& words, const ChunkOptions& o) {
  AD_CHECK(o.max_length > o.max_word_length + 1, "chunk_words: max_length {} cannot hold a word of {} tokens",
           o.max_length, o.max_word_length);
  const size_t max_length = static_cast<size_t>(o.max_length);
  std::vector<WeightedIds> batches(1);
  if (o.has_start) push(batches.back(), o.start_id);
  for (const WeightedIds& word : words) {
    const bool is_large = word.ids.size() >= static_cast<size_t>(o.max_word_length);
    size_t next = 0;  // t_group = word[next:]
    while (next < word.ids.size()) {
      WeightedIds& batch = batches.back();
      const size_t left = word.ids.size() - next;
      if (left + batch.ids.size() > max_length - 1) {
        const size_t remaining = max_length - batch.ids.size() - 1;
        if (is_large) {  // split the word: what fits, then the end token
          for (size_t k = 0; k < remaining; ++k) push(batch, word.ids[next + k], word.weights[next + k]);
          next += remaining;
          push(batch, o.end_id);
        } else {  // close the chunk; the word starts the next one
          push(batch, o.end_id);
          if (o.pad_to_max_length)
            for (size_t k = 0; k < remaining; ++k) push(batch, o.pad_id);
        }
        batches.emplace_back();
        if (o.has_start) push(batches.back(), o.start_id);
      } else {
        for (size_t k = next; k < word.ids.size(); ++k) push(batch, word.ids[k], word.weights[k]);
        next = word.ids.size();
      }
    }
  }
  WeightedIds& last = batches.back();
  push(last, o.end_id);
  if (o.pad_to_max_length)
    while (last.ids.size() < max_length) push(last, o.pad_id);
  while (last.ids.size() < static_cast<size_t>(o.min_length)) push(last, o.pad_id);
  return batches;
}

Sd3PromptTokens sd3_reference_tokenize(std::string_view prompt, const ClipTokenizer& clip, const T5Tokenizer* t5) {
  Sd3PromptTokens out;
  const auto clip_words = tokenize_words(parse_prompt_weights(prompt), [&](const std::string& w) { return clip.tokenize(w); });
  ChunkOptions o;
  o.start_id = clip.bos_id();
  o.end_id = clip.eos_id();
  o.pad_id = clip.pad_id(ClipPadding::EndToken);
  out.clip_l = chunk_words(clip_words, o);
  o.pad_id = clip.pad_id(ClipPadding::Zero);
  out.clip_g = chunk_words(clip_words, o);
  if (t5) {
    const std::u32string text = utf8_decode(prompt);
    const std::string head = utf8_encode(std::u32string_view(text).substr(0, std::min(text.size(), kSd3T5MaxChars)));
    const auto t5_words = tokenize_words(parse_prompt_weights(head), [&](const std::string& w) { return t5->tokenize(w); });
    ChunkOptions t;
    t.max_length = 99999999;
    t.has_start = false;
    t.end_id = t5->eos_id();
    t.pad_id = 0;  // pad_with_end=False
    t.pad_to_max_length = false;
    t.min_length = 77;
    out.t5 = chunk_words(t5_words, t).front();
  }
  return out;
}

}  // namespace ad::text
