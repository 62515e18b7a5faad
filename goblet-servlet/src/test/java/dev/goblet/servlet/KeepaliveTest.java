package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.servlet.testing.HaProxy;
import dev.goblet.servlet.testing.RawGit;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.PktLine;
import dev.goblet.testing.Requirements;
import dev.goblet.testing.UpstreamRepo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A waiting fetch keeps its connection alive and its user informed. Through a real HAProxy with 3 s
 * idle timeouts, a cold clone whose upstream fetch takes 10 s succeeds and shows the proxy's
 * progress lines, in protocol v2 (its {@code packfile} section opens at once) and v0/v1 (the final
 * {@code NAK} of a clone is written at once, keepalives follow it); with {@code --quiet} it gets
 * keepalives alone; with keepalives switched off the same clone is cut by HAProxy (the proof that
 * the test can fail). And when the upstream is down, the clone says that refs came from the cache.
 *
 * <p>CI runs the proof scaled down by ten, with an upstream that is silent for 10 s before it
 * answers. {@code -Dgoblet.test.keepaliveFullScale=true} runs it at the scale: 30 s idle
 * timeouts, the default keepalive interval (5 s), and a repository whose 18 KB pack trickles from
 * the upstream at 200 bytes a second, about 90 s (a silent upstream would be cancelled as stalled
 * after 60 s, as documented).
 */
class KeepaliveTest extends HarnessTestBase {
  private static final boolean FULL_SCALE = Boolean.getBoolean("goblet.test.keepaliveFullScale");
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(FULL_SCALE ? 30 : 3);
  private static final Duration UPSTREAM_FETCH = Duration.ofSeconds(FULL_SCALE ? 90 : 10);
  private static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(FULL_SCALE ? 5 : 1);

  /** git's empty side-band-1 packet, its own keepalive. */
  private static final byte[] KEEPALIVE = {'0', '0', '0', '5', 1};

  /**
   * A cold clone through HAProxy while the upstream fetch takes {@link #UPSTREAM_FETCH}.
   *
   * @param keepalives the proxy's {@code clientKeepalives}
   * @param version the protocol version git is forced to
   * @param verbosity {@code --progress} or {@code --quiet}
   */
  private GitCli.Result slowColdClone(boolean keepalives, int version, String verbosity)
      throws Exception {
    Requirements.command("haproxy", "haproxy");
    if (FULL_SCALE) {
      harness.newRepo("team/slow").commitRandom("main", 1, 18_000, 7);
    } else {
      harness.newRepoWithBranchesAndTags("team/slow");
    }
    try (FaultInjectingProxy trickle = FaultInjectingProxy.start(harness.upstream().baseUrl())) {
      harness.startProxy(
          b -> b.allowedUpstreams(harness.upstream().baseUrl(), trickle.baseUrl())
              .clientKeepalives(keepalives)
              .clientKeepaliveInterval(KEEPALIVE_INTERVAL));
      String upstream = harness.upstream().baseUrl();
      if (FULL_SCALE) {
        trickle.inject(new FaultInjectingProxy.Fault.Trickle(5));
        upstream = trickle.baseUrl();
      } else {
        harness.upstream().delayFetches(UPSTREAM_FETCH);
      }
      try (HaProxy lb =
          HaProxy.start(tmp.resolve("haproxy"), harness.proxyBaseUrl(), IDLE_TIMEOUT)) {
        String url = lb.baseUrl() + "/" + upstream.substring("http://".length()) + "/team/slow";
        return git.run(
            tmp, "-c", "protocol.version=" + version, "clone", verbosity, url,
            harness.dir("clone").toString());
      } finally {
        harness.upstream().delayFetches(Duration.ZERO);
      }
    }
  }

  private void assertClonedTheUpstreamHead() {
    assertThat(git.runOk(harness.dir("clone"), "rev-parse", "HEAD").stdout().strip())
        .isEqualTo(git.runOk(tmp, "ls-remote", harness.directUrl("team/slow"), "HEAD")
            .stdout().split("\t")[0]);
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void aSlowColdCloneThroughHaProxyLivesOnKeepalivesAndShowsProgress(int version)
      throws Exception {
    GitCli.Result clone = slowColdClone(true, version, "--progress");
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(clone.stderr())
        .containsPattern("remote: goblet: fetching team/slow from 127\\.0\\.0\\.1:\\d+ \\(\\d+ s\\)");
    if (FULL_SCALE) {
      System.out.println(clone.stderr()); // the progress lines, for the closing note
    }
    assertClonedTheUpstreamHead();
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void withoutKeepalivesHaProxyCutsTheSameClone(int version) throws Exception {
    GitCli.Result clone = slowColdClone(false, version, "--progress");
    assertThat(clone.succeeded()).isFalse();
    assertThat(clone.stderr()).doesNotContain("goblet: fetching");
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void aQuietSlowColdCloneLivesOnKeepalivesAloneAndShowsNoProgress(int version)
      throws Exception {
    GitCli.Result clone = slowColdClone(true, version, "--quiet");
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    // git prints every side-band-2 message, --quiet or not: the proxy sent none.
    assertThat(clone.stderr()).doesNotContain("goblet:").doesNotContain("remote:");
    assertClonedTheUpstreamHead();
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void aCloneWhileTheUpstreamIsDownSaysRefsCameFromTheCache(int version) throws Exception {
    harness.newRepoWithBranchesAndTags("team/cached");
    harness.startProxy();
    String protocol = "protocol.version=" + version;
    git.runOk(tmp, "-c", protocol, "clone", "-q", harness.proxyUrl("team/cached"),
        harness.dir("warm").toString());
    harness.upstream().stop();
    GitCli.Result clone =
        git.run(tmp, "-c", protocol, "clone", "--progress", harness.proxyUrl("team/cached"),
            harness.dir("offline").toString());
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(clone.stderr())
        .containsPattern(
            "remote: goblet: 127\\.0\\.0\\.1:\\d+ is unavailable; refs served from cache, \\d+"
                + " (s|min) old");
  }

  /**
   * The bytes of a v0 clone's answer: native git answers {@code NAK} and the pack; the proxy writes
   * its {@code NAK} at once, then keepalives while the upstream fetch runs, then UploadPack's
   * answer without UploadPack's own {@code NAK}. The spool file of the pack cache holds
   * UploadPack's whole answer ({@code NAK} included), and an identical request streamed from it
   * gets the same bytes.
   */
  @Test
  void aV0CloneIsAnsweredNakAtOnceThenKeepalivesThenTheSpooledAnswerWithoutItsNak()
      throws Exception {
    UpstreamRepo repo = harness.newRepoWithBranchesAndTags("team/raw");
    harness.startProxy(b -> b.clientKeepaliveInterval(Duration.ofSeconds(1)));
    String main = repo.resolve("main");
    String request =
        PktLine.of("want " + main + " multi_ack_detailed side-band-64k ofs-delta no-progress"
                + " agent=git/2.39.5\n")
            + PktLine.FLUSH
            + PktLine.of("done\n");
    assertThat(negotiation(RawGit.uploadPackV0(harness.directUrl("team/raw"), request).body()))
        .containsExactly("NAK");

    harness.upstream().delayFetches(Duration.ofSeconds(3)); // three keepalive intervals
    byte[] cold;
    try {
      cold = RawGit.uploadPackV0(harness.proxyUrl("team/raw"), request).body();
    } finally {
      harness.upstream().delayFetches(Duration.ZERO);
    }
    List<byte[]> packets = packets(cold);
    assertThat(new String(packets.get(0), StandardCharsets.US_ASCII)).isEqualTo("0008NAK\n");
    assertThat(packets.get(1)).isEqualTo(KEEPALIVE);
    assertThat(negotiation(cold)).containsExactly("NAK");
    byte[] answer = withoutKeepalives(cold);
    assertThat(spoolFiles()).singleElement().isEqualTo(answer);

    byte[] warm = RawGit.uploadPackV0(harness.proxyUrl("team/raw"), request).body();
    assertThat(harness.counterCount("pack-cache.hits")).isEqualTo(1);
    assertThat(withoutKeepalives(warm)).isEqualTo(answer);

    Path check = harness.dir("check.git");
    git.runOk(tmp, "init", "-q", "--bare", check.toString());
    git.runOkWithInput(check, bandOne(answer), "index-pack", "--stdin", "--strict");
    git.runOk(check, "rev-list", "--objects", main); // every object of main is there
  }

  /**
   * A v0 fetch with haves is answered as before: its acknowledgments depend on the mirror, so
   * nothing is written early and UploadPack's answer reaches the client byte for byte as spooled.
   * Its acknowledgments end as native git's do ({@code ACK <have>} after {@code done}; JGit also
   * says {@code ready} on the way), and git's own fetch through the proxy gets every ref right.
   */
  @Test
  void aV0FetchWithHavesIsAnsweredByteForByteAsUploadPackWroteIt() throws Exception {
    UpstreamRepo repo = harness.newRepoWithBranchesAndTags("team/haves");
    harness.startProxy(b -> b.clientKeepaliveInterval(Duration.ofSeconds(1)));
    String proxyUrl = harness.proxyUrl("team/haves");
    Path clone = harness.dir("clone");
    git.runOk(tmp, "-c", "protocol.version=0", "clone", "-q", proxyUrl, clone.toString());
    String old = repo.resolve("main");
    String next = repo.commit("main", "next.txt", "next\n", "next");
    String request =
        PktLine.of("want " + next + " multi_ack_detailed side-band-64k ofs-delta\n")
            + PktLine.FLUSH
            + PktLine.of("have " + old + "\n")
            + PktLine.of("done\n");
    byte[] viaProxy = RawGit.uploadPackV0(proxyUrl, request).body(); // the mirror fetches next
    byte[] direct = RawGit.uploadPackV0(harness.directUrl("team/haves"), request).body();
    List<String> acks = negotiation(viaProxy);
    List<String> nativeAcks = negotiation(direct);
    assertThat(acks).allMatch(line -> line.startsWith("ACK " + old), "acknowledges the have");
    assertThat(acks.get(acks.size() - 1))
        .isEqualTo(nativeAcks.get(nativeAcks.size() - 1))
        .isEqualTo("ACK " + old);
    assertThat(spoolFiles()).anySatisfy(spool -> assertThat(spool).isEqualTo(viaProxy));

    String third = repo.commit("main", "third.txt", "third\n", "third");
    repo.tag("v3.0", "main", true);
    git.runOk(clone, "-c", "protocol.version=0", "fetch", "--progress", "origin");
    git.runOk(clone, "fsck", "--strict");
    assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().strip()).isEqualTo(third);
    assertThat(git.runOk(clone, "rev-parse", "v3.0^{commit}").stdout().strip()).isEqualTo(third);
    assertThat(git.runOk(clone, "ls-remote", "origin").stdout())
        .isEqualTo(git.runOk(tmp, "ls-remote", harness.directUrl("team/haves")).stdout());
  }

  /** @return the contents of the pack cache's spool files */
  private List<byte[]> spoolFiles() throws Exception {
    try (Stream<Path> files = Files.list(harness.config().cacheRoot().resolve(".pack-cache"))) {
      List<byte[]> spools = new ArrayList<>();
      for (Path file : files.filter(f -> f.toString().endsWith(".spool")).toList()) {
        spools.add(Files.readAllBytes(file));
      }
      return spools;
    }
  }

  /** @return the body's packets, each with its length header; a flush is {@code 0000} */
  private static List<byte[]> packets(byte[] body) {
    List<byte[]> packets = new ArrayList<>();
    int i = 0;
    while (i < body.length) {
      int length = Integer.parseInt(new String(body, i, 4, StandardCharsets.US_ASCII), 16);
      int end = i + Math.max(length, 4);
      packets.add(Arrays.copyOfRange(body, i, end));
      i = end;
    }
    return packets;
  }

  private static boolean isSideBand(byte[] packet) {
    return packet.length > 4 && packet[4] >= 1 && packet[4] <= 3;
  }

  /** @return the pkt-lines before the side-band pack, without their newlines */
  private static List<String> negotiation(byte[] body) {
    List<String> lines = new ArrayList<>();
    for (byte[] packet : packets(body)) {
      if (isSideBand(packet)) {
        break;
      }
      lines.add(new String(packet, 4, packet.length - 4, StandardCharsets.UTF_8).strip());
    }
    return lines;
  }

  private static byte[] withoutKeepalives(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] packet : packets(body)) {
      if (!Arrays.equals(packet, KEEPALIVE)) {
        out.writeBytes(packet);
      }
    }
    return out.toByteArray();
  }

  /** @return the side-band-1 payloads: the pack */
  private static byte[] bandOne(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] packet : packets(body)) {
      if (isSideBand(packet) && packet[4] == 1) {
        out.write(packet, 5, packet.length - 5);
      }
    }
    return out.toByteArray();
  }
}
