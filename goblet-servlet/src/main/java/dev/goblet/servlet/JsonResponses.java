package dev.goblet.servlet;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** Writes the JSON answers of the operations servlets. Stateless and thread-safe. */
final class JsonResponses {
  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private JsonResponses() {}

  /**
   * @param response the response, not yet committed
   * @param status the HTTP status
   * @param body the JSON body
   * @throws IOException when the client connection fails
   */
  static void send(HttpServletResponse response, int status, JsonElement body) throws IOException {
    byte[] bytes = (GSON.toJson(body) + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setHeader("Cache-Control", "no-store");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  /** Answers {@code {"error": message}} with the status. */
  static void error(HttpServletResponse response, int status, String message) throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("error", message);
    send(response, status, body);
  }

  /** @return the value in lower case, as the JSON documents write enum values */
  static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** @return an ISO-8601 time, or JSON null */
  static JsonElement time(Optional<Instant> time) {
    return time.<JsonElement>map(t -> new JsonPrimitive(t.toString())).orElse(JsonNull.INSTANCE);
  }
}
