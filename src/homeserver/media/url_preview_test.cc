#include "homeserver/media/url_preview.h"

#include <gtest/gtest.h>

namespace myelin::homeserver {
namespace {

TEST(UrlPreviewTest, OpenGraphPropertiesWithoutImages) {
  auto preview = open_graph(R"(<html><head><title>Fallback</title>
    <META property="og:title" content="Caf&eacute; &amp; Bar">
    <meta name='og:description' content='A &quot;nice&quot; place'/>
    <meta property="og:image" content="http://tracker.example/pixel.png">
    <meta property="og:title" content="second title is ignored">
    <meta property="og:type" content=website>)");
  EXPECT_EQ(preview.at("og:title").as_string(), "Caf&eacute; & Bar");
  EXPECT_EQ(preview.at("og:description").as_string(), "A \"nice\" place");
  EXPECT_EQ(preview.at("og:type").as_string(), "website");
  EXPECT_FALSE(preview.contains("og:image"));
}

TEST(UrlPreviewTest, TitleStandsInAndGarbageIsHarmless) {
  EXPECT_EQ(open_graph("<title>\n  Just a title \n</title>").at("og:title").as_string(), "Just a title");
  EXPECT_TRUE(open_graph("<meta property=\"og:title\" content=\"unterminated").empty());
  EXPECT_TRUE(open_graph("<meta <meta <title>").empty());
  EXPECT_TRUE(open_graph("").empty());
}

TEST(UrlPreviewTest, AHostilePageMakesASmallPreview) {
  std::string page;
  for (int i = 0; i < 1000; ++i)
    page += "<meta property=\"og:p" + std::to_string(i) + "\" content=\"" + std::string(5000, 'x') + "\">";
  page += "<meta property=\"og:" + std::string(100, 'n') + "\" content=\"long name\">";
  auto preview = open_graph(page);
  EXPECT_EQ(preview.size(), 32u);
  for (const auto& property : preview) {
    EXPECT_LE(property.key().size(), 64u);
    EXPECT_LE(property.value().as_string().size(), 1000u);
  }
  EXPECT_EQ(open_graph("<meta property=\"og:" + std::string(100, 'n') + "\" content=\"x\">").size(), 0u);
}

}  // namespace
}  // namespace myelin::homeserver
