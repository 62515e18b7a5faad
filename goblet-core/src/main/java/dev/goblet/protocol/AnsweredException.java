package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;

/**
 * A failure the client was already told about inside the exchange (JGit's UploadPack wrote the
 * {@code ERR} packet itself), so no second message is written; it is still recorded and, when it
 * is the server's, reported.
 */
final class AnsweredException extends GobletException {
  private static final long serialVersionUID = 1L;

  AnsweredException(Status status, String message, Throwable cause) {
    super(status, message, cause);
  }
}
