// T5's SentencePiece tokenizer (SD3.5's tokenizer_3/spiece.model: the 32,000-piece unigram model
// of every T5 / T5 v1.1 / FLAN-T5 checkpoint), through libsentencepiece: the model's own
// normalizer (nmt_nfkc character map, dummy prefix, white-space folding), Viterbi segmentation,
// then `</s>` appended and padding with `<pad>`. Case is kept.
//
// Two framings: transformers' tokenizer(prompt, padding="max_length", max_length=N,
// truncation=True) (content[:N-1] + </s>, padded to N: diffusers' SD3 pipeline, N = 256), and the
// official SD3.5 code's (content + </s>, padded up to at least 77, never truncated).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace ad::text {

class T5Tokenizer {
 public:
  // Throws ad::Error naming the file and the cause when it is missing or not a SentencePiece model.
  static T5Tokenizer load(const std::string& spiece_path);

  // SentencePiece pieces of the whole prompt (e.g. "▁photo"), no </s>.
  std::vector<std::string> pieces(std::string_view prompt) const;
  // Their ids (sp.encode(prompt)): no </s>, not truncated.
  std::vector<int32_t> tokenize(std::string_view prompt) const;
  // content[:length-1] + </s>, padded to exactly `length`.
  std::vector<int32_t> encode_fixed(std::string_view prompt, int length) const;
  // content + </s>, padded up to `min_length`; longer results stay longer.
  std::vector<int32_t> encode_min(std::string_view prompt, int min_length) const;
  std::vector<int32_t> frame_fixed(const std::vector<int32_t>& content, int length) const;
  std::vector<int32_t> frame_min(const std::vector<int32_t>& content, int min_length) const;

  int32_t eos_id() const { return eos_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  int vocab_size() const;

 private:
  std::string path_;
  std::shared_ptr<const sentencepiece::SentencePieceProcessor> sp_;
  int32_t eos_id_ = 1, pad_id_ = 0, unk_id_ = 2;
};

}  // namespace ad::text
