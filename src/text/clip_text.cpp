// CLIPTokenizer's text steps before BPE: the BasicTokenizer cleanup, the case-insensitive
// pre-tokenization pattern, and the byte <-> symbol map (bytes_to_unicode).
// Reference: transformers src/transformers/models/clip/tokenization_clip.py and
// models/bert/tokenization_bert.py (BasicTokenizer), v4.40 and later.
#include <array>

#include "text/clip_tokenizer.h"
#include "text/unicode.h"

namespace ad::text {

namespace {

// BasicTokenizer._is_chinese_char: the CJK Unified Ideographs blocks (not kana, not Hangul).
bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// What the `regex` module's IGNORECASE matching equates with an ASCII letter of the literal
// alternatives (the special tokens, the contractions): its case pair, and U+017F for 's'.
char32_t fold_ascii(char32_t cp) {
  if (cp >= U'A' && cp <= U'Z') return cp + 32;
  if (cp == 0x17F) return U's';
  return cp;
}

bool starts_with_folded(std::u32string_view text, size_t at, std::u32string_view literal) {
  if (text.size() - at < literal.size()) return false;
  for (size_t k = 0; k < literal.size(); ++k)
    if (fold_ascii(text[at + k]) != literal[k]) return false;
  return true;
}

bool is_letter(char32_t cp) { return char_class(cp) == CharClass::Letter; }
bool is_number(char32_t cp) { return char_class(cp) == CharClass::Number; }
// A character that [^\s\p{L}\p{N}] matches under IGNORECASE.
bool is_other(char32_t cp) {
  if (is_space(cp)) return false;
  const CharClass c = char_class(cp);
  return c != CharClass::Letter && c != CharClass::Number && c != CharClass::LetterCase;
}

// bytes_to_unicode(): the printable Latin-1 bytes stand for themselves, the other 68 bytes map in
// increasing order to U+0100...U+0143.
struct ByteMap {
  std::array<char32_t, 256> to_symbol{};
  std::array<int, 0x144> to_byte{};
  ByteMap() {
    to_byte.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_symbol[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(0x100 + next++);
      to_byte[to_symbol[b]] = b;
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

}  // namespace

std::string clip_clean_text(std::string_view text) {
  // BasicTokenizer._clean_text and _tokenize_chinese_chars.
  std::u32string spaced;
  for (char32_t cp : utf8_decode(text)) {
    const CharClass c = char_class(cp);
    const bool keep_control = cp == U'\t' || cp == U'\n' || cp == U'\r';
    if (cp == 0 || cp == 0xFFFD || (c == CharClass::Control && !keep_control)) continue;
    if (cp == U' ' || keep_control || c == CharClass::SpaceSep) {
      spaced.push_back(U' ');
    } else if (is_cjk_ideograph(cp)) {
      spaced.push_back(U' ');
      spaced.push_back(cp);
      spaced.push_back(U' ');
    } else {
      spaced.push_back(cp);
    }
  }
  // NFC, whitespace_tokenize (str.split()), lower() per piece, " ".join.
  const std::u32string normalized = nfc(spaced);
  std::u32string out;
  size_t i = 0;
  while (i < normalized.size()) {
    while (i < normalized.size() && is_space(normalized[i])) ++i;
    size_t j = i;
    while (j < normalized.size() && !is_space(normalized[j])) ++j;
    if (j > i) {
      if (!out.empty()) out.push_back(U' ');
      out += to_lower(std::u32string_view(normalized).substr(i, j - i));
    }
    i = j;
  }
  return utf8_encode(out);
}

std::vector<std::string> clip_pre_tokenize(std::string_view cleaned) {
  static constexpr std::u32string_view kLiterals[] = {U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t", U"'re",
                                                      U"'ve",             U"'m",             U"'ll", U"'d"};
  const std::u32string text = utf8_decode(cleaned);
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t len = 0;
    for (std::u32string_view literal : kLiterals) {
      if (starts_with_folded(text, i, literal)) {
        len = literal.size();
        break;
      }
    }
    if (len == 0) {
      const char32_t cp = text[i];
      if (is_letter(cp)) {
        while (i + len < text.size() && is_letter(text[i + len])) ++len;
      } else if (is_number(cp)) {
        len = 1;
      } else if (is_other(cp)) {
        while (i + len < text.size() && is_other(text[i + len])) ++len;
      } else {
        ++i;  // white space (or U+0345): no alternative matches here
        continue;
      }
    }
    out.push_back(utf8_encode(std::u32string_view(text).substr(i, len)));
    i += len;
  }
  return out;
}

std::string clip_bytes_to_symbols(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char b : bytes) utf8_append(out, byte_map().to_symbol[static_cast<unsigned char>(b)]);
  return out;
}

std::optional<std::string> clip_symbols_to_bytes(std::string_view symbols) {
  std::string out;
  for (char32_t cp : utf8_decode(symbols)) {
    if (cp >= byte_map().to_byte.size() || byte_map().to_byte[cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(byte_map().to_byte[cp]));
  }
  return out;
}

}  // namespace ad::text
