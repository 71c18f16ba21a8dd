#include <gtest/gtest.h>

#include "http/http.h"

namespace myelin::http {
namespace {

struct Captured {
  std::string route;
  std::vector<std::string> params;
  int status = 0;
};

Captured run(const Router& router, std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  Captured captured;
  router.dispatch(request, Responder(
                               [&](Response response) {
                                 captured.status = response.status;
                                 captured.route = response.body;
                               },
                               Response{}));
  captured.params = request.params;
  return captured;
}

Router make_router() {
  Router router;
  auto named = [](std::string name) {
    return [name](Request&, Responder respond) { respond(Response{200, "text/plain", name, {}, {}}); };
  };
  router.add("GET", "/a/{x}/c", named("one"));
  router.add("PUT", "/a/{x}/c", named("put"));
  router.add("GET", "/state/{type}/{key...}", named("rest"));
  router.add("GET", "/state/{type}", named("nokey"));
  router.set_fallbacks(
      [](Request&, Responder r) {
        r(Response{404, "", "nf", {}, {}});
      },
      [](Request&, Responder r) {
        r(Response{405, "", "wm", {}, {}});
      });
  return router;
}

TEST(RouterTest, MatchesAndDecodesParams) {
  auto router = make_router();
  auto hit = run(router, "GET", "/a/%21room%3Aexample.org/c");
  EXPECT_EQ(hit.route, "one");
  ASSERT_EQ(hit.params.size(), 1u);
  EXPECT_EQ(hit.params[0], "!room:example.org");
  EXPECT_EQ(run(router, "PUT", "/a/x/c").route, "put");
}

TEST(RouterTest, RestParameterTakesSlashes) {
  auto router = make_router();
  auto hit = run(router, "GET", "/state/m.room.member/a/b%2Fc");
  EXPECT_EQ(hit.route, "rest");
  ASSERT_EQ(hit.params.size(), 2u);
  EXPECT_EQ(hit.params[1], "a/b/c");
  EXPECT_EQ(run(router, "GET", "/state/m.room.name").route, "nokey");
  auto trailing = run(router, "GET", "/state/m.room.name/");
  EXPECT_EQ(trailing.route, "rest");
  EXPECT_EQ(trailing.params.at(1), "");
}

TEST(RouterTest, UnknownPathAndWrongMethod) {
  auto router = make_router();
  EXPECT_EQ(run(router, "GET", "/nope").status, 404);
  EXPECT_EQ(run(router, "GET", "/a/x").status, 404);
  EXPECT_EQ(run(router, "GET", "/a//c").status, 404);
  EXPECT_EQ(run(router, "DELETE", "/a/x/c").status, 405);
  EXPECT_EQ(run(router, "GET", "/a/%zz/c").status, 404);
}

TEST(RequestTest, QueryParamsAndHeaders) {
  Request request;
  request.query = "a=1&b=x%20y&a=2&flag&c=%2B1+2";
  request.headers = {{"Content-Type", "application/json"}};
  EXPECT_EQ(request.query_param("a"), "1");
  EXPECT_EQ(request.query_param("b"), "x y");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("c"), "+1 2");
  EXPECT_FALSE(request.query_param("d"));
  EXPECT_EQ(request.query_params("a").size(), 2u);
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.header("missing"), "");
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_EQ(percent_decode("%41%62"), "Ab");
  EXPECT_EQ(percent_encode("#room:ex.org/a b~_-"), "%23room%3Aex.org%2Fa%20b~_-");
  EXPECT_EQ(percent_decode(percent_encode("!r\xff@")), "!r\xff@");
}

TEST(RequestTest, LoggableTargetHidesSecretQueryValues) {
  Request request;
  request.path = "/_matrix/client/v3/sync";
  request.query = "since=s1&access_token=syt_secret&access%5Ftoken=x&flag&timeout=30000";
  EXPECT_EQ(loggable_target(request, {"access_token"}),
            "/_matrix/client/v3/sync?since=s1&access_token=<redacted>&access%5Ftoken=<redacted>&flag&timeout=30000");
  request.query.clear();
  request.path = "/" + std::string(3000, 'a');
  EXPECT_EQ(loggable_target(request, {}).size(), 1024u + 3);
}

TEST(RequestTest, LoggableTargetHidesSecretPathParameters) {
  Router router;
  router.add("GET", "/media/download/{serverName}/{mediaId}/{fileName}", [](Request&, Responder) {});
  router.add("PUT", "/state/{type}/{key...}", [](Request&, Responder) {});
  Request request;
  request.path = "/media/download/example.org/abc/holiday%20photo.jpg";
  request.query = "filename=x&allow_redirect=true";
  const std::string_view pattern = router.pattern("HEAD", request.path);
  EXPECT_EQ(pattern, "/media/download/{serverName}/{mediaId}/{fileName}");
  EXPECT_EQ(loggable_target(request, {"fileName", "filename"}, pattern),
            "/media/download/example.org/abc/<redacted>?filename=<redacted>&allow_redirect=true");
  EXPECT_EQ(loggable_target(request, {"fileName"}), request.path + "?filename=x&allow_redirect=true");
  EXPECT_EQ(router.pattern("POST", request.path), "");
  request.query.clear();
  request.path = "/state/m.room.name/a/b/";
  EXPECT_EQ(loggable_target(request, {"key"}, router.pattern("PUT", request.path)), "/state/m.room.name/<redacted>");
  EXPECT_EQ(loggable_target(request, {"type"}, router.pattern("PUT", request.path)), "/state/<redacted>/a/b/");
}

TEST(ResponderTest, AnswersOnceAndFallsBackWhenDropped) {
  std::vector<int> sent;
  auto sink = [&](Response r) { sent.push_back(r.status); };
  {
    Responder respond(sink, Response{500, "", "", {}, {}});
    Responder copy = respond;
    copy(Response{200, "", "", {}, {}});
    respond(Response{201, "", "", {}, {}});  // dropped
  }
  EXPECT_EQ(sent, std::vector<int>{200});
  {
    Responder respond(sink, Response{500, "", "", {}, {}});
    Responder copy = respond;
  }  // the last copy goes unanswered
  EXPECT_EQ(sent, (std::vector<int>{200, 500}));
}

}  // namespace
}  // namespace myelin::http
