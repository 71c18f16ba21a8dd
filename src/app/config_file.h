#pragma once
// Reading and generating the YAML config file. Every option is one row of the table in
// config_file.cc (key, documentation, field), from which both the parser and the commented
// config that `generate-config` writes are derived; docs/config.md is generated from it too
// (`myelin generate-config --markdown`).
#include <string>

#include "app/config.h"
#include "core/error.h"

namespace myelin::app {

// Parses the file; relative data_dir is resolved against the file's folder. M_UNKNOWN with a
// message naming the key for malformed values or unknown keys.
core::Result<Config> load_config(const std::string& path);

// The commented YAML for a config with these values (all options, documented).
std::string render_config(const Config& config);

// The option table as a Markdown reference.
std::string render_config_markdown();

}  // namespace myelin::app
