// The Unicode operations the tokenizers need, with the semantics of the Python functions that the
// reference tokenizers call (tables generated from Python's unicodedata: unicode_tables.h):
// UTF-8 decoding, general-category classes, str.isspace(), str.lower(), NFC, Unicode decimals.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ad::text {

// Code points of UTF-8 text; an invalid or truncated sequence, an overlong form, a surrogate or a
// value past U+10FFFF becomes one U+FFFD per maximal invalid subpart (Python's
// bytes.decode("utf-8", "replace")).
std::u32string utf8_decode(std::string_view text);
// Whether `text` is well-formed UTF-8.
bool utf8_valid(std::string_view text);
std::string utf8_encode(std::u32string_view text);
void utf8_append(std::string& out, char32_t cp);

enum class CharClass : unsigned char {
  Other = 0,        // marks, punctuation, symbols
  Letter = 1,       // L*
  Number = 2,       // N*
  Control = 3,      // C*: Cc, Cf, Cs, Co, Cn (unassigned)
  SpaceSep = 4,     // Zs
  LineSep = 5,      // Zl, Zp
  LetterCase = 6,   // not a letter but a case variant of one (U+0345): matches no class of CLIP's
                    // case-insensitive pattern
};
CharClass char_class(char32_t cp);
// Python str.isspace() (also the `\s` of the `regex` module for every character that survives
// the CLIP cleanup).
bool is_space(char32_t cp);
// The value 0..9 of a Unicode decimal digit (category Nd), or -1.
int decimal_value(char32_t cp);
// One canonical combining class.
int combining_class(char32_t cp);

// Python str.lower(): full lower-case mapping (U+0130 -> "i\u0307") and the Final_Sigma rule.
std::u32string to_lower(std::u32string_view text);
// unicodedata.normalize("NFC", text).
std::u32string nfc(std::u32string_view text);

// Python float(text) for the text after a ':' in a weighted prompt: Unicode decimals and white
// space folded to ASCII, outer white space stripped, '_' allowed between digits, "inf",
// "infinity" and "nan" in any case. nullopt where Python raises ValueError.
std::optional<double> parse_python_float(std::u32string_view text);

// Version of the Unicode tables (that of the Python that generated them).
const char* unicode_version();

}  // namespace ad::text
