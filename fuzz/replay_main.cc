// A main() for the fuzz targets in builds without libFuzzer: runs
// LLVMFuzzerTestOneInput once on each file named on the command line, or on
// each file of each directory named (sorted, not recursive). A crash is the
// test failure, as under libFuzzer; exit status 1 when an argument cannot be
// read, or when a directory holds no input at all.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, so ASan catches a read one past it.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int status = 0;
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(arg, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        std::fprintf(stderr, "replay: no inputs in %s\n", arg.c_str());
        status = 1;
      }
      for (const auto& f : files) {
        if (!RunFile(f)) status = 1;
        ++runs;
      }
    } else if (!RunFile(arg)) {
      status = 1;
    } else {
      ++runs;
    }
  }
  std::printf("replay: %zu inputs\n", runs);
  return status;
}
