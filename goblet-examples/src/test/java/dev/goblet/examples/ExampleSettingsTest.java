package dev.goblet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExampleSettingsTest {
  private final Map<String, String> values = new HashMap<>();
  private final ExampleSettings settings = ExampleSettings.of(values::get);

  @Test
  void defaultsServeGitHubAndGitLabFromTheUsersCache() throws Exception {
    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.cacheRoot())
        .isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "goblet"));
    assertThat(config.urlCanonicalizer().canonicalize("/github.com/owner/repo.git"))
        .isEqualTo(URI.create("https://github.com/owner/repo"));
    assertThat(config.urlCanonicalizer().canonicalize("/gitlab.com/group/project"))
        .isEqualTo(URI.create("https://gitlab.com/group/project"));
    assertThatThrownBy(() -> config.urlCanonicalizer().canonicalize("/example.com/owner/repo"))
        .isInstanceOf(GobletException.class);
    assertThat(config.offlineMode()).isTrue();
    assertThat(config.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.lsRefsMaxStaleness()).isEmpty();
    assertThat(config.upstreamCredentials().authorization(URI.create("https://github.com/o/r")))
        .isEmpty();
  }

  @Test
  void readsTheContractsSettingsUnderTheirPrefixedNames() throws Exception {
    values.put("goblet.cacheRoot", "/srv/goblet");
    values.put("goblet.upstreams", "https://git.example.com,http://127.0.0.1:9000");
    values.put("goblet.offlineMode", "false");
    values.put("goblet.lsRefsCacheTtl", "PT1M");
    values.put("goblet.upstreamToken", "t0ken");

    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.cacheRoot()).isEqualTo(Path.of("/srv/goblet"));
    assertThat(config.urlCanonicalizer().canonicalize("/127.0.0.1:9000/team/project.git"))
        .isEqualTo(URI.create("http://127.0.0.1:9000/team/project"));
    assertThatThrownBy(() -> config.urlCanonicalizer().canonicalize("/github.com/owner/repo"))
        .isInstanceOf(GobletException.class);
    assertThat(config.offlineMode()).isFalse();
    assertThat(config.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.upstreamCredentials().authorization(URI.create("http://127.0.0.1:9000/t/p")))
        .isEqualTo(Optional.of("Bearer t0ken"));
  }

  @Test
  void blankValuesCountAsUnset() {
    values.put("goblet.cacheRoot", "  ");
    values.put("goblet.upstreamToken", "");

    assertThat(settings.get("cacheRoot")).isEqualTo(ExampleSettings.defaultCacheRoot().toString());
    assertThat(settings.get("upstreamToken")).isNull();
  }

  @Test
  void theFirstSourceWinsAndTheSecondFillsIn() {
    Map<String, String> systemProperties = Map.of("goblet.offlineMode", "false");
    Map<String, String> contextParameters =
        Map.of("goblet.offlineMode", "true", "goblet.lsRefsCacheTtl", "PT2M");
    ExampleSettings layered =
        ExampleSettings.of(ExampleSettings.firstSet(systemProperties::get, contextParameters::get));

    ServerConfig config = layered.toConfigBuilder().build();

    assertThat(config.offlineMode()).isFalse();
    assertThat(config.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void aBadValueIsRefusedNamingTheSetting() {
    values.put("goblet.lsRefsCacheTtl", "5m");
    assertThatThrownBy(settings::toConfigBuilder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("goblet.<name>")
        .hasMessageContaining("'lsRefsCacheTtl' must be an ISO-8601 duration such as PT5M, not '5m'");

    values.clear();
    values.put("goblet.upstreams", "ftp://example.com");
    assertThatThrownBy(settings::toConfigBuilder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ftp://example.com");
  }

  @Test
  void describeShowsTheSettingsButNotTheToken() {
    values.put("goblet.cacheRoot", "/srv/goblet");
    values.put("goblet.upstreamToken", "t0ken");

    assertThat(settings.describe())
        .contains("goblet.cacheRoot=/srv/goblet", "goblet.upstreams=" + ExampleSettings.DEFAULT_UPSTREAMS,
            "goblet.upstreamToken=(set)")
        .doesNotContain("t0ken");
  }
}
