package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.testing.MemoryExchange;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Per-upstream credentials, the admin authorizer's default and the per-user settings' checks. */
class TrustSettingsTest {
  private static UpstreamCredentials token(String token) {
    return UpstreamCredentials.bearer(() -> token);
  }

  @Test
  void eachRepositoryGetsTheCredentialsOfTheLongestBaseCoveringIt() throws Exception {
    UpstreamCredentials credentials =
        UpstreamCredentials.perUpstream(
            Map.of(
                URI.create("https://github.com"), token("gh"),
                URI.create("https://git.example.com/team-a/"), token("team-a"),
                URI.create("https://git.example.com"), token("example"),
                URI.create("http://127.0.0.1:9000"), token("local")));

    assertThat(credentials.authorization(URI.create("https://github.com/o/r"))).hasValue("Bearer gh");
    assertThat(credentials.authorization(URI.create("https://git.example.com/team-a/r")))
        .hasValue("Bearer team-a");
    assertThat(credentials.authorization(URI.create("https://git.example.com/team-ab/r")))
        .hasValue("Bearer example");
    assertThat(credentials.authorization(URI.create("http://127.0.0.1:9000/o/r")))
        .hasValue("Bearer local");
    // Another scheme, port or host gets nothing.
    for (String other :
        new String[] {"http://github.com/o/r", "http://127.0.0.1:9001/o/r",
            "https://github.com.evil.example/o/r", "https://gitlab.com/o/r"}) {
      assertThat(credentials.authorization(URI.create(other))).as(other).isEqualTo(Optional.empty());
    }
  }

  @Test
  void badBasesAreRefusedAtOnce() {
    assertThatThrownBy(() -> UpstreamCredentials.perUpstream(
            Map.of(URI.create("ftp://example.com"), token("x"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http or https");
    assertThatThrownBy(() -> UpstreamCredentials.perUpstream(
            Map.of(URI.create("https://user@example.com"), token("x"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no user info");
    assertThatThrownBy(() -> UpstreamCredentials.perUpstream(
            Map.of(URI.create("https://example.com"), token("x"),
                URI.create("https://EXAMPLE.com/"), token("y"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listed twice");
  }

  @Test
  void theAdminApiIsClosedByDefault() throws Exception {
    ServerConfig config =
        ServerConfig.builder().cacheRoot(Path.of("/tmp/x")).allowedUpstreams("https://github.com")
            .build();
    GitRequest request =
        new MemoryExchange("GET", "/repositories", "", new byte[0])
            .header("Authorization", "Bearer anything").request();

    assertThatThrownBy(() -> config.adminAuthorizer().authorize(request))
        .isInstanceOfSatisfying(GobletException.class,
            e -> assertThat(e.status()).isEqualTo(Status.FORBIDDEN))
        .hasMessageContaining("the admin API is closed");
    assertThat(config.upstreamAuthorization()).isEmpty();
    AdminAuthorizer.bearerToken("anything").authorize(request);
    assertThatThrownBy(() -> AdminAuthorizer.bearerToken("other").authorize(request))
        .isInstanceOfSatisfying(GobletException.class,
            e -> assertThat(e.status()).isEqualTo(Status.UNAUTHORIZED));
  }

  @Test
  void perUserSettingsAreCheckedAtOnce() {
    UpstreamAuthorization defaults = UpstreamAuthorization.defaults();
    assertThat(defaults.ttl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults.grace()).isEqualTo(Duration.ofHours(8));
    assertThat(defaults.denialTtl()).isEqualTo(Duration.ofSeconds(10));
    assertThat(UpstreamAuthorization.builder().grace(Duration.ZERO).build().grace()).isZero();
    assertThatThrownBy(() -> UpstreamAuthorization.builder().ttl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive");
    assertThatThrownBy(() -> UpstreamAuthorization.builder().grace(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grace");
    assertThatThrownBy(() -> UpstreamAuthorization.builder().maxEntries(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEntries");
  }
}
