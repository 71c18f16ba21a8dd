#include "homeserver/federation/x_matrix.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

TEST(XMatrix, HeaderCarriesASignatureOverTheRequestJson) {
  const auto key = core::SigningKey::generate("k1");
  const json::value body = json::object{{"pdus", json::array{}}};
  const SignedRequest request{"PUT", "/_matrix/federation/v1/send/1?x=y", "a.example", "b.example", &body};
  const std::string header = x_matrix_authorization(request, key);

  const std::string prefix = "X-Matrix origin=\"a.example\",destination=\"b.example\",key=\"ed25519:k1\",sig=\"";
  ASSERT_EQ(header.rfind(prefix, 0), 0u) << header;
  ASSERT_EQ(header.back(), '"');
  const std::string sig = header.substr(prefix.size(), header.size() - prefix.size() - 1);

  json::object signed_json = request_json(request);
  EXPECT_EQ(signed_json.at("uri").as_string(), "/_matrix/federation/v1/send/1?x=y");
  EXPECT_EQ(signed_json.at("content"), body);
  signed_json["signatures"] = json::object{{"a.example", json::object{{"ed25519:k1", sig}}}};
  EXPECT_TRUE(core::verify_json(signed_json, "a.example", "ed25519:k1", key.public_key_base64()));

  // Another body, or none, does not verify with that signature.
  signed_json.erase("content");
  EXPECT_FALSE(core::verify_json(signed_json, "a.example", "ed25519:k1", key.public_key_base64()));
}

}  // namespace
}  // namespace myelin::homeserver
