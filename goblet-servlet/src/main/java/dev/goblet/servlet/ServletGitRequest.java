package dev.goblet.servlet;

import dev.goblet.GitRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.List;

/** A {@link GitRequest} over a servlet request. Used by the one thread serving the request. */
final class ServletGitRequest implements GitRequest {
  private final HttpServletRequest request;

  ServletGitRequest(HttpServletRequest request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    // Mapped as "/*" or "/git/*" the path is in pathInfo; mapped as the default servlet "/", in
    // servletPath.
    String pathInfo = request.getPathInfo();
    return pathInfo != null ? pathInfo : request.getServletPath();
  }

  @Override
  public String query() {
    String query = request.getQueryString();
    return query == null ? "" : query;
  }

  @Override
  public String header(String name) {
    return request.getHeader(name);
  }

  @Override
  public List<String> headers(String name) {
    return Collections.list(request.getHeaders(name));
  }

  @Override
  public InputStream body() {
    try {
      return request.getInputStream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String remoteAddress() {
    String address = request.getRemoteAddr();
    return address == null ? "" : address;
  }
}
