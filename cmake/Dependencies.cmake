# Every dependency is a Debian bookworm package (see docs/dependencies.md for why each one).
find_package(PkgConfig REQUIRED)
find_package(OpenMP REQUIRED)
find_package(dnnl REQUIRED)            # libdnnl-dev: GEMM, convolution (measured in docs/dependencies.md)
find_package(fmt REQUIRED)             # libfmt-dev
find_package(nlohmann_json REQUIRED)   # nlohmann-json3-dev
find_package(CLI11 REQUIRED)           # libcli11-dev
find_package(ZLIB REQUIRED)            # zlib1g-dev: deflated entries in .ckpt zip archives, PNG frames
find_package(Threads REQUIRED)
# libavcodec-dev libavformat-dev libavutil-dev libswscale-dev: the video writers (src/video,
# docs/video.md); the encoders libx264, libvpx-vp9, libwebp_anim are looked up at run time.
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)  # libsentencepiece-dev: T5 tokenizer
if(AD_BUILD_TESTS)
  find_package(GTest REQUIRED)         # libgtest-dev
endif()
if(AD_BUILD_BENCH)
  find_package(benchmark REQUIRED)     # libbenchmark-dev
endif()
