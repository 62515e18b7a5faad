package dev.goblet.servlet;

import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;

/**
 * Serves Git smart HTTP through a {@link GobletProxy}. A thin adapter: no protocol logic lives
 * here. Mount it at a path such as {@code /git/*} (or {@code /*}); clients then use {@code
 * http://host/git/<upstream host>/<repository>}.
 *
 * <p>Three ways to make one: with a {@link ServerConfig} (the servlet creates the proxy in {@link
 * #init()} and closes it in {@link #destroy()}); with a {@link GobletProxy} the host owns (never
 * closed here); or with no arguments from {@code web.xml}, configured by init parameters (see
 * {@link InitParameters}). Thread-safe.
 */
public class GobletServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient ServerConfig config;
  private transient GobletProxy proxy;
  private transient boolean ownsProxy;

  /** For {@code web.xml}: the proxy is configured from init parameters. */
  public GobletServlet() {
    this.config = null;
  }

  /** @param config the proxy is created from it in {@link #init()} and closed on destroy */
  public GobletServlet(ServerConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /** @param proxy a proxy the host owns; the servlet never closes it */
  public GobletServlet(GobletProxy proxy) {
    this.config = null;
    this.proxy = Objects.requireNonNull(proxy, "proxy");
  }

  @Override
  public void init() throws ServletException {
    if (proxy != null) {
      return;
    }
    ServerConfig effective = config != null ? config : InitParameters.toConfig(getServletConfig());
    try {
      proxy = GobletProxy.create(effective);
      ownsProxy = true;
    } catch (IOException e) {
      throw new ServletException("cannot start the Goblet proxy: " + e.getMessage(), e);
    }
  }

  /** @return the proxy serving this servlet's requests */
  public GobletProxy proxy() {
    return proxy;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    proxy.handle(new ServletGitRequest(request), new ServletGitResponse(response));
  }

  @Override
  public void destroy() {
    if (ownsProxy && proxy != null) {
      proxy.close();
      proxy = null;
    }
  }
}
