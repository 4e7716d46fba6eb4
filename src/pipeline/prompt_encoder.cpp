#include "pipeline/prompt_encoder.h"

#include <filesystem>

#include "pipeline/data_files.h"

namespace ad::pipeline {

namespace {
namespace fs = std::filesystem;

bool has_vocabulary(const fs::path& dir) { return fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt"); }
}  // namespace

PromptEncoder::PromptEncoder(const std::string& tokenizer_dir) : tokenizer_(text::ClipTokenizer::load_folder(tokenizer_dir)) {}

std::string PromptEncoder::resolve_tokenizer(const std::string& given, const std::string& model_dir) {
  if (!given.empty()) {
    AD_CHECK(has_vocabulary(given), "{}: no vocab.json + merges.txt in this tokenizer folder", given);
    return given;
  }
  if (!model_dir.empty() && has_vocabulary(model_dir)) return model_dir;
  std::string bundled = find_bundled_data("tokenizers/clip", [](const std::string& dir) { return has_vocabulary(dir); });
  if (!bundled.empty()) return bundled;
  fail("no CLIP tokenizer found: pass --tokenizer DIR (a folder with vocab.json and merges.txt, e.g. an SD1.5 "
       "diffusers model's tokenizer/)");
}

Tensor PromptEncoder::encode(const models::ClipTextModel& clip, const std::string& prompt,
                             std::vector<std::string>& warnings) const {
  const text::ClipEncoding encoding = tokenizer_.encode(prompt, text::ClipPadding::EndToken);
  if (encoding.truncated())
    warnings.push_back(fmt::format("the prompt has {} tokens; CLIP reads the first {}: \"{}\" was dropped",
                                   encoding.content.size(), encoding.kept,
                                   tokenizer_.decode(std::vector<int32_t>(encoding.content.begin() + static_cast<std::ptrdiff_t>(encoding.kept),
                                                                          encoding.content.end()))));
  Tensor ids = Tensor::empty(Shape{1, static_cast<int64_t>(encoding.ids.size())}, DType::I64);
  for (size_t i = 0; i < encoding.ids.size(); ++i) {
    AD_CHECK(encoding.ids[i] < clip.config().vocab_size, "token id {} is outside the text encoder's {} tokens (a "
             "tokenizer for another model?)", encoding.ids[i], clip.config().vocab_size);
    ids.data<int64_t>()[i] = encoding.ids[i];
  }
  return clip.forward(ids).last_hidden;
}

}  // namespace ad::pipeline
