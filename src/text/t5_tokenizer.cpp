#include "text/t5_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>

#include "core/error.h"
#include "text/text_file.h"
#include "text/unicode.h"

namespace ad::text {

namespace {
// Invalid UTF-8 cannot reach the Python reference: decode it as errors="replace" would.
std::string valid_utf8(std::string_view text) { return utf8_valid(text) ? std::string(text) : utf8_encode(utf8_decode(text)); }
}  // namespace

T5Tokenizer T5Tokenizer::load(const std::string& spiece_path) {
  const std::string bytes = read_text_file(spiece_path, "the T5 SentencePiece model (spiece.model)");
  AD_CHECK(!bytes.empty(), "{}: empty file, not a SentencePiece model", spiece_path);
  auto sp = std::make_shared<sentencepiece::SentencePieceProcessor>();
  const auto status = sp->LoadFromSerializedProto(bytes);
  AD_CHECK(status.ok(), "{}: not a valid SentencePiece model ({})", spiece_path, status.ToString());
  T5Tokenizer t;
  t.path_ = spiece_path;
  t.eos_id_ = sp->eos_id();
  t.pad_id_ = sp->pad_id();
  t.unk_id_ = sp->unk_id();
  AD_CHECK(t.eos_id_ >= 0 && t.pad_id_ >= 0, "{}: the model defines no </s> (id {}) or <pad> (id {}) piece: not a T5 "
           "tokenizer", spiece_path, t.eos_id_, t.pad_id_);
  t.sp_ = std::move(sp);
  return t;
}

int T5Tokenizer::vocab_size() const { return sp_->GetPieceSize(); }

// The vocabulary's piece for each id: an unknown span reads `<unk>`, not its surface text.
std::vector<std::string> T5Tokenizer::pieces(std::string_view prompt) const {
  std::vector<std::string> out;
  for (int32_t id : tokenize(prompt)) out.push_back(sp_->IdToPiece(id));
  return out;
}

std::vector<int32_t> T5Tokenizer::tokenize(std::string_view prompt) const {
  std::vector<int> ids;
  const auto status = sp_->Encode(valid_utf8(prompt), &ids);
  AD_CHECK(status.ok(), "{}: cannot encode the prompt ({})", path_, status.ToString());
  return {ids.begin(), ids.end()};
}

std::vector<int32_t> T5Tokenizer::frame_fixed(const std::vector<int32_t>& content, int length) const {
  AD_CHECK(length >= 1, "T5 tokenizer: a sequence length of {} leaves no room for </s>", length);
  const size_t kept = std::min(content.size(), static_cast<size_t>(length - 1));
  std::vector<int32_t> ids(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(kept));
  ids.push_back(eos_id_);
  ids.resize(static_cast<size_t>(length), pad_id_);
  return ids;
}

std::vector<int32_t> T5Tokenizer::frame_min(const std::vector<int32_t>& content, int min_length) const {
  std::vector<int32_t> ids = content;
  ids.push_back(eos_id_);
  if (ids.size() < static_cast<size_t>(std::max(min_length, 0))) ids.resize(static_cast<size_t>(min_length), pad_id_);
  return ids;
}

std::vector<int32_t> T5Tokenizer::encode_fixed(std::string_view prompt, int length) const {
  return frame_fixed(tokenize(prompt), length);
}

std::vector<int32_t> T5Tokenizer::encode_min(std::string_view prompt, int min_length) const {
  return frame_min(tokenize(prompt), min_length);
}

}  // namespace ad::text
