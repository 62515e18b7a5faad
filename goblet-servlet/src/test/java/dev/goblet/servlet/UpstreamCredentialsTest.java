package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.RequestLogger;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.testing.RecordingOperationLogger;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy's own upstream credentials reach the upstream and nothing else. */
class UpstreamCredentialsTest extends HarnessTestBase {
  private static final String TOKEN = "upstream-token-4b1d";

  private final List<String> records = new CopyOnWriteArrayList<>();
  private final RecordingOperationLogger operations = new RecordingOperationLogger();

  @BeforeEach
  void setUp() throws Exception {
    harness.newRepo("owner/private").commitMany("main", 5, 2);
    harness.upstream().requireBearerToken(TOKEN);
  }

  @Test
  void credentialsAreSentUpstreamAndNeverLogged() throws Exception {
    RequestLogger requestLogger = record -> records.add(record.toString());
    harness.startProxy(
        b -> b.upstreamCredentials(UpstreamCredentials.bearer(() -> TOKEN))
            .requestLogger(requestLogger)
            .operationLogger(operations));

    harness.git().runOk(tmp, "clone", harness.proxyUrl("owner/private"),
        harness.dir("clone").toString());

    List<RecordedRequest> upstreamRequests = harness.upstream().requests();
    assertThat(upstreamRequests).isNotEmpty();
    assertThat(upstreamRequests)
        .allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer " + TOKEN));
    assertThat(records).isNotEmpty().noneMatch(r -> r.contains(TOKEN));
    assertThat(operations.lines()).isNotEmpty().noneMatch(line -> line.contains(TOKEN));
    Path log = Path.of("target", "test.log"); // where surefire sends the library's logs
    assertThat(log).exists();
    assertThat(Files.readString(log)).contains("goblet").doesNotContain(TOKEN);
  }

  @Test
  void withoutCredentialsTheUpstreamRefusalIsClear() throws Exception {
    harness.startProxy();
    GitCli.Result result =
        harness.git().run(tmp, "clone", harness.proxyUrl("owner/private"),
            harness.dir("clone").toString());
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr())
        .contains("refused the proxy's credentials (HTTP 401: bearer token required)");
  }
}
