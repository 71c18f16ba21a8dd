// myelin: a Matrix homeserver. `myelin help` lists the subcommands.
#include <cstdio>
#include <string>

#include "app/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: myelin <command> [options]\n"
    "  serve --config FILE                 run the server (writes a default config if FILE is missing)\n"
    "  generate-config [--server-name NAME] [--data-dir DIR] [--output FILE] [--markdown]\n"
    "  user create --config FILE --user LOCALPART --password PW [--admin]\n"
    "  registration-token create --config FILE [--uses-allowed N] [--expiry-days D]\n"
    "  registration-token list --config FILE\n"
    "  registration-token delete --config FILE --token TOKEN\n"
    "  reports list --config FILE            content reported by users, oldest first (JSON lines)\n"
    "  media purge --before DATE --config FILE   delete uploads made before DATE (YYYY-MM-DD, UTC)\n"
    "  media delete MXC_URI --config FILE        delete one upload\n"
    "  signing-key rotate --config FILE          a new signing key (the old one stays published as old)\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  myelin::app::Args args(argv + 2, argv + argc);
  if (command == "serve") return myelin::app::serve(args);
  if (command == "generate-config") return myelin::app::generate_config(args);
  if (command == "user") return myelin::app::user_command(args);
  if (command == "registration-token") return myelin::app::registration_token_command(args);
  if (command == "reports") return myelin::app::reports_command(args);
  if (command == "media") return myelin::app::media_command(args);
  if (command == "signing-key") return myelin::app::signing_key_command(args);
  std::fputs(kUsage, command == "help" || command == "--help" ? stdout : stderr);
  return command == "help" || command == "--help" ? 0 : 2;
}
