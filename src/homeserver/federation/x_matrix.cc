#include "homeserver/federation/x_matrix.h"

namespace myelin::homeserver {

json::object request_json(const SignedRequest& request) {
  json::object object{{"method", request.method},
                      {"uri", request.target},
                      {"origin", request.origin},
                      {"destination", request.destination}};
  if (request.content != nullptr) object["content"] = *request.content;
  return object;
}

std::string x_matrix_authorization(const SignedRequest& request, const core::SigningKey& key) {
  json::object object = request_json(request);
  core::sign_json(object, request.origin, key);
  const std::string_view signature =
      object["signatures"].as_object()[request.origin].as_object()[key.key_id()].as_string();
  std::string header = "X-Matrix origin=\"";
  header.append(request.origin).append("\",destination=\"").append(request.destination);
  header.append("\",key=\"").append(key.key_id()).append("\",sig=\"").append(signature).append("\"");
  return header;
}

}  // namespace myelin::homeserver
