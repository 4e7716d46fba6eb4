#include "text/unicode.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <cstdint>
#include <unordered_map>

#include "text/unicode_tables.h"

namespace ad::text {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// The entry of a table sorted by `first` whose [first, last] holds cp, or nullptr.
template <typename T>
const T* find_range(const T* table, size_t count, char32_t cp) {
  const T* end = table + count;
  const T* it = std::upper_bound(table, end, cp, [](char32_t c, const T& r) { return c < r.first; });
  if (it == table) return nullptr;
  --it;
  return cp <= it->last ? it : nullptr;
}

// Hangul syllables (Unicode chapter 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void decompose(char32_t cp, std::u32string& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const int s = static_cast<int>(cp - kSBase);
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto* end = tables::kDecompositions + tables::kDecompositionCount;
  const auto* it = std::lower_bound(tables::kDecompositions, end, cp,
                                    [](const tables::Decomposition& d, char32_t c) { return d.cp < c; });
  if (it == end || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  decompose(it->first, out);
  if (it->second != 0) decompose(it->second, out);
}

char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  static const std::unordered_map<uint64_t, char32_t> pairs = [] {
    std::unordered_map<uint64_t, char32_t> m;
    for (size_t i = 0; i < tables::kDecompositionCount; ++i) {
      const auto& d = tables::kDecompositions[i];
      if (d.composes) m.emplace((uint64_t{d.first} << 21) | d.second, d.cp);
    }
    return m;
  }();
  auto it = pairs.find((uint64_t{a} << 21) | b);
  return it == pairs.end() ? 0 : it->second;
}

enum Casing { kUncased = 0, kCased = 1, kCaseIgnorable = 2 };

int casing(char32_t cp) {
  const auto* r = find_range(tables::kCasingRanges, tables::kCasingRangeCount, cp);
  return r ? static_cast<int>(r->kind) : static_cast<int>(kUncased);
}

// CPython's handle_capital_sigma: \p{cased} \p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased}).
bool final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  int before = kUncased;
  while (j > 0) {
    before = casing(text[--j]);
    if (before != kCaseIgnorable) break;
  }
  if (before != kCased) return false;
  for (j = i + 1; j < text.size(); ++j) {
    const int after = casing(text[j]);
    if (after != kCaseIgnorable) return after != kCased;
  }
  return true;
}

char32_t simple_lower(char32_t cp) {
  const auto* r = find_range(tables::kLowerRuns, tables::kLowerRunCount, cp);
  if (!r || (cp - r->first) % r->stride != 0) return cp;
  return static_cast<char32_t>(static_cast<int64_t>(cp) + r->delta);
}

bool continuation(unsigned char b, unsigned char lo = 0x80, unsigned char hi = 0xBF) { return b >= lo && b <= hi; }

}  // namespace

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b0 = s[i];
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int need;
    unsigned char lo = 0x80, hi = 0xBF;  // valid range of the second byte
    char32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) need = 1, cp = b0 & 0x1F;
    else if (b0 >= 0xE0 && b0 <= 0xEF) need = 2, cp = b0 & 0x0F, lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    else if (b0 >= 0xF0 && b0 <= 0xF4) need = 3, cp = b0 & 0x07, lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    else {
      out.push_back(kReplacement);  // a stray continuation byte, C0, C1, F5..FF
      ++i;
      continue;
    }
    size_t k = 1;
    bool ok = true;
    for (; k <= static_cast<size_t>(need); ++k) {
      if (i + k >= n || !(k == 1 ? continuation(s[i + k], lo, hi) : continuation(s[i + k]))) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    out.push_back(ok ? cp : kReplacement);  // one U+FFFD per maximal invalid subpart
    i += k;  // the lead byte and the continuation bytes that were valid
  }
  return out;
}

bool utf8_valid(std::string_view text) {
  return utf8_encode(utf8_decode(text)) == text;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) utf8_append(out, cp);
  return out;
}

CharClass char_class(char32_t cp) {
  const auto* r = find_range(tables::kClassRanges, tables::kClassRangeCount, cp);
  return r ? static_cast<CharClass>(r->cls) : CharClass::Other;
}

bool is_space(char32_t cp) { return find_range(tables::kSpaceRanges, tables::kSpaceRangeCount, cp) != nullptr; }

int decimal_value(char32_t cp) {
  const uint32_t* end = tables::kDecimalZeros + tables::kDecimalZeroCount;
  const uint32_t* it = std::upper_bound(tables::kDecimalZeros, end, static_cast<uint32_t>(cp));
  if (it == tables::kDecimalZeros) return -1;
  const uint32_t zero = *(it - 1);
  return cp - zero < 10 ? static_cast<int>(cp - zero) : -1;
}

int combining_class(char32_t cp) {
  const auto* r = find_range(tables::kCombiningRanges, tables::kCombiningRangeCount, cp);
  return r ? r->ccc : 0;
}

std::u32string to_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t cp = text[i];
    if (cp == 0x3A3) {
      out.push_back(final_sigma(text, i) ? 0x3C2 : 0x3C3);
    } else if (cp == 0x130) {  // the one unconditional multi-character lower case (SpecialCasing.txt)
      out.push_back(U'i');
      out.push_back(0x307);
    } else {
      out.push_back(simple_lower(cp));
    }
  }
  return out;
}

std::u32string nfc(std::u32string_view text) {
  // Canonical decomposition, then canonical ordering of each run of non-starters.
  std::u32string d;
  d.reserve(text.size());
  for (char32_t cp : text) decompose(cp, d);
  for (size_t i = 0; i < d.size();) {
    if (combining_class(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && combining_class(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  // Canonical composition: a character joins the last starter unless blocked.
  std::u32string out;
  out.reserve(d.size());
  size_t starter = std::u32string::npos;
  int last_cc = 0;
  for (char32_t cp : d) {
    const int cc = combining_class(cp);
    if (starter != std::u32string::npos) {
      const bool adjacent = out.size() == starter + 1;
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        if (const char32_t c = compose(out[starter], cp)) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (cc == 0) starter = out.size();
    last_cc = cc;
    out.push_back(cp);
  }
  return out;
}

std::optional<double> parse_python_float(std::u32string_view text) {
  // _PyUnicode_TransformDecimalAndSpaceToASCII, then float_from_string_inner.
  std::string s;
  for (char32_t cp : text) {
    if (cp < 127) s.push_back(static_cast<char>(cp));
    else if (is_space(cp)) s.push_back(' ');
    else if (const int v = decimal_value(cp); v >= 0) s.push_back(static_cast<char>('0' + v));
    else return std::nullopt;
  }
  const auto ascii_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t b = 0, e = s.size();
  while (b < e && ascii_space(s[b])) ++b;
  while (e > b && ascii_space(s[e - 1])) --e;
  s = s.substr(b, e - b);
  // Underscores only between digits (_Py_string_to_number_with_underscores).
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '_') {
      t.push_back(s[i]);
      continue;
    }
    const bool digit_before = i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9';
    const bool digit_after = i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9';
    if (!digit_before || !digit_after) return std::nullopt;
  }
  // [sign] (digits [. [digits]] | . digits) [(e|E) [sign] digits], or [sign] inf|infinity|nan.
  size_t i = 0;
  bool negative = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) negative = t[i++] == '-';
  std::string body = t.substr(i);
  std::string lower = body;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  if (lower == "inf" || lower == "infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  if (lower == "nan") return negative ? -std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::quiet_NaN();
  const auto digits = [&](size_t& k) {
    const size_t start = k;
    while (k < body.size() && body[k] >= '0' && body[k] <= '9') ++k;
    return k - start;
  };
  size_t k = 0;
  size_t mantissa = digits(k);
  if (k < body.size() && body[k] == '.') {
    ++k;
    mantissa += digits(k);
  }
  if (mantissa == 0) return std::nullopt;
  if (k < body.size() && (body[k] == 'e' || body[k] == 'E')) {
    ++k;
    if (k < body.size() && (body[k] == '+' || body[k] == '-')) ++k;
    if (digits(k) == 0) return std::nullopt;
  }
  if (k != body.size()) return std::nullopt;
  double value = 0;
  const auto result = std::from_chars(body.data(), body.data() + body.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    // from_chars reports overflow / underflow; Python gives +-inf / +-0 (correctly rounded).
    value = std::strtod(body.c_str(), nullptr);
  } else if (result.ec != std::errc() || result.ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

const char* unicode_version() { return tables::kUnicodeVersion; }

}  // namespace ad::text
