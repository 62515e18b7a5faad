package dev.goblet.examples;

import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.servlet.GobletAdminServlet;
import dev.goblet.servlet.GobletHealthServlet;
import dev.goblet.servlet.GobletMetricsServlet;
import dev.goblet.servlet.GobletServlet;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example web app (the goblet-examples WAR), set up the way a host application would: when the
 * container starts the app it reads {@link ExampleSettings}, creates one {@link GobletProxy} and
 * mounts the servlets of {@link #servlets}; when the container stops the app it closes the proxy.
 * Declared as a listener in {@code WEB-INF/web.xml}. The container calls it from one thread at a
 * time.
 *
 * <p>The container calls it once to start and once to stop; it holds the proxy in between.
 */
public final class ExampleWebApp implements ServletContextListener {
  private static final Logger log = LoggerFactory.getLogger(ExampleWebApp.class);

  private volatile GobletProxy proxy;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    ServletContext context = event.getServletContext();
    ExampleSettings settings = ExampleSettings.of(context);
    ServerConfig config = settings.toConfigBuilder().build();
    GobletProxy started;
    try {
      started = GobletProxy.create(config);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Goblet proxy: " + e.getMessage(), e);
    }
    proxy = started;
    servlets(started).forEach((pattern, servlet) -> mount(context, pattern, servlet));
    log.info("Goblet example app started: {}", settings.describe());
  }

  /**
   * The servlets this app serves, by URL pattern. An exact pattern (such as {@code /healthz}) or a
   * longer prefix (such as {@code /admin/*}) wins over the proxy's {@code /*}, so each added entry
   * takes its paths away from the proxy and leaves the rest to it.
   *
   * @param proxy the app's proxy
   * @return URL pattern to servlet, in mounting order
   */
  static Map<String, Servlet> servlets(GobletProxy proxy) {
    Map<String, Servlet> servlets = new LinkedHashMap<>();
    servlets.put("/*", new GobletServlet(proxy));
    servlets.put("/healthz", new GobletHealthServlet(proxy));
    servlets.put("/metrics", new GobletMetricsServlet(proxy));
    servlets.put("/admin/*", new GobletAdminServlet(proxy));
    return servlets;
  }

  private static void mount(ServletContext context, String pattern, Servlet servlet) {
    String name = servlet.getClass().getSimpleName() + " " + pattern;
    ServletRegistration.Dynamic registration = context.addServlet(name, servlet);
    if (registration == null) {
      throw new IllegalStateException("a servlet named '" + name + "' is already mounted");
    }
    registration.addMapping(pattern);
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    GobletProxy stopping = proxy;
    proxy = null;
    if (stopping != null) {
      stopping.close();
      if (stopping.config().snapshotStore().orElse(null) instanceof AutoCloseable store) {
        try {
          store.close(); // the S3 store's client, made from the settings
        } catch (Exception e) {
          log.warn("closing the snapshot store failed", e);
        }
      }
      log.info("Goblet example app stopped");
    }
  }
}
