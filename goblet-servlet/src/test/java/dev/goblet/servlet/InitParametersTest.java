package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.ServerConfig;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InitParametersTest {
  private final Map<String, String> parameters = new HashMap<>();

  @Test
  void readsEveryParameter() throws Exception {
    parameters.put("cacheRoot", " /srv/goblet ");
    parameters.put("upstreams", "https://github.com, http://127.0.0.1:9000,");
    parameters.put("offlineMode", "FALSE");
    parameters.put("lsRefsCacheTtl", "PT1M");
    parameters.put("lsRefsMaxStaleness", "P1D");
    parameters.put("upstreamTimeout", "PT2S");
    parameters.put("storeDirectory", "/mnt/store");
    parameters.put("storePublishDelay", "PT30M");
    parameters.put("restoreAllAtStart", "true");
    parameters.put("cacheMaxBytes", " 1073741824 ");
    parameters.put("cacheMinFreeBytes", "5368709120");

    ServerConfig config = InitParameters.toBuilder(parameters::get).build();

    assertThat(config.cacheRoot()).isEqualTo(Path.of("/srv/goblet"));
    assertThat(config.urlCanonicalizer().canonicalize("/127.0.0.1:9000/team/project.git"))
        .isEqualTo(URI.create("http://127.0.0.1:9000/team/project"));
    assertThat(config.urlCanonicalizer().canonicalize("/github.com/owner/repo"))
        .isEqualTo(URI.create("https://github.com/owner/repo"));
    assertThat(config.offlineMode()).isFalse();
    assertThat(config.lsRefsCacheTtl()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.lsRefsMaxStaleness()).contains(Duration.ofDays(1));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.snapshotStore()).get().asString().contains("/mnt/store");
    assertThat(config.storePublishDelay()).isEqualTo(Duration.ofMinutes(30));
    assertThat(config.restoreAllAtStart()).isTrue();
    assertThat(config.cacheMaxBytes()).isEqualTo(1L << 30);
    assertThat(config.cacheMinFreeBytes()).isEqualTo(5L << 30);
    assertThat(InitParameters.NAMES).containsAll(parameters.keySet());
  }

  @Test
  void refusesMissingAndMalformedValuesByName() {
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("the parameter 'cacheRoot' is required");
    parameters.put("cacheRoot", "/srv/goblet");
    parameters.put("upstreams", " , ");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("'upstreams' names no upstream: ,");
    parameters.put("upstreams", "https://github.com");
    parameters.put("offlineMode", "yes");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("'offlineMode' must be true or false, not 'yes'");
    parameters.put("offlineMode", "true");
    parameters.put("upstreamTimeout", "10s");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("'upstreamTimeout' must be an ISO-8601 duration such as PT5M, not '10s'");
    parameters.put("upstreamTimeout", "PT10S");
    parameters.put("cacheMaxBytes", "10G");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("'cacheMaxBytes' must be a number of bytes such as 10737418240, not '10G'");
    parameters.put("cacheMaxBytes", "-5");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessageContaining("cacheMaxBytes must not be negative");
    parameters.put("cacheMaxBytes", "0");
    parameters.put("cacheMinFreeBytes", "-1");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessageContaining("cacheMinFreeBytes must not be negative");
  }

  @Test
  void theFormerBackupParametersAreReadAsTheStoreWithAWarning() throws Exception {
    parameters.put("cacheRoot", "/srv/goblet");
    parameters.put("upstreams", "https://github.com");
    parameters.put("backupDirectory", "/mnt/backups");
    parameters.put("backupInterval", "PT1H");

    ServerConfig config = InitParameters.toBuilder(parameters::get).build();

    assertThat(config.snapshotStore()).get().asString().contains("/mnt/backups");
    assertThat(config.storePublishDelay()).isEqualTo(Duration.ofHours(1));
    assertThat(config.restoreAllAtStart()).as("as the bundle backups did").isTrue();
    assertThat(Files.readString(Path.of("target", "test.log")))
        .contains("the init parameter 'backupDirectory' is deprecated: it is read as"
            + " 'storeDirectory'")
        .contains("the init parameter 'backupInterval' is deprecated");

    parameters.put("restoreAllAtStart", "false");
    assertThat(InitParameters.toBuilder(parameters::get).build().restoreAllAtStart()).isFalse();
    parameters.put("storeDirectory", "/mnt/store");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("'backupDirectory' and 'storeDirectory' are both set; set only"
            + " 'storeDirectory'");
    parameters.remove("backupDirectory");
    parameters.put("backupInterval", "1h");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get))
        .hasMessage("'backupInterval' must be an ISO-8601 duration such as PT5M, not '1h'");

    parameters.clear();
    parameters.put("cacheRoot", "/srv/goblet");
    parameters.put("upstreams", "https://github.com");
    parameters.put("restoreAllAtStart", "true");
    assertThatThrownBy(() -> InitParameters.toBuilder(parameters::get).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("restoreAllAtStart needs a snapshotStore");
  }

  @Test
  void servletConfigErrorsBecomeServletExceptions() {
    parameters.put("cacheRoot", "/srv/goblet");
    parameters.put("upstreams", "https://github.com");
    parameters.put("lsRefsCacheTtl", "PT10M");
    parameters.put("lsRefsMaxStaleness", "PT1M");

    assertThatThrownBy(() -> InitParameters.toConfig(servletConfig()))
        .isInstanceOf(ServletException.class)
        .hasMessageStartingWith("invalid Goblet init parameters: lsRefsMaxStaleness (PT1M)");
  }

  /** The init parameters as a container hands them to a servlet. */
  private ServletConfig servletConfig() {
    return new ServletConfig() {
      @Override
      public String getServletName() {
        return "goblet";
      }

      @Override
      public ServletContext getServletContext() {
        throw new UnsupportedOperationException("InitParameters needs no context");
      }

      @Override
      public String getInitParameter(String name) {
        return parameters.get(name);
      }

      @Override
      public Enumeration<String> getInitParameterNames() {
        return Collections.enumeration(parameters.keySet());
      }
    };
  }
}
