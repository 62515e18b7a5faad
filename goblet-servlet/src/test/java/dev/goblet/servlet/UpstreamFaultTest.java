package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.FaultInjectingProxy.Fault;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream faults: for each, warm repositories keep being served, cold ones get a clear error, no
 * request hangs past its timeout, and the mirror stays consistent.
 */
class UpstreamFaultTest extends HarnessTestBase {
  private FaultInjectingProxy faults;

  @BeforeEach
  void setUp() throws Exception {
    git = harness.git().withTimeout(Duration.ofSeconds(90));
    harness.newRepo("owner/warm").commitMany("main", 10, 2);
    UpstreamRepo cold = harness.newRepo("owner/cold");
    for (int i = 0; i < 40; i++) {
      cold.tag("release-" + i, "main", false); // an ls-refs answer of a few kilobytes
    }
    faults = FaultInjectingProxy.start(harness.upstream().baseUrl());
    harness.startProxy(
        b -> b.allowedUpstreams(faults.baseUrl())
            .upstreamTimeout(Duration.ofSeconds(2))
            .upstreamFetchTimeout(Duration.ofSeconds(20)));
    git.runOk(tmp, "clone", url("owner/warm"), harness.dir("warm-0").toString());
  }

  @AfterEach
  void tearDown() throws Exception {
    faults.close();
  }

  private String url(String name) {
    return harness.proxyBaseUrl() + "/" + faults.baseUrl().substring("http://".length()) + "/"
        + name;
  }

  /** The warm repository clones; the cold one fails with {@code coldMessage}; the mirror is sound. */
  private void assertDegradesCleanly(String coldMessage) {
    Path warm = harness.dir("warm-during-fault");
    git.runOk(tmp, "clone", url("owner/warm"), warm.toString());
    git.runOk(warm, "fsck");

    GitCli.Result cold = git.run(tmp, "clone", url("owner/cold"), harness.dir("cold").toString());
    assertThat(cold.exitCode()).isNotZero();
    assertThat(cold.stderr()).contains("no cached ls-refs available").contains(coldMessage);
    assertMirrorsConsistent();
  }

  private void assertMirrorsConsistent() {
    try (var dirs = Files.walk(harness.config().cacheRoot(), 4)) {
      for (Path mirror :
          dirs.filter(p -> p.getFileName().toString().endsWith(".git"))
              .filter(p -> Files.isRegularFile(p.resolve("HEAD")))
              .toList()) {
        git.runOk(mirror, "fsck", "--no-dangling");
        for (String line :
            git.runOk(mirror, "for-each-ref", "--format=%(objectname)").stdout().lines().toList()) {
          git.runOk(mirror, "cat-file", "-e", line);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void connectionRefused() throws Exception {
    faults.close();
    assertDegradesCleanly("cannot connect to the upstream");
  }

  @Test
  void acceptsThenHangs() {
    harness.upstream().hang(true);
    assertDegradesCleanly("did not answer in time");
    harness.upstream().hang(false);
  }

  @Test
  void slowTrickle() {
    faults.inject(new Fault.Trickle(200));
    assertDegradesCleanly("did not answer in time");
  }

  @Test
  void serverErrors() {
    harness.upstream().failNext(503, 1000);
    assertDegradesCleanly("HTTP 503");
  }

  @Test
  void wrongCredentialsAreARefusalNotAnOutage() {
    harness.upstream().requireBearerToken("only-the-right-token");
    for (String name : List.of("owner/warm", "owner/cold")) {
      GitCli.Result refused = git.run(tmp, "clone", url(name), harness.dir(name).toString());
      assertThat(refused.exitCode()).isNotZero();
      assertThat(refused.stderr())
          .contains("refused the proxy's credentials (HTTP 401: bearer token required)")
          .doesNotContain("no cached ls-refs available");
    }
    assertMirrorsConsistent();
  }

  @Test
  void garbageAnswers() {
    faults.inject(new Fault.Garbage("this is not a pkt-line stream"));
    assertDegradesCleanly("broken ls-refs answer");
  }

  @Test
  void wellFramedAnswersWithMalformedRefLines() {
    faults.inject(new Fault.Garbage("0013only-one-token\n0000"));
    assertDegradesCleanly("broken ls-refs answer");
  }

  @Test
  void truncatedAnswers() {
    faults.inject(new Fault.Truncate(1000));
    assertDegradesCleanly("broken ls-refs answer");
  }

  @Test
  void connectionResetMidAnswer() {
    faults.inject(new Fault.Reset(1000));
    assertDegradesCleanly("broken ls-refs answer");
  }

  @Test
  void upstreamDisappearingDuringAMirrorFetchLeavesNoBrokenRefs() throws Exception {
    UpstreamRepo big = harness.newRepo("owner/big");
    byte[] random = new byte[3 << 20];
    new Random(42).nextBytes(random);
    big.commit("main", "blob.bin", Base64.getEncoder().encodeToString(random), "a big blob");
    harness.startProxy(
        b -> b.allowedUpstreams(faults.baseUrl())
            .upstreamCooldown(Duration.ZERO)
            .upstreamFetchTimeout(Duration.ofSeconds(20)));
    faults.inject(new Fault.Reset(200_000)); // ls-refs fits; the pack does not

    GitCli.Result broken =
        git.run(tmp, "clone", url("owner/big"), harness.dir("big-broken").toString());
    assertThat(broken.exitCode()).isNotZero();
    assertThat(broken.stderr()).contains("fetching from the upstream failed");
    assertMirrorsConsistent();

    faults.inject(new Fault.None());
    Path clone = harness.dir("big-after");
    git.runOk(tmp, "clone", url("owner/big"), clone.toString());
    assertThat(git.runOk(clone, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(big.resolve("main"));
    assertMirrorsConsistent();
  }
}
