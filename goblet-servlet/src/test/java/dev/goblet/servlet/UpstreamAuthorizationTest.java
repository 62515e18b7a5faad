package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.UpstreamAuthorization;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.testing.Http;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Per-user authorization delegated to a real upstream that enforces per-user, per-repository
 * access (HTTP Basic users, each allowed one repository, beside the proxy's own bearer token): each
 * user reads only what the upstream lets them read, even from the shared cache; through an outage
 * an allowed user keeps cloning for the grace period and an unknown one gets a clear 503; no
 * client secret shows up in a log, a metric, the health answer or a file under the cache root.
 */
class UpstreamAuthorizationTest extends HarnessTestBase {
  private static final String PROXY_TOKEN = "proxy-token-e61f4b";
  private static final String ALICE_PASSWORD = "alice-secret-0c93b7";
  private static final String BOB_PASSWORD = "bob-secret-7a1d22";
  private static final String CAROL_PASSWORD = "carol-secret-55e0f1";

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-12-01T10:00:00Z"));
  private final MetricRegistry registry = new MetricRegistry();
  private final List<String> answers = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    harness.newRepo("team-a/repo").commitMany("main", 3, 1);
    harness.newRepo("team-b/repo");
    harness.upstream().requireBearerToken(PROXY_TOKEN);
    harness.upstream().allowBasicUser("alice", ALICE_PASSWORD, "team-a/repo");
    harness.upstream().allowBasicUser("bob", BOB_PASSWORD, "team-b/repo");
    harness.mount("/healthz", GobletHealthServlet::new)
        .mount("/metrics", GobletMetricsServlet::new);
    harness.startProxy(
        b -> b.upstreamCredentials(UpstreamCredentials.bearer(() -> PROXY_TOKEN))
            .upstreamAuthorization(
                UpstreamAuthorization.builder()
                    .ttl(Duration.ofMinutes(5))
                    .grace(Duration.ofHours(1))
                    .build())
            .clock(clock)
            .metricRegistry(registry));
  }

  @AfterEach
  void noSecretAnywhere() throws Exception {
    answers.add(Http.get(harness.url("/healthz")).body());
    answers.add(Http.get(harness.url("/metrics")).body());
    List<String> everything = new ArrayList<>(answers);
    everything.add(Files.readString(Path.of("target", "test.log")));
    everything.addAll(registry.getNames());
    // Closed, the proxy writes nothing more (close waits for its background cache writes), so no
    // file can vanish mid-walk, as a temp file renamed into place did.
    harness.stopProxy();
    try (Stream<Path> files = Files.walk(harness.config().cacheRoot())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        everything.add(file + ": " + new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
      }
    }
    List<String> secrets = new ArrayList<>(List.of(PROXY_TOKEN));
    for (String[] user : new String[][] {
        {"alice", ALICE_PASSWORD}, {"bob", BOB_PASSWORD}, {"carol", CAROL_PASSWORD}}) {
      secrets.add(user[1]);
      secrets.add(Base64.getEncoder().encodeToString(
          (user[0] + ":" + user[1]).getBytes(StandardCharsets.UTF_8)));
    }
    for (String secret : secrets) {
      assertThat(everything).as(secret).noneMatch(text -> text.contains(secret));
    }
  }

  /** @return git that answers the server's 401 with this user's HTTP Basic credentials */
  private GitCli as(String user, String password) {
    return harness.git().withEnv("GIT_CONFIG_COUNT", "1")
        .withEnv("GIT_CONFIG_KEY_0", "credential.helper")
        .withEnv("GIT_CONFIG_VALUE_0",
            "!f() { echo username=" + user + "; echo password=" + password + "; }; f");
  }

  private GitCli.Result cloneAs(GitCli git, String repo, String dir) {
    GitCli.Result result = git.run(tmp, "clone", harness.proxyUrl(repo), harness.dir(dir).toString());
    answers.add(result.stdout() + result.stderr());
    return result;
  }

  private long counter(String suffix) {
    return registry.counter(harness.proxy().metricName(suffix)).getCount();
  }

  @Test
  void eachUserReadsOnlyWhatTheUpstreamLetsThemRead() throws Exception {
    GitCli alice = as("alice", ALICE_PASSWORD);
    GitCli bob = as("bob", BOB_PASSWORD);
    assertThat(cloneAs(alice, "team-a/repo", "alice-a").exitCode()).isZero();

    GitCli.Result aliceB = cloneAs(alice, "team-b/repo", "alice-b");
    assertThat(aliceB.exitCode()).isNotZero();
    assertThat(aliceB.stderr())
        .contains("403")
        .contains("the upstream has no such repository, or does not show it to your credentials"
            + " (HTTP 404: Repository not found.)");

    // team-a is now in the proxy's mirror and cache; bob still may not read it.
    GitCli.Result bobA = cloneAs(bob, "team-a/repo", "bob-a");
    assertThat(bobA.exitCode()).isNotZero();
    assertThat(bobA.stderr()).contains("does not show it to your credentials");
    assertThat(cloneAs(bob, "team-b/repo", "bob-b").exitCode()).isZero();

    GitCli.Result anonymous = cloneAs(harness.git(), "team-a/repo", "anonymous");
    assertThat(anonymous.exitCode()).isNotZero();
    // Credentials the upstream does not know: its 401 is passed on, and git gives up on them.
    GitCli.Result carol = cloneAs(as("carol", CAROL_PASSWORD), "team-a/repo", "carol");
    assertThat(carol.exitCode()).isNotZero();
    assertThat(carol.stderr()).contains("Authentication failed");

    long checks = counter("client-auth.checks");
    long hits = counter("client-auth.cache-hits");
    assertThat(cloneAs(alice, "team-a/repo", "alice-a-again").exitCode()).isZero();
    assertThat(counter("client-auth.checks")).as("remembered for the TTL").isEqualTo(checks);
    assertThat(counter("client-auth.cache-hits")).isGreaterThan(hits);
    assertThat(counter("client-auth.denials")).isGreaterThanOrEqualTo(2);

    // The clients' credentials only ever went to the access check; fetches used the proxy's own.
    List<RecordedRequest> upstream = harness.upstream().requests();
    assertThat(upstream).filteredOn(r -> String.valueOf(r.header("Authorization")).startsWith("Basic "))
        .isNotEmpty()
        .allSatisfy(r -> {
          assertThat(r.method()).isEqualTo("GET");
          assertThat(r.path()).endsWith("/info/refs");
          assertThat(r.header("Git-Protocol")).isEqualTo("version=2");
        });
    assertThat(upstream).filteredOn(r -> r.method().equals("POST"))
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer " + PROXY_TOKEN));
  }

  @Test
  void throughAnOutageAllowedUsersKeepCloningForTheGracePeriodOnly() throws Exception {
    GitCli alice = as("alice", ALICE_PASSWORD);
    assertThat(cloneAs(alice, "team-a/repo", "before").exitCode()).isZero();

    harness.upstream().stop();
    clock.advance(Duration.ofMinutes(10)); // past the TTL, within the grace period
    assertThat(cloneAs(alice, "team-a/repo", "during").exitCode()).isZero();
    assertThat(counter("client-auth.grace-allows")).isPositive();

    GitCli.Result carol = cloneAs(as("carol", CAROL_PASSWORD), "team-a/repo", "carol");
    assertThat(carol.exitCode()).isNotZero();
    assertThat(carol.stderr())
        .contains("503")
        .contains("the upstream cannot confirm your access to this repository now");

    clock.advance(Duration.ofHours(2)); // past the grace period
    GitCli.Result late = cloneAs(alice, "team-a/repo", "after-grace");
    assertThat(late.exitCode()).isNotZero();
    assertThat(late.stderr()).contains("the upstream cannot confirm your access");

    harness.upstream().restart();
    clock.advance(Duration.ofMinutes(1)); // past the circuit breaker's cool-down
    assertThat(cloneAs(alice, "team-a/repo", "back").exitCode()).isZero();
  }
}
