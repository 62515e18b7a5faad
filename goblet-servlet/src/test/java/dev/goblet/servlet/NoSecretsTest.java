package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.AdminAuthorizer;
import dev.goblet.ErrorReporter;
import dev.goblet.RequestAuthorizer;
import dev.goblet.RequestLogger;
import dev.goblet.SnapshotStore;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.testing.Http;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.servlet.testing.RecordingOperationLogger;
import dev.goblet.testing.GitCli;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upstream token and the clients' tokens never show up in logs, hooks, metric names or the
 * operations endpoints, nor in the snapshot store's manifests and ls-refs entries, through clones,
 * refusals, failures, admin calls, snapshot publishing and a restore at start.
 */
class NoSecretsTest {
  private static final String UPSTREAM_TOKEN = "upstream-secret-91c2d7";
  private static final String CLIENT_TOKEN = "client-secret-5e8a40";
  private static final String WRONG_TOKEN = "wrong-secret-0b7f13";
  private static final String ADMIN_TOKEN = "admin-secret-c44e19";
  private static final List<String> SECRETS =
      List.of(UPSTREAM_TOKEN, CLIENT_TOKEN, WRONG_TOKEN, ADMIN_TOKEN);

  @TempDir Path tmp;
  private ProxyHarness harness;
  private final MetricRegistry registry = new MetricRegistry();
  private final List<String> records = new CopyOnWriteArrayList<>();
  private final RecordingOperationLogger operations = new RecordingOperationLogger();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final List<String> bodies = new ArrayList<>();
  private SnapshotStore store;

  @BeforeEach
  void setUp() throws Exception {
    harness =
        ProxyHarness.create(tmp)
            .mount("/admin/*", GobletAdminServlet::new)
            .mount("/healthz", GobletHealthServlet::new)
            .mount("/metrics", GobletMetricsServlet::new);
    harness.upstream().requireBearerToken(UPSTREAM_TOKEN);
    harness.newRepo("owner/repo").commitMany("main", 3, 1);
    harness.newRepo("owner/cold");
    store = SnapshotStore.filesystem(tmp.resolve("store"));
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private GitCli gitWithToken(String token) {
    return harness.git().withEnv("GIT_CONFIG_COUNT", "1")
        .withEnv("GIT_CONFIG_KEY_0", "http.extraHeader")
        .withEnv("GIT_CONFIG_VALUE_0", "Authorization: Bearer " + token);
  }

  private void startProxy(String cacheRoot) throws Exception {
    RequestLogger requestLogger = record -> records.add(record.toString());
    ErrorReporter errorReporter =
        (request, error) ->
            errors.add((request == null ? "" : request.method() + " " + request.path() + "?"
                + request.query() + " ") + RecordingOperationLogger.stackTrace(error));
    harness.startProxy(
        b -> b.cacheRoot(tmp.resolve(cacheRoot))
            .upstreamCredentials(UpstreamCredentials.bearer(() -> UPSTREAM_TOKEN))
            .requestAuthorizer(RequestAuthorizer.bearerToken(CLIENT_TOKEN))
            .adminAuthorizer(AdminAuthorizer.bearerToken(ADMIN_TOKEN))
            .requestLogger(requestLogger)
            .operationLogger(operations)
            .errorReporter(errorReporter)
            .metricRegistry(registry)
            .snapshotStore(store)
            .restoreAllAtStart(true));
    harness.proxy().whenReady().get(60, TimeUnit.SECONDS);
  }

  private HttpResponse<String> call(String method, String path, String token) throws Exception {
    HttpResponse<String> response =
        Http.send(method, harness.url(path), null, "Authorization", "Bearer " + token);
    bodies.add(response.body());
    return response;
  }

  @Test
  void tokensNeverAppearInLogsHooksMetricsOrJson() throws Exception {
    startProxy("cache-a");
    GitCli git = gitWithToken(CLIENT_TOKEN);
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("clone").toString());

    GitCli.Result refused = gitWithToken(WRONG_TOKEN)
        .run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("refused").toString());
    assertThat(refused.exitCode()).isNotZero();
    assertThat(call("GET", "/admin/repositories", WRONG_TOKEN).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/admin/repositories", CLIENT_TOKEN).statusCode()).isEqualTo(401);

    String key = harness.proxy().repositoryStatuses().get(0).key();
    assertThat(call("GET", "/admin/repositories", ADMIN_TOKEN).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/admin/repositories/" + key + "/-/ls-refs", ADMIN_TOKEN)
        .statusCode()).isEqualTo(200);
    assertThat(call("POST", "/admin/repositories/" + key + "/-/refresh", ADMIN_TOKEN)
        .statusCode()).isEqualTo(202);
    harness.proxy().repository(key).orElseThrow().fetchUpstream().get(60, TimeUnit.SECONDS);
    assertThat(call("POST", "/admin/backup", ADMIN_TOKEN).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/admin/upstream", ADMIN_TOKEN).statusCode()).isEqualTo(200);

    // Server-side failures: an upstream refusing with 500, then an upstream that is gone.
    harness.upstream().failNext(500, 20);
    GitCli.Result failed =
        git.run(tmp, "clone", harness.proxyUrl("owner/cold"), harness.dir("cold").toString());
    assertThat(failed.exitCode()).isNotZero();
    harness.upstream().stop();
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("offline").toString());
    call("GET", "/healthz", CLIENT_TOKEN);
    call("GET", "/metrics", CLIENT_TOKEN);

    // A fresh replica restored from the snapshot store at start.
    harness.stopProxy();
    startProxy("cache-b");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("restored").toString());
    call("GET", "/healthz", CLIENT_TOKEN);
    call("GET", "/metrics", CLIENT_TOKEN);

    assertThat(errors).isNotEmpty();
    assertThat(records).isNotEmpty();
    assertThat(operations.lines()).anyMatch(line -> line.startsWith("fetch-upstream "));
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    List<String> everything = new ArrayList<>();
    everything.add(Files.readString(Path.of("target", "test.log")));
    everything.addAll(records);
    everything.addAll(operations.lines());
    everything.addAll(errors);
    everything.addAll(registry.getNames());
    everything.addAll(bodies);
    List<String> json = store.listRecursively("").stream().filter(n -> n.endsWith(".json")).toList();
    assertThat(json).anyMatch(n -> n.contains("/manifests/"))
        .anyMatch(n -> n.endsWith("ls-refs.json"));
    for (String name : json) {
      try (var in = store.open(name)) {
        everything.add(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    for (String secret : SECRETS) {
      assertThat(everything).as(secret).noneMatch(text -> text.contains(secret));
    }
  }
}
