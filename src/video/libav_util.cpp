#include "video/libav_util.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "core/error.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace ad::video {
namespace {

thread_local std::string last_log_error;

void log_hook(void* avcl, int level, const char* format, va_list args) {
  if (level <= AV_LOG_ERROR) {
    char line[1024];
    int print_prefix = 1;
    va_list copy;
    va_copy(copy, args);
    av_log_format_line2(avcl, level, format, copy, line, sizeof(line), &print_prefix);
    va_end(copy);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    if (!text.empty()) last_log_error = text;
  }
  av_log_default_callback(avcl, level, format, args);
}

}  // namespace

void AvDictionary::set(const std::string& key, const std::string& value) {
  if (av_dict_set(&dict_, key.c_str(), value.c_str(), 0) < 0) fail("av_dict_set: out of memory");
}

std::string AvDictionary::leftover_keys() const {
  std::string keys;
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(dict_, "", entry, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    keys += (keys.empty() ? "" : ", ") + std::string(entry->key);
  }
  return keys;
}

AvFramePtr make_frame() {
  AvFramePtr frame(av_frame_alloc());
  AD_CHECK(frame != nullptr, "av_frame_alloc: out of memory");
  return frame;
}

AvPacketPtr make_packet() {
  AvPacketPtr packet(av_packet_alloc());
  AD_CHECK(packet != nullptr, "av_packet_alloc: out of memory");
  return packet;
}

void install_av_log_hook() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(log_hook);
  });
}

std::string av_error_text(int ret) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(ret, text, sizeof(text));
  return text;
}

void av_fail(int ret, std::string_view what, const std::string& path) {
  std::string detail;
  if (!last_log_error.empty()) detail = " (ffmpeg: " + last_log_error + ")";
  last_log_error.clear();
  fail("video '{}': {} failed: {}{}", path, what, av_error_text(ret), detail);
}

int av_check(int ret, std::string_view what, const std::string& path) {
  if (ret < 0) av_fail(ret, what, path);
  last_log_error.clear();  // a logged error the call recovered from is not the cause of a later one
  return ret;
}

}  // namespace ad::video
