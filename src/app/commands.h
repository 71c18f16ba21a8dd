#pragma once
// The `myelin` subcommands. Each takes the arguments after its name and returns the process
// exit code; errors are printed to stderr.
#include <string>
#include <vector>

namespace myelin::app {

using Args = std::vector<std::string>;

int serve(const Args& args);
int generate_config(const Args& args);
int user_command(const Args& args);                // user create
int registration_token_command(const Args& args);  // registration-token create|list|delete
int reports_command(const Args& args);             // reports list
int media_command(const Args& args);               // media purge|delete
int signing_key_command(const Args& args);         // signing-key rotate

// --name value lookups over Args; flag() is true when --name is present.
std::string arg_value(const Args& args, const std::string& name, const std::string& fallback = "");
bool flag(const Args& args, const std::string& name);

}  // namespace myelin::app
