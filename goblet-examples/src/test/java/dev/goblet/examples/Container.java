package dev.goblet.examples;

import java.nio.file.Files;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The servlet containers the examples are proven in, embedded. Each deploys a {@link WebApp} the
 * way it deploys an unpacked WAR (reading its {@code WEB-INF/web.xml}) at the root context, on
 * {@code 127.0.0.1} and an ephemeral port. The app's classes come from the test class path.
 */
enum Container {
  JETTY_12 {
    @Override
    Deployment deploy(WebApp app) throws Exception {
      Server server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      WebAppContext context = new WebAppContext(app.docBase().toAbsolutePath().toString(), "/");
      context.setTempDirectory(Files.createDirectories(app.workDir().resolve("jetty")).toFile());
      context.setThrowUnavailableOnStartupException(true);
      app.contextParameters().forEach(context::setInitParameter);
      app.initializers().forEach(context::addServletContainerInitializer);
      server.setHandler(context);
      try {
        server.start();
      } catch (Exception e) {
        server.stop();
        throw e;
      }
      return new Deployment("http://127.0.0.1:" + connector.getLocalPort(), server::stop);
    }
  },

  TOMCAT_11 {
    @Override
    Deployment deploy(WebApp app) throws Exception {
      Tomcat tomcat = new Tomcat();
      tomcat.setBaseDir(Files.createDirectories(app.workDir().resolve("tomcat")).toString());
      Connector connector = new Connector();
      connector.setPort(0);
      connector.setProperty("address", "127.0.0.1");
      tomcat.setConnector(connector);
      tomcat.setAddDefaultWebXmlToWebapp(false);
      StandardContext context = (StandardContext) tomcat.addWebapp("", app.docBase().toAbsolutePath().toString());
      StandardJarScanner scanner = new StandardJarScanner();
      scanner.setScanClassPath(false); // the test class path holds no web fragments
      context.setJarScanner(scanner);
      app.contextParameters().forEach(context::addParameter);
      app.initializers().forEach(sci -> context.addServletContainerInitializer(sci, null));
      Deployment.Stopper stop =
          () -> {
            tomcat.stop();
            tomcat.destroy();
          };
      try {
        tomcat.start();
        // A failing listener or servlet leaves the app FAILED without failing Tomcat's start.
        if (context.getState() != LifecycleState.STARTED) {
          throw new IllegalStateException("Tomcat could not start the web app; see its log");
        }
      } catch (Exception e) {
        stop.stop();
        throw e;
      }
      return new Deployment("http://127.0.0.1:" + connector.getLocalPort(), stop);
    }
  };

  /**
   * @param app the web app
   * @return the running deployment; close it to stop the container
   * @throws Exception when the container or the app cannot start
   */
  abstract Deployment deploy(WebApp app) throws Exception;
}
