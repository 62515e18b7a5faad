package dev.goblet.examples;

import jakarta.servlet.ServletContainerInitializer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A web app to deploy in a {@link Container}.
 *
 * @param docBase the unpacked WAR: a directory holding {@code WEB-INF/web.xml} (or nothing)
 * @param contextParameters servlet context init parameters, as a container's configuration adds
 *     them beside the app's own
 * @param initializers called as the app starts, like a host's {@code ServletContainerInitializer}
 * @param workDir an empty directory for the container's own files
 */
record WebApp(
    Path docBase,
    Map<String, String> contextParameters,
    List<ServletContainerInitializer> initializers,
    Path workDir) {

  WebApp {
    contextParameters = Map.copyOf(contextParameters);
    initializers = List.copyOf(initializers);
  }
}
