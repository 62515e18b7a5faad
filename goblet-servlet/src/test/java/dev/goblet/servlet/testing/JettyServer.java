package dev.goblet.servlet.testing;

import jakarta.servlet.http.HttpServlet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** An embedded Jetty 12 on 127.0.0.1 and an ephemeral port, serving the servlets it is given. */
public final class JettyServer implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;

  private JettyServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * @param servlets path spec (such as {@code /*}) to servlet, in mapping order
   * @return the started server
   * @throws Exception when Jetty cannot start
   */
  public static JettyServer start(Map<String, HttpServlet> servlets) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    for (Map.Entry<String, HttpServlet> entry : new LinkedHashMap<>(servlets).entrySet()) {
      context.addServlet(new ServletHolder(entry.getValue()), entry.getKey());
    }
    server.setHandler(context);
    server.start();
    return new JettyServer(server, connector);
  }

  /** @return {@code http://127.0.0.1:<port>} */
  public String baseUrl() {
    return "http://127.0.0.1:" + connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
