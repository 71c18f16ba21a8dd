#pragma once
// Durability of files: what a power loss leaves of them is what was fsynced.
#include <string>

namespace myelin::core {

// fsyncs the file or folder at `path` (a folder: the names in it, so that a file created or
// renamed there survives a power loss); false when it cannot be opened or synced.
bool sync_path(const std::string& path);

// The folder that names `path` ("." for a bare name).
std::string folder_of(const std::string& path);

}  // namespace myelin::core
