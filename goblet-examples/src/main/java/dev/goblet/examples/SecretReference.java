package dev.goblet.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A setting that names where a secret is, never the secret itself, so that it shows in no {@code
 * ps} output, context file or log: {@code env:<VARIABLE>} or {@code file:<path>} (the file's
 * content, trailing whitespace stripped). Stateless.
 */
final class SecretReference {
  private SecretReference() {}

  /**
   * @param setting the setting's full name, for messages
   * @param reference {@code env:<VARIABLE>} or {@code file:<path>}
   * @param environment looks an environment variable up
   * @return the secret
   * @throws IllegalArgumentException when the reference is malformed or names nothing usable; the
   *     message never holds the secret
   */
  static String read(String setting, String reference, Function<String, String> environment) {
    String secret;
    if (reference.startsWith("env:") && reference.length() > 4) {
      String variable = reference.substring(4);
      secret = environment.apply(variable);
      if (secret == null || secret.isBlank()) {
        throw new IllegalArgumentException(
            setting + " names the environment variable " + variable + ", which is not set");
      }
    } else if (reference.startsWith("file:") && reference.length() > 5) {
      Path file = Path.of(reference.substring(5));
      try {
        secret = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException(setting + " names the file " + file
            + ", which cannot be read: " + e.getClass().getSimpleName(), e);
      }
      if (secret.isBlank()) {
        throw new IllegalArgumentException(setting + " names the file " + file + ", which is empty");
      }
    } else {
      throw new IllegalArgumentException(
          setting + " must be env:<VARIABLE> or file:<path> (the secret itself is never a"
              + " setting's value)");
    }
    return secret.strip();
  }
}
