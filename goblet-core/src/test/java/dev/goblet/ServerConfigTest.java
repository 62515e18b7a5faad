package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  @Test
  void missingRequiredValuesAreAllNamed() {
    assertThatThrownBy(() -> ServerConfig.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cacheRoot")
        .hasMessageContaining("urlCanonicalizer");
  }

  @Test
  void defaultsFollowThePlan() {
    ServerConfig config =
        ServerConfig.builder().cacheRoot(Path.of("cache")).allowedUpstreams("https://github.com")
            .build();
    assertThat(config.cacheRoot()).isAbsolute();
    assertThat(config.offlineMode()).isTrue();
    assertThat(config.upstreamEnabled()).isTrue();
    assertThat(config.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.lsRefsCachePath()).isEqualTo(config.cacheRoot().resolve(".ls-refs-cache"));
    assertThat(config.lsRefsMaxStaleness()).isEmpty();
    assertThat(config.requestAuthorizer()).isSameAs(RequestAuthorizer.ALLOW_ALL);
    assertThat(config.upstreamCredentials()).isSameAs(UpstreamCredentials.NONE);
    assertThat(config.errorReporter()).isSameAs(ErrorReporter.NONE);
    assertThat(config.requestLogger()).isSameAs(RequestLogger.NONE);
    assertThat(config.operationLogger()).isSameAs(OperationLogger.NONE);
    assertThat(config.executor()).isEmpty();
    assertThat(config.metricRegistry()).isEmpty();
  }

  @Test
  void badValuesFailAtOnce() {
    ServerConfig.Builder b = ServerConfig.builder();
    assertThatThrownBy(() -> b.upstreamTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("upstreamTimeout");
    assertThatThrownBy(() -> b.lsRefsCacheTtl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxRequestBodyBytes(10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.lsRefsCacheMaxRepositories(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.allowedUpstreams("ftp://example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("http or https");
    assertThatThrownBy(() -> b.allowedUpstreams("https://user:pw@example.com"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.requestAuthorizer(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void snapshotsAndTheRestoreAtStartAreOffByDefaultAndValidated() throws Exception {
    ServerConfig.Builder b =
        ServerConfig.builder().cacheRoot(Path.of("c")).allowedUpstreams("https://github.com");
    ServerConfig config = b.build();
    assertThat(config.snapshotStore()).isEmpty();
    assertThat(config.restoreAllAtStart()).isFalse();
    assertThat(config.storePublishDelay()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.scheduler()).isEmpty();
    assertThatThrownBy(() -> b.storePublishDelay(Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storePublishDelay");
    assertThatThrownBy(() -> b.snapshotStore(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.scheduler(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.restoreAllAtStart(true).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("restoreAllAtStart needs a snapshotStore");

    SnapshotStore store = SnapshotStore.filesystem(Path.of("store"));
    java.util.concurrent.ScheduledExecutorService scheduler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      ServerConfig withStore = b.snapshotStore(store).storePublishDelay(Duration.ofMinutes(10))
          .scheduler(scheduler).build();
      assertThat(withStore.snapshotStore()).containsSame(store);
      assertThat(withStore.restoreAllAtStart()).isTrue();
      assertThat(withStore.storePublishDelay()).isEqualTo(Duration.ofMinutes(10));
      assertThat(withStore.scheduler()).containsSame(scheduler);
      assertThat(withStore.toBuilder().build().restoreAllAtStart()).isTrue();
      assertThat(withStore.toBuilder().restoreAllAtStart(false).build().snapshotStore())
          .containsSame(store);
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void theDiskBudgetIsOffByDefaultAndValidated() {
    ServerConfig.Builder b =
        ServerConfig.builder().cacheRoot(Path.of("c")).allowedUpstreams("https://github.com");
    assertThat(b.build().cacheMaxBytes()).isZero();
    assertThatThrownBy(() -> b.cacheMaxBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cacheMaxBytes");
    ServerConfig bounded = b.cacheMaxBytes(10L << 30).build();
    assertThat(bounded.cacheMaxBytes()).isEqualTo(10L << 30);
    assertThat(bounded.toBuilder().build().cacheMaxBytes()).isEqualTo(10L << 30);
  }

  @Test
  void theFreeSpaceFloorIsOffByDefaultAndValidated() {
    ServerConfig.Builder b =
        ServerConfig.builder().cacheRoot(Path.of("c")).allowedUpstreams("https://github.com");
    assertThat(b.build().cacheMinFreeBytes()).isZero();
    assertThatThrownBy(() -> b.cacheMinFreeBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cacheMinFreeBytes");
    ServerConfig floored = b.cacheMinFreeBytes(5L << 30).build();
    assertThat(floored.cacheMinFreeBytes()).isEqualTo(5L << 30);
    assertThat(floored.toBuilder().build().cacheMinFreeBytes()).isEqualTo(5L << 30);
  }

  @Test
  void maxStalenessBelowTtlIsRejectedAtBuild() {
    ServerConfig.Builder b =
        ServerConfig.builder().cacheRoot(Path.of("c")).allowedUpstreams("https://github.com")
            .lsRefsCacheTtl(Duration.ofMinutes(10)).lsRefsMaxStaleness(Duration.ofMinutes(1));
    assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lsRefsMaxStaleness");
  }

  @Test
  void toBuilderCopiesAndBuildLeavesBuilderUsable() {
    ServerConfig.Builder b =
        ServerConfig.builder().cacheRoot(Path.of("c")).allowedUpstreams("https://github.com")
            .offlineMode(false);
    ServerConfig first = b.build();
    ServerConfig second = b.lsRefsCacheTtl(Duration.ofMinutes(1)).build();
    assertThat(first.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(second.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(1));
    ServerConfig derived = first.toBuilder().upstreamEnabled(false).build();
    assertThat(derived.offlineMode()).isFalse();
    assertThat(derived.upstreamEnabled()).isFalse();
    assertThat(derived.urlCanonicalizer()).isSameAs(first.urlCanonicalizer());
  }

  @Test
  void allowListCanonicalizerMapsOnlyListedUpstreams() throws Exception {
    UrlCanonicalizer c =
        UrlCanonicalizer.allowList(
            java.util.List.of(URI.create("https://github.com"), URI.create("http://127.0.0.1:9000")));
    assertThat(c.canonicalize("/github.com/owner/repo.git"))
        .isEqualTo(URI.create("https://github.com/owner/repo"));
    assertThat(c.canonicalize("/github.com/owner/repo"))
        .isEqualTo(c.canonicalize("/GitHub.com/owner/repo.git"));
    assertThat(c.canonicalize("/127.0.0.1:9000/a/b/c"))
        .isEqualTo(URI.create("http://127.0.0.1:9000/a/b/c"));
    assertRefused(c, "/127.0.0.1:9001/a/b", Status.FORBIDDEN);
    assertRefused(c, "/evil.com/owner/repo", Status.FORBIDDEN);
    assertRefused(c, "/github.com/owner/../repo", Status.BAD_REQUEST);
    assertRefused(c, "/github.com/owner/.git", Status.BAD_REQUEST);
    assertRefused(c, "/github.com/owner/-upload", Status.BAD_REQUEST);
    assertRefused(c, "/github.com/owner//repo", Status.BAD_REQUEST);
    assertRefused(c, "/github.com", Status.BAD_REQUEST);
    assertRefused(c, "/user@github.com/owner/repo", Status.FORBIDDEN);
    assertRefused(c, "/github.com/" + "x".repeat(300), Status.BAD_REQUEST);
  }

  private static void assertRefused(UrlCanonicalizer c, String path, Status status) {
    assertThatThrownBy(() -> c.canonicalize(path))
        .as(path)
        .isInstanceOfSatisfying(GobletException.class, e -> assertThat(e.status()).isEqualTo(status));
  }
}
