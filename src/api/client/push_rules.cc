// Push rules (client-server-api "Push Rules: API"):
// GET /pushrules/, GET /pushrules/global/, GET|PUT|DELETE /pushrules/global/{kind}/{ruleId},
// GET|PUT /pushrules/global/{kind}/{ruleId}/enabled, GET|PUT .../actions.
// Every change is saved as the user's m.push_rules account data and wakes their syncs
// (homeserver/push/push_rule_service.h).
#include "api/handlers.h"

namespace myelin::api {
namespace {

// Answers a read: its value, or its error.
template <class T>
void answer(Call& call, const core::Result<T>& result) {
  if (!result) return call.fail(result.error());
  call.reply(*result);
}

// Answers a change: {} or its error.
void answer(Call& call, const core::Status& status) {
  if (!status) return call.fail(status.error());
  call.reply(json::object{});
}

// The attribute a .../enabled or .../actions route names (the last segment of the path).
std::string attribute_of(const Call& call) { return call.request.path.substr(call.request.path.rfind('/') + 1); }

}  // namespace

void get_push_rules(Call& call) { call.reply(call.hs.push_rules.ruleset(call.user().user_id)); }

void get_push_rules_global(Call& call) { call.reply(call.hs.push_rules.global(call.user().user_id)); }

void get_push_rules_of_kind(Call& call) {
  answer(call, call.hs.push_rules.of_kind(call.user().user_id, call.param(0)));
}

void get_push_rule(Call& call) {
  answer(call, call.hs.push_rules.rule(call.user().user_id, call.param(0), call.param(1)));
}

void put_push_rule(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  answer(call, call.hs.push_rules.put(call.user().user_id, call.param(0), call.param(1), *body,
                                      call.request.query_param("before"), call.request.query_param("after")));
}

void delete_push_rule(Call& call) {
  answer(call, call.hs.push_rules.remove(call.user().user_id, call.param(0), call.param(1)));
}

void get_push_rule_attribute(Call& call) {
  answer(call, call.hs.push_rules.attribute(call.user().user_id, call.param(0), call.param(1), attribute_of(call)));
}

void put_push_rule_attribute(Call& call) {
  auto body = call.body();
  if (!body) return call.fail(body.error());
  answer(call, call.hs.push_rules.set_attribute(call.user().user_id, call.param(0), call.param(1), attribute_of(call),
                                                *body));
}

}  // namespace myelin::api
