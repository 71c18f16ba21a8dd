// Push rules (client-server-api "Push Rules: API"):
// GET /pushrules/, GET /pushrules/global/, GET|PUT|DELETE /pushrules/global/{kind}/{ruleId},
// GET|PUT /pushrules/global/{kind}/{ruleId}/enabled, GET|PUT .../actions.
// Any other path under /pushrules is 400: M_UNKNOWN for a scope other than global,
// M_UNRECOGNIZED for a missing or extra piece (no trailing slash, no kind, an empty rule ID, an
// unknown attribute).
// Every change is saved as the user's m.push_rules account data and wakes their syncs
// (homeserver/push/push_rule_service.h).
#include "api/handlers.h"

namespace myelin::api {
namespace {

// The attribute a .../enabled or .../actions route names (the last segment of the path).
std::string attribute_of(const Call& call) { return call.request.path.substr(call.request.path.rfind('/') + 1); }

}  // namespace

void push_rules_malformed(Call& call) {
  const std::string rest = call.request.params.empty() ? std::string() : call.param(0);
  const std::string scope = rest.substr(0, rest.find('/'));
  if (!scope.empty() && scope != "global") return call.fail(core::make_error(core::Errc::kUnknown, "Unknown scope"));
  call.fail(core::make_error(core::Errc::kUnrecognized, "Malformed push rule path", 400));
}

void get_push_rules(Call& call) { call.reply(call.hs.push_rules.ruleset(call.user().user_id)); }

void get_push_rules_global(Call& call) { call.reply(call.hs.push_rules.global(call.user().user_id)); }

void get_push_rules_of_kind(Call& call) { call.answer(call.hs.push_rules.of_kind(call.user().user_id, call.param(0))); }

void get_push_rule(Call& call) {
  call.answer(call.hs.push_rules.rule(call.user().user_id, call.param(0), call.param(1)));
}

void put_push_rule(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(call.hs.push_rules.put(call.user().user_id, call.param(0), call.param(1), *body,
                                     call.request.query_param("before"), call.request.query_param("after")));
}

void delete_push_rule(Call& call) {
  call.answer(call.hs.push_rules.remove(call.user().user_id, call.param(0), call.param(1)));
}

void get_push_rule_attribute(Call& call) {
  call.answer(call.hs.push_rules.attribute(call.user().user_id, call.param(0), call.param(1), attribute_of(call)));
}

void put_push_rule_attribute(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  call.answer(
      call.hs.push_rules.set_attribute(call.user().user_id, call.param(0), call.param(1), attribute_of(call), *body));
}

}  // namespace myelin::api
