#pragma once
// Durability of files: what a power loss leaves of them is what was fsynced.
#include <string>
#include <string_view>

namespace myelin::core {

// fsyncs the file or folder at `path` (a folder: the names in it, so that a file created or
// renamed there survives a power loss); false when it cannot be opened or synced.
bool sync_path(const std::string& path);

// Replaces (or creates) the file at `path` with `content` so that a crash or power loss leaves
// either the old file or the whole new one: written to `path`.tmp with `mode`, fsynced, renamed
// over `path`, and the folder fsynced. False when any step fails (the old file is then intact).
bool write_file_durably(const std::string& path, std::string_view content, unsigned mode);

// The folder that names `path` ("." for a bare name).
std::string folder_of(const std::string& path);

}  // namespace myelin::core
