package dev.goblet.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.GobletProxy;
import dev.goblet.servlet.testing.JettyServer;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.Requirements;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of three replicas behind a real HAProxy (Debian's {@code haproxy}), sharing an S3 store
 * on a real S3 API server (s3proxy), with the configuration of docs/FLEET.md: each repository goes
 * to one replica by consistent hashing on the repository part of the path, replicas are health
 * checked on {@code /healthz}. One replica runs in a JVM of its own ({@link ReplicaProcess}) and is
 * killed with {@code SIGKILL}, and the upstream stopped: every repository still clones, the dead
 * replica's repositories restored by the others from the store.
 */
class HaproxyFleetTest {
  private static final int REPOSITORIES = 30;
  private static final int REPLICAS = 3;

  @TempDir Path tmp;
  private ProxyHarness harness;
  private GitCli git;
  private S3ProxyServer s3;
  private final List<Replica> replicas = new ArrayList<>();
  /** Every replica's cache root by name, the killed one's too, in HAProxy's server order. */
  private final Map<String, Path> cacheRoots = new LinkedHashMap<>();
  private final Map<String, String> baseUrls = new LinkedHashMap<>();
  private ReplicaProcess victim;
  private Process haproxy;
  private int haproxyPort;

  /** One replica in this JVM: a proxy on its own cache root, in its own Jetty. */
  private record Replica(String name, Path cacheRoot, GobletProxy proxy, JettyServer jetty,
      S3SnapshotStore store) {
    void close() throws Exception {
      jetty.close();
      proxy.close();
      store.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    Requirements.command("haproxy", "haproxy");
    harness = ProxyHarness.create(tmp);
    git = harness.git();
    s3 = S3ProxyServer.start(tmp.resolve("s3"), "fleet");
  }

  @AfterEach
  void stop() throws Exception {
    if (haproxy != null) {
      haproxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (victim != null) {
      victim.close();
    }
    for (Replica replica : replicas) {
      replica.close();
    }
    if (s3 != null) {
      s3.close();
    }
    if (harness != null) {
      harness.close();
    }
  }

  private void startReplica(String name) throws Exception {
    Path cacheRoot = tmp.resolve(name);
    S3SnapshotStore store = s3.store("s3://fleet/goblet");
    GobletProxy proxy = GobletProxy.create(ReplicaProcess.configure(
            harness.defaultConfig().metricRegistry(new MetricRegistry()), // its own, as in a fleet
            cacheRoot, store)
        .build());
    Replica replica = new Replica(name, cacheRoot, proxy, ReplicaProcess.serve(proxy), store);
    replicas.add(replica);
    cacheRoots.put(name, cacheRoot);
    baseUrls.put(name, replica.jetty().baseUrl());
  }

  private void startReplicaProcess(String name) throws Exception {
    Path cacheRoot = tmp.resolve(name);
    victim = ReplicaProcess.start(cacheRoot, harness.upstream().baseUrl(), s3.endpoint(),
        "s3://fleet/goblet", tmp.resolve(name + ".log"));
    cacheRoots.put(name, cacheRoot);
    baseUrls.put(name, victim.baseUrl());
  }

  @Test
  void everyRepositoryStillClonesThroughHaproxyWithAReplicaKilledAndTheUpstreamDown()
      throws Exception {
    Map<String, UpstreamRepo> repos = new LinkedHashMap<>();
    for (int i = 0; i < REPOSITORIES; i++) {
      String name = String.format("fleet/repo%02d", i);
      repos.put(name, harness.newRepo(name));
    }
    startReplicaProcess("replica1");
    for (int i = 2; i <= REPLICAS; i++) {
      startReplica("replica" + i);
    }
    startHaproxy();
    awaitServers(REPLICAS);

    for (String name : repos.keySet()) {
      clone(name, "first");
    }
    Map<String, String> owner = owners(repos.keySet());
    assertThat(owner).hasSize(REPOSITORIES); // each repository on exactly one replica
    Map<String, Long> perReplica = new HashMap<>();
    owner.values().forEach(r -> perReplica.merge(r, 1L, Long::sum));
    assertThat(perReplica).as("the hash spreads repositories over all replicas")
        .hasSize(REPLICAS);
    for (String name : repos.keySet()) {
      clone(name, "again"); // the same replica again: no second mirror anywhere
    }
    assertThat(owners(repos.keySet())).isEqualTo(owner);
    victim.publishSnapshotsNow();
    for (Replica replica : replicas) {
      replica.proxy().publishSnapshotsNow();
    }

    assertThat(victim.kill()).as("killed by SIGKILL").isEqualTo(128 + 9);
    harness.upstream().stop();
    harness.upstream().clearRequests();
    awaitServers(REPLICAS - 1);

    for (Map.Entry<String, UpstreamRepo> repo : repos.entrySet()) {
      Path clone = clone(repo.getKey(), "after-kill");
      assertThat(git.runOk(clone, "rev-parse", "HEAD").stdout().trim())
          .isEqualTo(repo.getValue().resolve("main"));
      git.runOk(clone, "fsck", "--strict");
    }
    long moved = owner.values().stream().filter("replica1"::equals).count();
    long restored = 0;
    for (Replica replica : replicas) {
      restored += replica.proxy().metricRegistry()
          .counter(replica.proxy().metricName("snapshots.restored")).getCount();
    }
    assertThat(restored).as("only the killed replica's repositories moved").isEqualTo(moved);
    assertThat(harness.upstream().requests()).isEmpty();
  }

  private Path clone(String name, String round) {
    Path dir = harness.dir(round + "/" + name);
    String url = "http://127.0.0.1:" + haproxyPort + "/"
        + harness.upstream().baseUrl().substring("http://".length()) + "/" + name;
    git.runOk(tmp, "clone", url, dir.toString());
    return dir;
  }

  /** @return for each repository, the replicas whose cache root holds its mirror */
  private Map<String, String> owners(Iterable<String> names) {
    String host = harness.upstream().baseUrl().substring("http://".length()).replace(':', '_');
    Map<String, String> owner = new HashMap<>();
    for (String name : names) {
      for (Map.Entry<String, Path> replica : cacheRoots.entrySet()) {
        if (Files.isRegularFile(replica.getValue().resolve(host).resolve(name + ".git")
            .resolve("HEAD"))) {
          String previous = owner.put(name, replica.getKey());
          assertThat(previous).as(name + " is on one replica only").isNull();
        }
      }
    }
    return owner;
  }

  private void startHaproxy() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      haproxyPort = socket.getLocalPort();
    }
    StringBuilder servers = new StringBuilder();
    baseUrls.forEach((name, url) ->
        servers.append("  server ").append(name).append(' ')
            .append(url.substring("http://".length())).append('\n'));
    String template = Files.readString(Path.of("src/test/resources/haproxy-fleet.cfg"));
    String config = template
        .replace("@SOCKET@", tmp.resolve("haproxy.sock").toString())
        .replace("@PORT@", Integer.toString(haproxyPort))
        .replace("@SERVERS@\n", servers.toString());
    Path file = Files.writeString(tmp.resolve("haproxy.cfg"), config);
    haproxy = new ProcessBuilder("haproxy", "-db", "-f", file.toString())
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("haproxy.log").toFile())
        .start();
  }

  /** Waits (up to 30 s) until HAProxy's health checks see exactly {@code up} replicas up. */
  private void awaitServers(int up) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String stats = "";
    while (System.nanoTime() < deadline) {
      if (!haproxy.isAlive()) {
        throw new AssertionError("haproxy exited: " + Files.readString(tmp.resolve("haproxy.log")));
      }
      stats = showStat();
      long count = stats.lines().filter(line -> line.startsWith("replicas,replica"))
          .filter(line -> line.split(",")[17].equals("UP")).count();
      if (count == up) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("HAProxy does not see " + up + " replicas up:\n" + stats);
  }

  /** @return HAProxy's {@code show stat} CSV, or empty while its socket is not there yet */
  private String showStat() throws IOException {
    Path socket = tmp.resolve("haproxy.sock");
    if (!Files.exists(socket)) {
      return "";
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      StringBuilder out = new StringBuilder();
      while (channel.read(buffer) > 0) {
        buffer.flip();
        out.append(StandardCharsets.US_ASCII.decode(buffer));
        buffer.clear();
      }
      return out.toString();
    } catch (IOException e) {
      return "";
    }
  }
}
