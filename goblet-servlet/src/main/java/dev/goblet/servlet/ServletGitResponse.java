package dev.goblet.servlet;

import dev.goblet.GitResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;

/** A {@link GitResponse} over a servlet response. Used by the one thread serving the request. */
final class ServletGitResponse implements GitResponse {
  private final HttpServletResponse response;

  ServletGitResponse(HttpServletResponse response) {
    this.response = response;
  }

  @Override
  public void setStatus(int code) {
    response.setStatus(code);
  }

  @Override
  public void setHeader(String name, String value) {
    response.setHeader(name, value);
  }

  @Override
  public void addHeader(String name, String value) {
    response.addHeader(name, value);
  }

  @Override
  public boolean isCommitted() {
    return response.isCommitted();
  }

  @Override
  public OutputStream body() throws IOException {
    return response.getOutputStream();
  }
}
