package dev.goblet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GitRequest;
import dev.goblet.GobletException;
import dev.goblet.ServerConfig;
import dev.goblet.UpstreamAuthorization;
import dev.goblet.testing.MemoryExchange;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleSettingsTest {
  private final Map<String, String> values = new HashMap<>();
  private final Map<String, String> environment = new HashMap<>();
  private final ExampleSettings settings = ExampleSettings.of(values::get, environment::get);
  @TempDir Path tmp;

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
    values.put("goblet.lsRefsCacheMaxBytes", "268435456");
    Path tokenFile = Files.writeString(tmp.resolve("token"), "f1le-t0ken\n");
    values.put("goblet.upstreamTokens",
        "http://127.0.0.1:9000=env:LOCAL_TOKEN, https://git.example.com/=file:" + tokenFile);
    environment.put("LOCAL_TOKEN", "t0ken");

    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.cacheRoot()).isEqualTo(Path.of("/srv/goblet"));
    assertThat(config.lsRefsCacheMaxBytes()).isEqualTo(256L << 20);
    assertThat(config.urlCanonicalizer().canonicalize("/127.0.0.1:9000/team/project.git"))
        .isEqualTo(URI.create("http://127.0.0.1:9000/team/project"));
    assertThatThrownBy(() -> config.urlCanonicalizer().canonicalize("/github.com/owner/repo"))
        .isInstanceOf(GobletException.class);
    assertThat(config.offlineMode()).isFalse();
    assertThat(config.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.upstreamCredentials().authorization(URI.create("http://127.0.0.1:9000/t/p")))
        .isEqualTo(Optional.of("Bearer t0ken"));
    assertThat(config.upstreamCredentials().authorization(URI.create("https://git.example.com/t/p")))
        .isEqualTo(Optional.of("Bearer f1le-t0ken"));
    assertThat(config.upstreamCredentials().authorization(URI.create("https://github.com/t/p")))
        .isEmpty();
    assertThat(config.upstreamAuthorization()).isEmpty();
  }

  @Test
  void eachUpstreamGetsOnlyItsOwnToken() throws Exception {
    values.put("goblet.upstreams", "https://github.com,https://gitlab.example.com");
    values.put("goblet.upstreamTokens",
        "https://github.com=env:GITHUB_TOKEN,https://gitlab.example.com=env:GITLAB_TOKEN");
    environment.put("GITHUB_TOKEN", "gh-secret");
    environment.put("GITLAB_TOKEN", "gl-secret");

    ServerConfig config = settings.toConfigBuilder().build();

    assertThat(config.upstreamCredentials().authorization(URI.create("https://github.com/o/r")))
        .hasValue("Bearer gh-secret");
    assertThat(config.upstreamCredentials()
        .authorization(URI.create("https://gitlab.example.com/g/p"))).hasValue("Bearer gl-secret");
  }

  @Test
  void tokenSettingsAreRefusedClearlyAndWithoutTheirValues() {
    values.put("goblet.upstreamToken", "old-s3cret");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("goblet.upstreamToken (one token for every upstream) was removed")
        .hasMessageContaining("goblet.upstreamTokens")
        .hasMessageNotContaining("old-s3cret");

    values.clear();
    values.put("goblet.upstreamTokens", "https://example.org=env:X");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("https://example.org, which is not one of goblet.upstreams");

    values.put("goblet.upstreamTokens", "https://github.com=raw-s3cret");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("must be env:<VARIABLE> or file:<path>")
        .hasMessageNotContaining("raw-s3cret");

    values.put("goblet.upstreamTokens", "https://github.com=env:UNSET_VARIABLE");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("UNSET_VARIABLE, which is not set");

    values.clear();
    values.put("goblet.adminToken", "file:" + tmp.resolve("missing"));
    assertThatThrownBy(settings::toConfigBuilder).hasMessageContaining("cannot be read");
  }

  @Test
  void theAdminApiIsClosedUnlessAnAdminTokenIsSet() throws Exception {
    GitRequest withToken = request("Bearer adm1n");
    assertThatThrownBy(() -> settings.toConfigBuilder().build().adminAuthorizer()
        .authorize(withToken)).isInstanceOf(GobletException.class)
        .hasMessageContaining("the admin API is closed");

    values.put("goblet.adminToken", "env:ADMIN_TOKEN");
    environment.put("ADMIN_TOKEN", "adm1n");
    ServerConfig config = settings.toConfigBuilder().build();
    config.adminAuthorizer().authorize(withToken);
    assertThatThrownBy(() -> config.adminAuthorizer().authorize(request("Bearer other")))
        .isInstanceOf(GobletException.class);
  }

  @Test
  void clientAuthTurnsOnPerUserAuthorizationByTheUpstream() {
    values.put("goblet.clientAuth", "upstream");
    values.put("goblet.clientAuthTtl", "PT2M");
    values.put("goblet.clientAuthGrace", "PT1H");

    UpstreamAuthorization auth = settings.toConfigBuilder().build().upstreamAuthorization()
        .orElseThrow();

    assertThat(auth.ttl()).isEqualTo(Duration.ofMinutes(2));
    assertThat(auth.grace()).isEqualTo(Duration.ofHours(1));

    values.put("goblet.clientAuth", "ldap");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("'clientAuth' must be upstream or none, not 'ldap'");
    values.put("goblet.clientAuth", "none");
    assertThatThrownBy(settings::toConfigBuilder)
        .hasMessageContaining("'clientAuthTtl' is set but 'clientAuth' is not 'upstream'");
  }

  private static GitRequest request(String authorization) {
    return new MemoryExchange("GET", "/repositories", "", new byte[0])
        .header("Authorization", authorization)
        .request();
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
    values.put("goblet.upstreamTokens", "https://github.com=env:GITHUB_TOKEN");
    environment.put("GITHUB_TOKEN", "t0ken");

    assertThat(settings.describe())
        .contains("goblet.cacheRoot=/srv/goblet", "goblet.upstreams=" + ExampleSettings.DEFAULT_UPSTREAMS,
            "goblet.upstreamTokens=https://github.com=env:GITHUB_TOKEN", "goblet.adminToken=(none)")
        .doesNotContain("t0ken");
  }
}
