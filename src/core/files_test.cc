#include "core/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace myelin::core {
namespace {

TEST(FilesTest, SyncsFilesAndFoldersAndSaysWhenItCannot) {
  const auto dir = std::filesystem::temp_directory_path() / ("myelin-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "f").string();
  std::ofstream(file) << "data";
  EXPECT_TRUE(sync_path(file));
  EXPECT_TRUE(sync_path(dir.string()));
  EXPECT_FALSE(sync_path((dir / "missing").string()));
  std::filesystem::remove_all(dir);
}

TEST(FilesTest, TheFolderOfAPath) {
  EXPECT_EQ(folder_of("/data/myelin.db"), "/data");
  EXPECT_EQ(folder_of("data/signing.key"), "data");
  EXPECT_EQ(folder_of("myelin.db"), ".");
}

}  // namespace
}  // namespace myelin::core
